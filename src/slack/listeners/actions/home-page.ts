import type { ListenerDeps } from '../../context';
import { buttonValue, jobButton } from './button';

export const homePage = (deps: ListenerDeps) =>
  jobButton(deps, (body) => {
    const page = Number(buttonValue(body));
    return { type: 'home', userId: body.user.id, page: Number.isInteger(page) && page >= 0 ? page : 0 };
  });
