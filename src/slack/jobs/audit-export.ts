import { auditCsv, auditEntries, recordAuditExport } from '../../services/audit-export';
import { requireAdmin } from '../../services/authorization';
import { progressMessage } from '../views/progress';
import type { JobContext, JobOf } from './context';
import { uploadToDm } from './upload';

/** `/vpn audit`: the trail as CSV, into the admin's DM only, and the export itself audited. */
export async function auditExport(context: JobContext, job: JobOf<'audit-export'>): Promise<void> {
  await requireAdmin(context, job.actorId, 'export the audit trail');
  const { audit, certificates } = context;
  const since = new Date(job.since);
  const until = context.admin.clock.now();
  const { entries, truncated } = await auditEntries({ audit, certificates }, { slackId: job.slackId, since, until });
  const filename = `vpn-audit-${job.slackId ?? 'all'}-since-${job.since.slice(0, 10)}.csv`;
  const whose = job.slackId ? ` about <@${job.slackId}>` : '';
  const cut = truncated
    ? ` Only the newest ${entries.length} fit in one file: entries before ${entries[0].at.toISOString()} are left out; export them with an earlier window ending there (\`vpnctl audit --since … --until …\`).`
    : '';
  await uploadToDm(context.client, job.actorId, {
    filename,
    content: auditCsv(entries),
    comment: `Audit trail${whose} from ${job.since} to ${until.toISOString()}: ${entries.length} entries.${cut}`,
  });
  await recordAuditExport(audit, {
    actor: job.actorId,
    slackId: job.slackId,
    since,
    until,
    entries: entries.length,
    truncated,
  });
  await context.reply(progressMessage(`📄 *${filename}* (${entries.length} entries) is in your DM from me.${cut}`));
}
