import { requireAdmin } from '../../services/authorization';
import { withFailureWindows } from '../views/failure-windows';
import { tlsReportMessage } from '../views/tls-report';
import type { JobContext, JobOf } from './context';

/**
 * `/vpn logs tls`: failed handshakes per endpoint, grouped, each class with its likely fix; on AWS, the metric first.
 */
export async function tlsLogs(context: JobContext, job: JobOf<'logs-tls'>): Promise<void> {
  await requireAdmin(context, job.actorId, 'read connection logs');
  const [report, windows] = await Promise.all([
    context.admin.tlsTroubleshooting(job.hours),
    context.admin.failureWindows(job.hours),
  ]);
  await context.reply(withFailureWindows(tlsReportMessage(report), windows));
}
