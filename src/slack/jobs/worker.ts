import type { Job } from '../../ports';
import { VpnChatopsError } from '../../domain/errors';
import { respond } from '../respond';
import { errorMessage } from '../views/errors';
import type { MessageView } from '../views/types';
import { auditExport } from './audit-export';
import { connectionLogs } from './connection-logs';
import { tlsLogs } from './tls-logs';
import type { JobContext, WorkerDeps } from './context';
import { crlStatus } from './crl-status';
import { decideRequest } from './decide-request';
import { doctor } from './doctor';
import { extendAccess } from './extend-access';
import { home } from './home';
import { issue } from './issue';
import { listCertificates } from './list-certificates';
import { offboard } from './offboard';
import { publishCrl } from './publish-crl';
import { renewCertificate } from './renew-certificate';
import { retireReplaced } from './retire-replaced';
import { revoke } from './revoke';
import { settlePrompt } from './settle-prompt';

/** What the user sees when something fails: our own errors say what to do; anything else stays generic. */
function explain(error: unknown): string {
  if (error instanceof VpnChatopsError) return error.message;
  return 'Something went wrong on our side. `/vpn status` shows where your certificates stand; try again in a minute, and if it keeps failing, ask an admin to check the bot logs.';
}

function perform(context: JobContext, job: Job): Promise<void> {
  switch (job.type) {
    case 'issue':
      return issue(context, job);
    case 'revoke':
      return revoke(context, job);
    case 'publish-crl':
      return publishCrl(context, job);
    case 'crl-status':
      return crlStatus(context, job);
    case 'logs':
      return connectionLogs(context, job);
    case 'logs-tls':
      return tlsLogs(context, job);
    case 'list':
      return listCertificates(context, job);
    case 'home':
      return home(context, job);
    case 'doctor':
      return doctor(context, job);
    case 'audit-export':
      return auditExport(context, job);
    case 'renew':
      return renewCertificate(context, job);
    case 'retire-replaced':
      return retireReplaced(context, job);
    case 'decide-request':
      return decideRequest(context, job);
    case 'extend':
      return extendAccess(context, job);
    case 'offboard':
      return offboard(context, job);
    case 'settle-prompt':
      return settlePrompt(context, job);
  }
}

/** Runs the slow half of every command, then reports through response_url, DMs and the Home tab. */
export class SlackWorker {
  constructor(private readonly deps: WorkerDeps) {}

  async run(job: Job): Promise<void> {
    const dm = (message: MessageView) => this.dm(job, message);
    const reply = (message: MessageView, replaceOriginal = false) =>
      'responseUrl' in job && job.responseUrl ? respond(job.responseUrl, message, { replaceOriginal }) : dm(message);
    let duplicate = false;
    try {
      // Lambda may deliver an asynchronous invocation twice; the work must happen once.
      if (job.id && !(await this.deps.idempotency.claim(`job:${job.id}`, 86_400))) {
        duplicate = true;
        return;
      }
      return await perform({ ...this.deps, reply, dm }, job);
    } catch (error) {
      this.deps.log?.(`job ${job.type} failed`, error);
      await reply(errorMessage(explain(error))).catch((replyError: unknown) =>
        this.deps.log?.('could not report a failed job', replyError),
      );
    } finally {
      // The click that queued this job has had its answer: clicking again is a new request (see
      // slack/listeners/actions/button.ts).
      if (job.claim && !duplicate)
        await this.deps.idempotency
          .release(job.claim)
          .catch((error: unknown) => this.deps.log?.('could not release a click claim', error));
    }
  }

  /**
   * Work started from the Home tab has no response_url: its outcome goes to the person's DM. System jobs have nobody to
   * tell; they log.
   */
  private async dm(job: Job, message: MessageView): Promise<void> {
    const userId = 'userId' in job ? job.userId : 'actorId' in job ? job.actorId : undefined;
    if (job.type === 'home' || userId === undefined) return;
    const { channel } = await this.deps.client.conversations.open({ users: userId });
    if (channel?.id) await this.deps.client.chat.postMessage({ channel: channel.id, ...message });
  }
}
