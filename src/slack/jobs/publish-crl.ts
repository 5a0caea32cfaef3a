import { requireAdmin } from '../../services/authorization';
import { progressMessage } from '../views/progress';
import { publishReportMessage } from '../views/publish-report';
import type { JobContext, JobOf } from './context';

/** The Publish CRL button: a new CRL on every endpoint now, not at the next renewal. */
export async function publishCrl(context: JobContext, job: JobOf<'publish-crl'>): Promise<void> {
  await requireAdmin(context, job.actorId, 'publish the CRL');
  await context.reply(progressMessage('⏳ Publishing a new CRL on every endpoint…'));
  await context.reply(publishReportMessage(await context.admin.publishAll(job.actorId)));
}
