import { randomUUID } from 'node:crypto';
import { Approval, ApprovalStatus, ConnectDecision, ConnectRequest, deny } from '../domain/approval';
import { CertificateRecord, effectiveStatus } from '../domain/certificate';
import { decodeCn } from '../domain/cn';
import { Deadline, OUT_OF_TIME, settleBy } from '../domain/deadline';
import type {
  ApprovalNotifier,
  ApprovalStore,
  AuditLog,
  CertificateStore,
  Clock,
  IdempotencyStore,
  LoginReader,
} from '../ports';
import { HOUR_MS, MINUTE_MS, sleep } from '../domain/time';
import { nextPollMs } from '../domain/poll-schedule';

export interface ApprovalPolicy {
  certDomain: string;
  /** APPROVALS=off: the certificate gate alone decides (an emergency switch for when Slack is down). */
  approvals: 'on' | 'off';
  /**
   * How long the owner has to answer (APPROVAL_TIMEOUT_S), counted from the VPN's call; the VPN stops waiting at 30 s.
   */
  timeoutMs: number;
  /**
   * Reserved after the owner's time for the last writes and the answer: the answer is due `timeoutMs +
   * closingMs` after the VPN's call. Half goes to the decision's own last steps, half to closing it.
   */
  closingMs: number;
  /** 0 turns remembered approvals off. */
  rememberHours: number;
  promptLimit: number;
  promptWindowMs: number;
  /** After "Not me", no prompts for that certificate for this long. */
  coolDownMs: number;
  /** The interval between reads while the owner is likely to answer (see domain/poll-schedule.ts). */
  pollMs: number;
}

export const DEFAULT_POLICY: Omit<ApprovalPolicy, 'certDomain'> = {
  approvals: 'on',
  timeoutMs: 25_000,
  closingMs: 3_000,
  rememberHours: 8,
  promptLimit: 3,
  promptWindowMs: 10 * MINUTE_MS,
  coolDownMs: 20 * MINUTE_MS,
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
  /**
   * The certificate and its remembered approval in one go; without it, read one after the other from the two stores.
   */
  logins?: LoginReader;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The same stores and notifier with every call bounded by `deadline` (aborted when it passes, a
   * Slack 429 waited out only while that leaves time). Without it, only the decision as a whole is bounded.
   */
  within?: (
    deadline: Deadline,
  ) => Pick<DecideDeps, 'certificates' | 'approvals' | 'audit' | 'idempotency' | 'notifier' | 'logins'>;
}

/** How far one decision got, for closing it whatever happened: a placed prompt is never left PENDING. */
interface Progress {
  stage: 'checking' | 'prompting' | 'waiting';
  /** The approval created and not yet decided, with its DM once posted. */
  open?: Approval;
  /** The owner's answer once read: it stands even if what follows (remembering it) runs out of time. */
  answered?: ConnectDecision;
  /** Facts for the audit entry, e.g. that an approval could not be remembered. */
  notes: Record<string, string | boolean>;
}

const NOT_YOURS =
  'This VPN certificate is not active (revoked, expired or unknown). Get a new profile with /vpn issue in Slack.';
const ERROR =
  'The VPN could not check your login just now, so it was refused. Try again in a minute; if it keeps failing, tell your VPN admin.';
/** What went wrong, by how far the decision got: the person is told the truth, never blamed for our fault. */
const FAILED: Record<Progress['stage'], string> = {
  checking: ERROR,
  prompting:
    'The VPN could not send your login request to Slack just now, so this login was refused. Connect again in a minute; if it keeps failing, tell your VPN admin.',
  waiting:
    'The VPN could not read your answer in Slack in time (its database was too slow), so this login was refused. Connect again in a minute; if it keeps failing, tell your VPN admin.',
};

/**
 * Decide one new VPN connection: the certificate gate (known, active, unexpired, the owner's),
 * then a remembered approval, fatigue limits, and otherwise the owner's 👍 read from DynamoDB
 * until the deadline. Any failure denies (fails closed) with a message the person can act on.
 *
 * The VPN gives up after 30 s (Client VPN) and then refuses with a message of its own, so the
 * whole decision races its deadline: whatever Slack or DynamoDB do, the answer is given by
 * `startedAt + timeoutMs + closingMs`, audited, and an approval it opened is closed.
 */
