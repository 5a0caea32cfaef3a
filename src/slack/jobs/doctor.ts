import { auditCsv, auditEntries } from '../../services/audit-export';
import type { Job } from '../../ports';
import { uploadToDm } from './upload';
import { doctorMessage } from '../views/doctor';
import { progressMessage } from '../views/messages';
import type { MessageView } from '../views/types';
import type { WorkerDeps } from './worker';

type Reply = (message: MessageView, replaceOriginal?: boolean) => Promise<void>;

export interface OperabilityDeps extends WorkerDeps {
  requireAdmin(actorId: string, what: string): Promise<void>;
}

/** `/vpn doctor`: every check, failures first. */
export async function doctorJob(deps: OperabilityDeps, job: Extract<Job, { type: 'doctor' }>, reply: Reply): Promise<void> {
  await deps.requireAdmin(job.actorId, 'run doctor');
  await reply(doctorMessage(await deps.admin.doctor(deps.probes)));
}

/** `/vpn audit`: the trail as CSV, into the admin's DM only, and the export itself audited. */
export async function auditExportJob(deps: OperabilityDeps, job: Extract<Job, { type: 'audit-export' }>, reply: Reply): Promise<void> {
  await deps.requireAdmin(job.actorId, 'export the audit trail');
  const { audit, certificates } = deps.admin.deps;
  const since = new Date(job.since);
  const until = deps.admin.clock.now();
  const { entries, truncated } = await auditEntries({ audit, certificates }, { slackId: job.slackId, since, until });
  const filename = `vpn-audit-${job.slackId ?? 'all'}-since-${job.since.slice(0, 10)}.csv`;
  const whose = job.slackId ? ` about <@${job.slackId}>` : '';
  const cut = truncated ? ` Only the newest ${entries.length} fit in one file: entries before ${entries[0].at.toISOString()} are left out; export them with an earlier window ending there (\`vpnctl audit --since … --until …\`).` : '';
  await uploadToDm(deps.client, job.actorId, { filename, content: auditCsv(entries), comment: `Audit trail${whose} from ${job.since} to ${until.toISOString()}: ${entries.length} entries.${cut}` });
  await audit.append({ actor: job.actorId, action: 'audit.export', target: job.slackId ?? 'all', outcome: 'success', details: { since: job.since, until: until.toISOString(), entries: entries.length, truncated } });
  await reply(progressMessage(`📄 *${filename}* (${entries.length} entries) is in your DM from me.${cut}`));
}
