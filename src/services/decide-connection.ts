import { randomUUID } from 'node:crypto';
import { Approval, ApprovalStatus, ConnectDecision, ConnectRequest, deny } from '../domain/approval';
import { effectiveStatus } from '../domain/certificate';
import { decodeCn } from '../domain/cn';
import type { ApprovalStore, AuditLog, CertificateStore, Clock, IdempotencyStore } from '../ports';

/** How the owner is asked and told: a Slack DM in production, a recorder in tests. */
export interface ApprovalNotifier {
  /** Post the prompt; returns the message that a 👍 must be put on. */
  prompt(approval: Approval): Promise<{ channel: string; ts: string }>;
  /** Rewrite the prompt as Approved / Denied / Expired. */
  settle(approval: Approval, status: Exclude<ApprovalStatus, 'PENDING'>): Promise<void>;
  alertAdmins(alert: LoginAlert): Promise<void>;
}

/**
 * What the admins are told about a login. Data, not text: the platform and versions come from the VPN
 * client and are the sender's to choose, so only the adapter that shows them knows how to make them inert.
 */
export type LoginAlert =
  | { kind: 'prompt-flood'; slackId: string; promptLimit: number; windowMinutes: number; request: ConnectRequest }
  | { kind: 'not-me'; slackId: string; cn: string; serial: string; request: ConnectRequest };

export interface ApprovalPolicy {
  certDomain: string;
  /** APPROVALS=off: the certificate gate alone decides (an emergency switch for when Slack is down). */
  approvals: 'on' | 'off';
  /** How long the owner has to answer (APPROVAL_TIMEOUT_S); the VPN stops waiting at 30 s. */
  timeoutMs: number;
  /** 0 turns remembered approvals off. */
  rememberHours: number;
  promptLimit: number;
  promptWindowMs: number;
  /** After "Not me", no prompts for that certificate for this long. */
  coolDownMs: number;
  pollMs: number;
}

export const DEFAULT_POLICY: Omit<ApprovalPolicy, 'certDomain'> = {
  approvals: 'on',
  timeoutMs: 25_000,
  rememberHours: 8,
  promptLimit: 3,
  promptWindowMs: 10 * 60_000,
  coolDownMs: 20 * 60_000,
  pollMs: 100,
};

export interface DecideDeps {
  certificates: CertificateStore;
  approvals: ApprovalStore;
  audit: AuditLog;
  idempotency: IdempotencyStore;
  notifier: ApprovalNotifier;
  clock: Clock;
  policy: ApprovalPolicy;
  sleep?: (ms: number) => Promise<void>;
}

const NOT_YOURS = 'This VPN certificate is not active (revoked, expired or unknown). Get a new profile with /vpn issue in Slack.';
const ERROR = 'The VPN could not check your login just now, so it was refused. Try again in a minute; if it keeps failing, tell your VPN admin.';

/**
 * Decide one new VPN connection: the certificate gate (known, active, unexpired, the owner's),
 * then a remembered approval, fatigue limits, and otherwise the owner's 👍 read from DynamoDB
 * until the deadline. Any failure denies (fails closed) with a message the person can act on.
 */
export async function decideConnection(deps: DecideDeps, request: ConnectRequest, startedAt = deps.clock.now()): Promise<ConnectDecision> {
  const deadline = new Date(startedAt.getTime() + deps.policy.timeoutMs);
  try {
    const decision = await decide(deps, request, deadline);
    await deps.audit
      .append({
        actor: 'system:connect',
        action: 'approval.decide',
        target: request.commonName.slice(0, 100) || '(no CN)',
        outcome: decision.allow ? 'success' : 'refused',
        details: { reason: decision.reason, endpoint: request.endpointId, connection: request.connectionId, publicIp: request.publicIp, platform: request.platform },
      })
      .catch(() => undefined);
    return decision;
  } catch {
    return deny('error', ERROR);
  }
}

