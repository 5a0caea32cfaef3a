import type { ListenerDeps } from '../../context';
import { jobButton } from './button';

export const issue = (deps: ListenerDeps) =>
  jobButton(
    deps,
    (body) => ({ type: 'issue', userId: body.user.id, teamId: body.team?.id, responseUrl: body.response_url }),
    { once: true },
  );
