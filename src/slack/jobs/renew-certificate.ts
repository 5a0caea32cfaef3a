import { deliverProfile, memberName } from './delivery';
import type { Job } from '../../ports';
import { renewedText } from '../views/expiry';
import { progressMessage } from '../views/messages';
import type { MessageView } from '../views/types';
import type { WorkerDeps } from './worker';

/** Renew from a reminder: the same member checks and delivery as an issue, for the same device. */
export async function renewJob(deps: WorkerDeps, job: Extract<Job, { type: 'renew' }>, reply: (message: MessageView) => Promise<void>): Promise<void> {
  const displayName = await memberName(deps, job.userId, job.teamId, 'renew');
  const { old, issued } = await deps.admin.renew({ serial: job.serial, userId: job.userId, displayName });
  const fileName = await deliverProfile(deps, issued, { csr: false });
  await reply(progressMessage(renewedText({ fileName, old, at: deps.admin.clock.now() })));
}

/** A renewal's replacement has connected (its owner approved the login): retire what it replaces. */
export async function retireReplacedJob(deps: WorkerDeps, job: Extract<Job, { type: 'retire-replaced' }>): Promise<void> {
  await deps.admin.retireReplaced(job.serial, 'used');
}