export async function decideConnection(
  deps: DecideDeps,
  request: ConnectRequest,
  startedAt = deps.clock.now(),
): Promise<ConnectDecision> {
  const now = () => deps.clock.now();
  const deadline = new Date(startedAt.getTime() + deps.policy.timeoutMs);
  const answerBy = new Deadline(new Date(deadline.getTime() + deps.policy.closingMs), now);
  const decideBy = new Deadline(new Date(answerBy.at.getTime() - deps.policy.closingMs / 2), now);
  const progress: Progress = { stage: 'checking', notes: {} };
  let decision: ConnectDecision;
  try {
    const outcome = await settleBy(
      decide({ ...deps, ...deps.within?.(decideBy) }, request, deadline, progress),
      decideBy,
    );
    decision = outcome === OUT_OF_TIME ? (progress.answered ?? deny('error', FAILED[progress.stage])) : outcome;
    if (outcome === OUT_OF_TIME) progress.notes.outOfTime = progress.stage;
  } catch {
    decision = deny('error', FAILED[progress.stage]);
  }
  // Closing uses the unbounded stores: what cannot finish before the answer still finishes after it.
  const resolving = resolveOpen(deps, decision, progress);
  const resolved = await settleBy(resolving, answerBy).catch((): typeof OUT_OF_TIME => OUT_OF_TIME);
  // The audit records the answer actually given: an owner's answer found too late does not change it.
  const final = resolved === OUT_OF_TIME ? decision : resolved.decision;
  const recording = (async () => {
    await audit(deps, request, final, progress);
    const open = progress.open;
    if (open && (await resolving).expired) await settleQuietly(deps, open, 'EXPIRED');
  })();
  await settleBy(recording, answerBy).catch(() => undefined);
  return final;
}

/**
 * An approval left open (the decision failed or ran out of time) is marked EXPIRED, unless the owner
 * decided it meanwhile: their answer then stands, if there is still time to give it.
 */
async function resolveOpen(
  deps: DecideDeps,
  decision: ConnectDecision,
  progress: Progress,
): Promise<{ decision: ConnectDecision; expired: boolean }> {
  const open = progress.open;
  if (!open) return { decision, expired: false };
  if (await deps.approvals.decide(open.id, 'EXPIRED', 'system:deadline', deps.clock.now()).catch(() => false))
    return { decision, expired: true };
  const current = await confirmDecision(deps, open).catch(() => undefined);
  if (current?.status === 'APPROVED') {
    // As on the normal path: a 👍 lets no one in once its certificate was revoked or paused meanwhile.
    if (!(await current.stillActive().catch(() => false)))
      return { decision: deny('revoked', NOT_YOURS), expired: false };
    return { decision: { allow: true, reason: 'approved', message: '' }, expired: false };
  }
  if (current?.status === 'DENIED') return { decision: deny('denied-by-owner', DENIED_BY_OWNER), expired: false };
  return { decision, expired: false };
}

async function audit(
  deps: DecideDeps,
  request: ConnectRequest,
  decision: ConnectDecision,
  progress: Progress,
): Promise<void> {
  await deps.audit
    .append({
      actor: 'system:connect',
      action: 'approval.decide',
      target: request.commonName.slice(0, 100) || '(no CN)',
      outcome: decision.allow ? 'success' : 'refused',
      details: {
        reason: decision.reason,
        endpoint: request.endpointId,
        connection: request.connectionId,
        publicIp: request.publicIp,
        platform: request.platform,
        ...(progress.open && { approval: progress.open.id }),
        ...progress.notes,
      },
    })
    .catch(() => undefined);
}

const DENIED_BY_OWNER = 'You answered "Not me" in Slack, so this login was refused and the certificate paused.';

