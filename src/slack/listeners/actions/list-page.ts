import type { ListenerDeps } from '../../context';
import { parsePlace } from '../../views/certificate-pager';
import { buttonValue, jobButton } from './button';

/** Next on `/vpn list`: the worker re-checks that the clicker is an admin, and replaces the page in place. */
export const listPage = (deps: ListenerDeps) =>
  jobButton(deps, (body) =>
    body.response_url
      ? { type: 'list', actorId: body.user.id, responseUrl: body.response_url, ...parsePlace(buttonValue(body)) }
      : undefined,
  );
