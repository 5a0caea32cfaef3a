import type { WebClient } from '@slack/web-api';
import type { DoctorProbes } from '../composition/doctor';
import type { VpnAdmin } from '../composition/core';
import type { IdempotencyStore, Job } from '../ports';
import { VpnChatopsError } from '../domain/errors';
import { revokingReason } from '../domain/revocation';
import type { AdminPolicy } from './admins';
import { loadHomeData } from './home-data';
import { deliverProfile, memberName } from './delivery';
import { auditExportJob, doctorJob, OperabilityDeps } from './operability';
import { renewJob, retireReplacedJob } from './renewal-jobs';
import { respond } from './respond';
import { uploadToDm } from './upload';
import { homeView } from './views/home';
import {
  certificateListMessage,
  crlHealthMessage,
  errorMessage,
  progressMessage,
  publishReportMessage,
  revocationReportMessage,
  userText,
} from './views/messages';
import type { MessageView } from './views/types';
import { attemptsChartPng } from '../render/attempts-chart';
import { ChartDelivery, chartComment, connectionInsightsMessage } from './views/connection-insights';
import { requireAdmin } from '../services/authorization';

/** One chart per endpoint with attempts, for this many endpoints at most: the text covers the rest. */
const MAX_CHARTS = 3;

export interface WorkerDeps {
  admin: VpnAdmin;
  client: WebClient;
  admins: AdminPolicy;
  idempotency: IdempotencyStore;
  /** What `doctor` checks beyond the admin's stores and endpoints. */
  probes: DoctorProbes;
  log?: (message: string, error?: unknown) => void;
}

/** What the user sees when something fails: our own errors say what to do; anything else stays generic. */
function explain(error: unknown): string {
  if (error instanceof VpnChatopsError) return error.message;
  return 'Something went wrong on our side. `/vpn status` shows where your certificates stand; try again in a minute, and if it keeps failing, ask an admin to check the bot logs.';
}

/** Runs the slow half of every command, then reports through response_url, DMs and the Home tab. */
export class SlackWorker {
  private readonly operability: OperabilityDeps;

  constructor(private readonly deps: WorkerDeps) {
    this.operability = { ...deps, requireAdmin: (actorId, what) => this.requireAdmin(actorId, what) };
  }

  async run(job: Job): Promise<void> {
    const reply = (message: MessageView, replaceOriginal = false) =>
      'responseUrl' in job && job.responseUrl ? respond(job.responseUrl, message, { replaceOriginal }) : this.dm(job, message);
    let duplicate = false;
    try {
      // Lambda may deliver an asynchronous invocation twice; the work must happen once.
      if (job.id && !(await this.deps.idempotency.claim(`job:${job.id}`, 86_400))) {
        duplicate = true;
        return;
      }
      switch (job.type) {
        case 'issue':
          return await this.issue(job, reply);
        case 'revoke':
          return await this.revoke(job, reply);
        case 'publish-crl':
          return await this.publishCrl(job, reply);
        case 'crl-status':
          return await this.crlStatus(job, reply);
        case 'logs':
          return await this.connectionLogs(job, reply);
        case 'list':
          await this.requireAdmin(job.actorId, 'list certificates');
          return await reply(certificateListMessage(await this.deps.admin.deps.certificates.list(), this.deps.admin.clock.now()));
        case 'home':
          return await this.publishHome(job.userId, job.page);
        case 'doctor':
          return await doctorJob(this.operability, job, reply);
        case 'audit-export':
          return await auditExportJob(this.operability, job, reply);
        case 'renew':
          await renewJob(this.deps, job, reply);
          return await this.publishHome(job.userId).catch((error: unknown) => this.deps.log?.('home refresh failed', error));
        case 'retire-replaced':
          return await retireReplacedJob(this.deps, job);
      }
    } catch (error) {
      this.deps.log?.(`job ${job.type} failed`, error);
      await reply(errorMessage(explain(error))).catch((replyError: unknown) => this.deps.log?.('could not report a failed job', replyError));
    } finally {
      // The click that queued this job has had its answer: clicking again is a new request (see actions/register.ts).
      if (job.claim && !duplicate) await this.deps.idempotency.release(job.claim).catch((error: unknown) => this.deps.log?.('could not release a click claim', error));
    }
  }

  /** Work started from the Home tab has no response_url: its outcome goes to the person's DM. System jobs have nobody to tell; they log. */
  private async dm(job: Job, message: MessageView): Promise<void> {
    const userId = 'userId' in job ? job.userId : 'actorId' in job ? job.actorId : undefined;
    if (job.type === 'home' || userId === undefined) return;
    const { channel } = await this.deps.client.conversations.open({ users: userId });
    if (channel?.id) await this.deps.client.chat.postMessage({ channel: channel.id, ...message });
  }

