import type { ListenerDeps } from '../../context';
import { revokeButton } from './button';

/** "Revoke" on someone's certificate, in an admin's list. */
export const revokeCertificate = (deps: ListenerDeps) => revokeButton(deps, 'affiliationChanged');
