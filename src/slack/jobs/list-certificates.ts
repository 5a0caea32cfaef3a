import { requireAdmin } from '../../services/authorization';
import { certificateListMessage } from '../views/certificate-list';
import type { JobContext, JobOf } from './context';

/** `/vpn list` with nobody named: every certificate, a whole-table read. */
export async function listCertificates(context: JobContext, job: JobOf<'list'>): Promise<void> {
  await requireAdmin(context, job.actorId, 'list certificates');
  await context.reply(certificateListMessage(await context.certificates.list(), context.admin.clock.now()));
}
