import { attemptsChartPng } from '../../render/attempts-chart';
import { requireAdmin } from '../../services/authorization';
import { ChartDelivery, chartComment, connectionInsightsMessage } from '../views/connection-insights';
import { withFailureWindows } from '../views/failure-windows';
import type { JobContext, JobOf } from './context';
import { uploadToDm } from './upload';

/** One chart per endpoint with attempts, for this many endpoints at most: the text covers the rest. */
const MAX_CHARTS = 3;

/** `/vpn logs`: connection attempts per endpoint, with a chart of each into the admin's DM. */
export async function connectionLogs(context: JobContext, job: JobOf<'logs'>): Promise<void> {
  await requireAdmin(context, job.actorId, 'read connection logs');
  const [report, windows] = await Promise.all([
    context.admin.connectionInsights(job.hours),
    context.admin.failureWindows(job.hours),
  ]);
  const charted = report.endpoints
    .flatMap((insights) => (insights.summary && insights.summary.attempts > 0 ? [insights.summary] : []))
    .slice(0, MAX_CHARTS);
  let chart: ChartDelivery | undefined;
  if (charted.length > 0) {
    try {
      // A response_url reply cannot carry a file and an image block needs a public URL: the PNG goes to the DM.
      for (const summary of charted) {
        const filename = `connection-attempts-${summary.endpoint.replace(/[^A-Za-z0-9.-]+/g, '-')}.png`;
        await uploadToDm(context.client, job.actorId, {
          filename,
          content: attemptsChartPng(summary.hourly),
          comment: chartComment(summary),
        });
      }
      chart = { sent: true };
    } catch (error) {
      context.log?.('connection chart upload failed', error);
      chart = { sent: false, reason: `${(error as Error).message} The summary above is complete without it.` };
    }
  }
  await context.reply(withFailureWindows(connectionInsightsMessage(report, chart), windows));
}