  /** Server-side authority check at the moment the work runs; refusals are audited. */
  private async requireAdmin(actorId: string, what: string): Promise<void> {
    await requireAdmin({ admins: this.deps.admins, audit: this.deps.admin.deps.audit }, actorId, what);
  }

  private async issue(job: Extract<Job, { type: 'issue' }>, reply: (m: MessageView) => Promise<void>): Promise<void> {
    const displayName = await memberName(this.deps, job.userId, job.teamId, 'issue');
    const issued = await this.deps.admin.issue({ slackId: job.userId, displayName, device: job.device, csrPem: job.csrPem, actor: job.userId });
    const fileName = await deliverProfile(this.deps, issued, { csr: job.csrPem !== undefined });
    await reply(progressMessage(`✅ Your VPN profile *${userText(fileName)}* is in your DM from me. It expires on ${issued.record.notAfter.toISOString().slice(0, 10)}.`));
    await this.publishHome(job.userId).catch((error: unknown) => this.deps.log?.('home refresh failed', error));
  }

  private async revoke(job: Extract<Job, { type: 'revoke' }>, reply: (m: MessageView, replace?: boolean) => Promise<void>): Promise<void> {
    const { admin } = this.deps;
    const own = 'slackId' in job.target ? job.target.slackId === job.actorId : (await admin.deps.certificates.get(job.target.serial))?.slackId === job.actorId;
    if (!own) await this.requireAdmin(job.actorId, "revoke other people's certificates");
    // Refused before the progress message: a button value is the client's to send, and may carry any reason.
    revokingReason(job.reason);
    // Slack failing to show progress must not hold up ending someone's access.
    await reply(progressMessage('⏳ Revoking: closing the database gate, ending live sessions, publishing the CRL…'), true).catch((error: unknown) =>
      this.deps.log?.('revoke progress not posted', error),
    );
    const report = await admin.revoke({ target: job.target, reason: job.reason, actor: job.actorId });
    // Whatever Slack does now, the revocation happened: its report goes to the DM if it cannot go where it was asked,
    // and is never replaced by an error saying something went wrong.
    const told = revocationReportMessage(report);
    await reply(told, true)
      .catch((error: unknown) => {
        this.deps.log?.('revoke report not posted; trying the DM', error);
        return this.dm(job, told);
      })
      .catch((error: unknown) => this.deps.log?.('revoke report not posted', error));
    await this.publishHome(job.actorId).catch((error: unknown) => this.deps.log?.('home refresh failed', error));
  }

  private async publishCrl(job: Extract<Job, { type: 'publish-crl' }>, reply: (m: MessageView, replace?: boolean) => Promise<void>): Promise<void> {
    await this.requireAdmin(job.actorId, 'publish the CRL');
    await reply(progressMessage('⏳ Publishing a new CRL on every endpoint…'));
    await reply(publishReportMessage(await this.deps.admin.publishAll(job.actorId)));
  }

  private async crlStatus(job: Extract<Job, { type: 'crl-status' }>, reply: (m: MessageView) => Promise<void>): Promise<void> {
    await this.requireAdmin(job.actorId, 'see CRL health');
    await reply(crlHealthMessage(await this.deps.admin.crlStatuses()));
  }

  private async connectionLogs(job: Extract<Job, { type: 'logs' }>, reply: (m: MessageView) => Promise<void>): Promise<void> {
    await this.requireAdmin(job.actorId, 'read connection logs');
    const report = await this.deps.admin.connectionInsights(job.hours);
    const charted = report.endpoints.flatMap((insights) => (insights.summary && insights.summary.attempts > 0 ? [insights.summary] : [])).slice(0, MAX_CHARTS);
    let chart: ChartDelivery | undefined;
    if (charted.length > 0) {
      try {
        // A response_url reply cannot carry a file and an image block needs a public URL: the PNG goes to the DM.
        for (const summary of charted) {
          const filename = `connection-attempts-${summary.endpoint.replace(/[^A-Za-z0-9.-]+/g, '-')}.png`;
          await uploadToDm(this.deps.client, job.actorId, { filename, content: attemptsChartPng(summary.hourly), comment: chartComment(summary) });
        }
        chart = { sent: true };
      } catch (error) {
        this.deps.log?.('connection chart upload failed', error);
        chart = { sent: false, reason: `${(error as Error).message} The summary above is complete without it.` };
      }
    }
    await reply(connectionInsightsMessage(report, chart));
  }

  async publishHome(userId: string, page = 0): Promise<void> {
    const isAdmin = await this.deps.admins.isAdmin(userId);
    const data = await loadHomeData(this.deps.admin, userId, isAdmin, page);
    await this.deps.client.views.publish({ user_id: userId, view: homeView(data) });
  }
}
