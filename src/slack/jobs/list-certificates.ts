import { requireAdmin } from '../../services/authorization';
import { ACTION } from '../ids';
import { LIST_PAGE_SIZE, certificatePageMessage } from '../views/certificate-list';
import { certificatePage } from './certificate-page';
import type { JobContext, JobOf } from './context';

/**
 * `/vpn list` with nobody named: one page of every certificate and the total, however large the table; Next replaces
 * the page in place.
 */
export async function listCertificates(context: JobContext, job: JobOf<'list'>): Promise<void> {
  await requireAdmin(context, job.actorId, 'list certificates');
  const now = context.admin.clock.now();
  const rows = await certificatePage(
    context.certificates,
    LIST_PAGE_SIZE,
    { page: job.page ?? 0, cursor: job.cursor },
    now,
  );
  await context.reply(certificatePageMessage(rows, now, ACTION.listPage), job.page !== undefined);
}
