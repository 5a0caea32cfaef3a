import { requireAdmin } from '../../services/authorization';
import { tlsReportMessage } from '../views/tls-report';
import type { JobContext, JobOf } from './context';

/** `/vpn logs tls`: failed handshakes per endpoint, grouped, each class with its likely fix. */
export async function tlsLogs(context: JobContext, job: JobOf<'logs-tls'>): Promise<void> {
  await requireAdmin(context, job.actorId, 'read connection logs');
  await context.reply(tlsReportMessage(await context.admin.tlsTroubleshooting(job.hours)));
}
