import type { ListenerDeps } from '../../context';
import { jobButton } from './button';

export const publishCrl = (deps: ListenerDeps) =>
  jobButton(deps, (body) => ({ type: 'publish-crl', actorId: body.user.id, responseUrl: body.response_url }), {
    once: true,
  });
