import type { ListenerDeps } from '../../context';
import { revokeButton } from './button';

/** "Revoke" on one of the person's own certificates. */
export const revokeOwn = (deps: ListenerDeps) => revokeButton(deps, 'keyCompromise');