async function decide(
  deps: DecideDeps,
  request: ConnectRequest,
  deadline: Date,
  progress: Progress,
): Promise<ConnectDecision> {
  const { approvals, clock, policy } = deps;
  let slackId: string;
  try {
    slackId = decodeCn(request.commonName, policy.certDomain).slackId;
  } catch {
    return deny('unknown-certificate', NOT_YOURS);
  }
  const { certificate, remembered, coolingDown } = await readLogin(deps, request);
  if (!certificate || certificate.slackId !== slackId) return deny('unknown-certificate', NOT_YOURS);
  const status = effectiveStatus(certificate, clock.now());
  if (status === 'expired')
    return deny('expired', 'This VPN certificate has expired. Get a new profile with /vpn issue in Slack.');
  if (status === 'suspended')
    return deny(
      'suspended',
      'This VPN certificate is paused after a "Not me" answer. Re-enable it on the VPN app\'s Home tab in Slack, or ask a VPN admin.',
    );
  if (status !== 'active') return deny('revoked', NOT_YOURS);
  // Revoked, paused, expired and unknown certificates are refused above whatever this switch says.
  if (policy.approvals === 'off') return { allow: true, reason: 'approvals-off', message: '' };

  if (remembered) return { allow: true, reason: 'remembered', message: '' };
  if (coolingDown ?? (await approvals.isCoolingDown(certificate.serial, clock.now()))) {
    return deny('cooling-down', 'Logins with this certificate are paused for a few minutes after a "Not me" answer.');
  }
  // Slack out of reach is our fault, not a login attempt: it must not use up one of the member's prompts.
  try {
    await deps.notifier.ready?.();
  } catch {
    return deny('error', FAILED.prompting);
  }
  if (!(await approvals.claimPrompt(slackId, clock.now(), policy.promptLimit, policy.promptWindowMs))) {
    await alertFloodOnce(deps, slackId, request);
    return deny(
      'rate-limited',
      'Too many login attempts in the last few minutes; wait a while before connecting again.',
    );
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
  progress.open = approval;
  await approvals.create(approval);
  progress.stage = 'prompting';
  const message = await deps.notifier.prompt(approval);
  const placed = { ...approval, ...message };
  progress.open = placed;
  progress.stage = 'waiting';
  const promptedAt = clock.now();
  await approvals.attachMessage(approval.id, message.channel, message.ts);

  const { outcome, unread, stillActive } = await waitForDecision(deps, approval, deadline, promptedAt, progress);
  progress.open = undefined;
  // Approve and Not me rewrite the prompt on the bot's side; only an unanswered prompt is closed here.
  if (outcome === 'EXPIRED') await settleQuietly(deps, placed, outcome);
  if (outcome === 'APPROVED') {
    // Revoked or paused while the prompt was open: the 👍 was for a certificate that no longer lets anyone in.
    if (!(await stillActive())) return deny('revoked', NOT_YOURS);
    progress.answered = { allow: true, reason: 'approved', message: '' };
    if (policy.rememberHours > 0 && request.publicIp) {
      const now = clock.now();
      // From the request, not from this write: a pause that lands in between still ends what is remembered.
      // The owner said yes: failing to remember it only means they are asked again next time.
      await approvals
        .remember(certificate.serial, request.publicIp, {
          from: approval.requestedAt,
          until: new Date(now.getTime() + policy.rememberHours * HOUR_MS),
        })
        .catch(() => (progress.notes.remembered = false));
    }
    return { allow: true, reason: 'approved', message: '' };
  }
  if (outcome === 'DENIED') return deny('denied-by-owner', DENIED_BY_OWNER);
  // Nobody may have answered, or the answer may be there unread: the person is told it was our database.
  if (unread) return deny('error', FAILED.waiting);
  return deny(
    'timeout',
    'Nobody approved this login in Slack in time. Connect again and react 👍 to the message from the VPN bot.',
  );
}

/**
 * The certificate, and whether this IP's approval of it is remembered: the certificate's own (by serial), granted
 * after its last pause ("Not me"). Read before the certificate's checks, which still refuse whatever is remembered.
 * The login reader reads the cooldown with them; without it, `coolingDown` is left for a prompted login to read.
 */
async function readLogin(
  deps: DecideDeps,
  request: ConnectRequest,
): Promise<{ certificate: CertificateRecord | undefined; remembered: boolean; coolingDown?: boolean }> {
  const { approvals, rememberHours } = deps.policy;
  const publicIp = approvals === 'on' && rememberHours > 0 ? request.publicIp || undefined : undefined;
  if (deps.logins) return deps.logins.read(request.commonName, publicIp, deps.clock.now());
  const certificate = await deps.certificates.byActiveCn(request.commonName);
  const remembered =
    certificate !== undefined &&
    publicIp !== undefined &&
    (await deps.approvals.isRemembered(certificate.serial, publicIp, deps.clock.now(), certificate.suspendedAt));
  return { certificate, remembered };
}

/**
 * Reads on the poll schedule until a decision or the deadline; a late decision loses to EXPIRED atomically.
 * Polls are eventually consistent, at half the cost: a stale one can only show PENDING a moment longer, and
 * a decision one shows counts only once a strongly consistent read confirms it.
 *
 * A read that fails (throttled, or slow under a reconnect storm) does not end the wait: the next one may find
 * the answer while there is time. `unread` says the last read before the deadline failed, so an EXPIRED then
 * may hide an answer nobody could read.
 */
async function waitForDecision(
  deps: DecideDeps,
  approval: Approval,
  deadline: Date,
  promptedAt: Date,
  progress: Progress,
): Promise<{ outcome: Exclude<ApprovalStatus, 'PENDING'>; unread: boolean; stillActive: () => Promise<boolean> }> {
  const { id } = approval;
  const pause = deps.sleep ?? sleep;
  let unread = false;
  for (;;) {
    const now = deps.clock.now().getTime();
    const left = deadline.getTime() - now;
    if (left <= 0) break;
    await pause(Math.min(nextPollMs(now - promptedAt.getTime(), deps.policy.pollMs), left));
    try {
      const seen = await deps.approvals.peek(id);
      unread = false;
      if (seen && seen.status !== 'PENDING') {
        const { status, stillActive } = await confirmDecision(deps, approval);
        if (status && status !== 'PENDING') return { outcome: status, unread, stillActive };
      }
    } catch {
      unread = true;
      progress.notes.pollFailed = true;
    }
  }
  if (await deps.approvals.decide(id, 'EXPIRED', 'system:deadline', deps.clock.now()))
    return { outcome: 'EXPIRED', unread, stillActive: async () => false };
  const { status, stillActive } = await confirmDecision(deps, approval);
  return { outcome: status && status !== 'PENDING' ? status : 'EXPIRED', unread: false, stillActive };
}

/**
 * Approval `open` read strongly consistent, and whether its certificate still lets anyone in: revoked or paused
 * while the prompt was open, a 👍 was for a certificate that no longer does. The login reader reads both in one
 * request; without it, the certificate is read only when asked, for an approval.
 */
async function confirmDecision(
  deps: Pick<DecideDeps, 'approvals' | 'certificates' | 'logins' | 'clock'>,
  open: Pick<Approval, 'id' | 'cn' | 'serial'>,
): Promise<{ status: ApprovalStatus | undefined; stillActive: () => Promise<boolean> }> {
  const active = (still: CertificateRecord | undefined) =>
    still?.serial === open.serial && effectiveStatus(still, deps.clock.now()) === 'active';
  if (deps.logins) {
    const { approval, certificate } = await deps.logins.confirm(open.id, open.cn, open.serial);
    return { status: approval?.status, stillActive: async () => active(certificate) };
  }
  const approval = await deps.approvals.get(open.id);
  return { status: approval?.status, stillActive: async () => active(await deps.certificates.byActiveCn(open.cn)) };
}

/** The DM's final state is a courtesy: it must never delay or change the answer to the VPN. */
async function settleQuietly(
  deps: DecideDeps,
  approval: Approval,
  status: Exclude<ApprovalStatus, 'PENDING'>,
): Promise<void> {
  await Promise.race([deps.notifier.settle(approval, status).catch(() => undefined), sleep(1_500)]);
}

async function alertFloodOnce(deps: DecideDeps, slackId: string, request: ConnectRequest): Promise<void> {
  const window = Math.floor(deps.clock.now().getTime() / deps.policy.promptWindowMs);
  if (
    !(await deps.idempotency.claim(
      `prompt-flood:${slackId}:${window}`,
      Math.ceil(deps.policy.promptWindowMs / 1000) * 2,
    ))
  )
    return;
  await deps.notifier
    .alertAdmins({
      kind: 'prompt-flood',
      slackId,
      promptLimit: deps.policy.promptLimit,
      windowMinutes: deps.policy.promptWindowMs / MINUTE_MS,
      request,
    })
    .catch(() => undefined);
}
