import { requireAdmin } from '../../services/authorization';
import { crlHealthMessage } from '../views/crl-health';
import type { JobContext, JobOf } from './context';

/** `/vpn crl`: each endpoint's live CRL against our records. */
export async function crlStatus(context: JobContext, job: JobOf<'crl-status'>): Promise<void> {
  await requireAdmin(context, job.actorId, 'see CRL health');
  await context.reply(crlHealthMessage(await context.admin.crlStatuses()));
}