async function decide(deps: DecideDeps, request: ConnectRequest, deadline: Date): Promise<ConnectDecision> {
  const { certificates, approvals, clock, policy } = deps;
  let slackId: string;
  try {
    slackId = decodeCn(request.commonName, policy.certDomain).slackId;
  } catch {
    return deny('unknown-certificate', NOT_YOURS);
  }
  const certificate = await certificates.byActiveCn(request.commonName);
  if (!certificate || certificate.slackId !== slackId) return deny('unknown-certificate', NOT_YOURS);
  const status = effectiveStatus(certificate, clock.now());
  if (status === 'expired') return deny('expired', 'This VPN certificate has expired. Get a new profile with /vpn issue in Slack.');
  if (status === 'suspended') return deny('suspended', 'This VPN certificate is paused after a "Not me" answer. Re-enable it on the VPN app\'s Home tab in Slack, or ask a VPN admin.');
  if (status !== 'active') return deny('revoked', NOT_YOURS);
  // Revoked, paused, expired and unknown certificates are refused above whatever this switch says.
  if (policy.approvals === 'off') return { allow: true, reason: 'approvals-off', message: '' };

  if (policy.rememberHours > 0 && request.publicIp && (await approvals.isRemembered(request.commonName, request.publicIp, clock.now()))) {
    return { allow: true, reason: 'remembered', message: '' };
  }
  if (await approvals.isCoolingDown(certificate.serial, clock.now())) {
    return deny('cooling-down', 'Logins with this certificate are paused for a few minutes after a "Not me" answer.');
  }
  if (!(await approvals.claimPrompt(slackId, clock.now(), policy.promptLimit, policy.promptWindowMs))) {
    await alertFloodOnce(deps, slackId, request);
    return deny('rate-limited', 'Too many login attempts in the last few minutes; wait a while before connecting again.');
  }

  const approval: Approval = {
    id: randomUUID(),
    status: 'PENDING',
    slackId,
    cn: request.commonName,
    serial: certificate.serial,
    request,
    requestedAt: clock.now(),
    deadline,
  };
  await approvals.create(approval);
  const message = await deps.notifier.prompt(approval);
  await approvals.attachMessage(approval.id, message.channel, message.ts);
  const placed = { ...approval, ...message };

  const outcome = await waitForDecision(deps, approval.id, deadline);
  // Approve and Not me rewrite the prompt on the bot's side; only an unanswered prompt is closed here.
  if (outcome === 'EXPIRED') await settleQuietly(deps, placed, outcome);
  if (outcome === 'APPROVED') {
    if (policy.rememberHours > 0 && request.publicIp) {
      await approvals.remember(request.commonName, request.publicIp, new Date(clock.now().getTime() + policy.rememberHours * 3_600_000));
    }
    return { allow: true, reason: 'approved', message: '' };
  }
  if (outcome === 'DENIED') return deny('denied-by-owner', 'You answered "Not me" in Slack, so this login was refused and the certificate paused.');
  return deny('timeout', 'Nobody approved this login in Slack in time. Connect again and react 👍 to the message from the VPN bot.');
}

/** Strongly consistent reads at `pollMs` until a decision or the deadline; a late decision loses to EXPIRED atomically. */
async function waitForDecision(deps: DecideDeps, id: string, deadline: Date): Promise<Exclude<ApprovalStatus, 'PENDING'>> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (;;) {
    const current = await deps.approvals.get(id);
    if (current && current.status !== 'PENDING') return current.status;
    const left = deadline.getTime() - deps.clock.now().getTime();
    if (left <= 0) break;
    await sleep(Math.min(deps.policy.pollMs, left));
  }
  if (await deps.approvals.decide(id, 'EXPIRED', 'system:deadline', deps.clock.now())) return 'EXPIRED';
  const final = await deps.approvals.get(id);
  return final && final.status !== 'PENDING' ? final.status : 'EXPIRED';
}

/** The DM's final state is a courtesy: it must never delay or change the answer to the VPN. */
async function settleQuietly(deps: DecideDeps, approval: Approval, status: Exclude<ApprovalStatus, 'PENDING'>): Promise<void> {
  await Promise.race([deps.notifier.settle(approval, status).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1_500))]);
}

async function alertFloodOnce(deps: DecideDeps, slackId: string, request: ConnectRequest): Promise<void> {
  const window = Math.floor(deps.clock.now().getTime() / deps.policy.promptWindowMs);
  if (!(await deps.idempotency.claim(`prompt-flood:${slackId}:${window}`, Math.ceil(deps.policy.promptWindowMs / 1000) * 2))) return;
  await deps.notifier
    .alertAdmins({ kind: 'prompt-flood', slackId, promptLimit: deps.policy.promptLimit, windowMinutes: deps.policy.promptWindowMs / 60_000, request })
    .catch(() => undefined);
}
