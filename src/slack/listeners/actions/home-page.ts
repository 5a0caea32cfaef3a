import type { ListenerDeps } from '../../context';
import { parsePlace } from '../../views/certificate-pager';
import { buttonValue, jobButton } from './button';

export const homePage = (deps: ListenerDeps) =>
  jobButton(deps, (body) => ({ type: 'home', userId: body.user.id, ...parsePlace(buttonValue(body)) }));
