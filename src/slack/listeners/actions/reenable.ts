import { reenableCertificate } from '../../../services/suspension';
import type { ListenerDeps } from '../../context';
import { ButtonListener, buttonValue } from './button';

/** Lifting a "Not me" pause is one conditional write: quick enough to do here, with no job. */
export const reenable =
  (deps: ListenerDeps): ButtonListener =>
  async ({ ack, body }) => {
    await ack();
    if ((await reenableCertificate(deps, { serial: buttonValue(body), actor: body.user.id })) === 'refused') return;
    await deps.jobs.enqueue({ type: 'home', userId: body.user.id });
  };
