import { CertificateRecord, CertificateStatus, effectiveStatus } from '../../domain/certificate';
import { isSlackId } from '../../domain/cn';
import type { CrlStatus } from '../../services/crl-status';
import type { PublishOutcome } from '../../services/publish-crl';
import type { CrlStep, RevocationReport } from '../../services/revoke';
import { ACTION, RevokeRequestValue } from '../ids';
import { SLACK_LIMITS, clip, clipMrkdwn } from './limits';
import type { Block, MessageView } from './types';
import { DAY_MS } from '../../domain/time';

/** An active certificate this close to expiry is flagged, so its owner issues a new one in time. */
const EXPIRES_SOON_DAYS = 14;
/** One certificate or endpoint entry; long enough for every fact, short enough that lists stay readable. */
const ENTRY_MAX = 900;
/** Leaves room under the 50-block message limit for a heading, a "more" line and buttons. */
const MESSAGE_LIST_BLOCKS = 40;
/** A revocation reason is a word or a sentence; what is shown to the admin is exactly what gets recorded. */
const REASON_MAX = 500;

// ---- text ------------------------------------------------------------------------------------
//
// The rule for text from outside (connect events, log lines, CSR subjects, device labels, names,
// Slack profile fields, error messages): it reaches mrkdwn only through `userText` or `code`, and
// plain_text only through `plainText`. Slack has no escape for its formatting characters, so:
// - `&`, `<`, `>` become entities: no mention, channel ping, link or date token can be formed;
// - line breaks, control characters and bidi overrides become one space: no forged lines, quotes or "fields";
// - outside a code span, `*`, `~` and `` ` `` become look-alikes (∗ ∼ ˋ), and so does `_` unless it sits
//   between two letters or digits (`alice_laptop` keeps it; there Slack never reads it as italics),
//   and a leading `>` becomes `›`, so a value that starts a line cannot start a quote;
// - inside a code span only `` ` `` could end the span early, so only it becomes a look-alike;
// - the length is capped, so a 5,000-character value cannot push a block over Slack's limits.
// Look-alikes change what is shown, never what is stored or audited.

const FLATTEN = /[\p{Cc}\s\u202A-\u202E\u2066-\u2069]+/gu;
const oneLine = (raw: string, max: number) => clip(raw.replace(FLATTEN, ' ').trim(), max);
const LOOK_ALIKE: Record<string, string> = { '*': '\u2217', '~': '\u223C', '`': '\u02CB', _: '\uFF3F' };

/** Slack reads `&`, `<` and `>` in mrkdwn as markup (`<!channel>`, `<@U…>`, links); user text must not be. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A user-controlled value inside one line of mrkdwn, outside a code span: see the rule above. */
export function userText(raw: string, max = 120): string {
  return escapeMrkdwn(oneLine(raw, max).replace(/^>/, '\u203A')).replace(/[*~`]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, (char) => LOOK_ALIKE[char]);
}

/** A user-controlled value as a code span (CNs, serials, addresses): exact but for a backtick, which could close the span. */
export const code = (raw: string, max = 120) => `\`${escapeMrkdwn(oneLine(raw, max)).replace(/`/g, LOOK_ALIKE['`'])}\``;

/** A user-controlled value in a plain_text object: Slack shows it as typed, so only lines and length need taming. */
export const plainText = (raw: string, max: number) => oneLine(raw, max);

const MEMBER_MENTION = /(<@[UW][A-Z0-9]{2,}>)/;

/**
 * For text our listeners compose around a member mention (`<@U123> has no certificates`): the mention
 * stays a mention, everything else (`<!channel>`, links, `&`) is escaped. Outside text in it has already
 * been through `userText` or `code`, so the entities those made are kept rather than escaped twice.
 */
function escapeMrkdwnExceptMentions(text: string): string {
  return text
    .split(MEMBER_MENTION)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/&(?!amp;|lt;|gt;)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('');
}

/**
 * A Slack member ID as a mention; anything else (`vpnctl:alice`, `system:renew-crl`, a stored `<@U…>`)
 * as text, so only an ID our code recorded can ping anyone.
 */
export function mention(id: string): string {
  return isSlackId(id) ? `<@${id}>` : userText(id, 80);
}

export const plural = (count: number, one: string, many = `${one}s`) => `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;

export function formatTime(date: Date): string {
  if (Number.isNaN(date.getTime())) return 'an unknown time';
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

const formatIsoTime = (iso: string) => (Number.isNaN(Date.parse(iso)) ? userText(iso, 40) : formatTime(new Date(iso)));

function expiryPhrase(notAfter: Date, now: Date): string {
  const ms = notAfter.getTime() - now.getTime();
  if (ms <= 0) {
    const ago = Math.floor(-ms / DAY_MS);
    return `expired ${formatTime(notAfter)} (${ago === 0 ? 'today' : `${plural(ago, 'day')} ago`})`;
  }
  const days = Math.floor(ms / DAY_MS);
  return `expires ${formatTime(notAfter)} (${days === 0 ? 'less than a day left' : `${plural(days, 'day')} left`})`;
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const STATUS_BADGE: Record<CertificateStatus, string> = {
  active: '✅ Active',
  suspended: '⏸️ Suspended',
  revoked: '⛔ Revoked',
  expired: '⌛ Expired',
};

function statusBadge(record: CertificateRecord, now: Date): string {
  const status = effectiveStatus(record, now);
  if (status === 'active' && record.notAfter.getTime() - now.getTime() < EXPIRES_SOON_DAYS * DAY_MS) return '⚠️ Expires soon';
  return STATUS_BADGE[status];
}

/** Whether revoking still changes anything: revoked and expired certificates open nothing. */
export function isRevocable(record: CertificateRecord, now: Date): boolean {
  const status = effectiveStatus(record, now);
  return status === 'active' || status === 'suspended';
}

const deviceName = (record: CertificateRecord) => userText(record.device ?? 'no device label', 60);

/** Every fact about one certificate; `owner` adds whose it is, for admin lists. */
export function certificateText(record: CertificateRecord, now: Date, options: { owner?: boolean } = {}): string {
  const owner = options.owner
    ? ` · ${record.slackId ? mention(record.slackId) : 'no Slack owner'}${record.displayName ? ` (${userText(record.displayName, 80)})` : ''}`
    : '';
  // `source` is read from the table unchecked; one this version does not know shows nothing rather than "undefined".
  const source = { issued: '', csr: ' · own key (CSR)', easyrsa: ' · imported from Easy-RSA', crl: ' · known only from an endpoint\'s CRL' }[record.source] ?? '';
  const lines = [
    `${statusBadge(record, now)} · *${deviceName(record)}*${owner}`,
    `${code(record.cn)} · serial ${code(record.serial, 64)}${source}`,
    record.status === 'revoked' ? `Would have expired ${formatTime(record.notAfter)}` : capitalize(expiryPhrase(record.notAfter, now)),
  ];
  if (record.status === 'revoked') {
    const facts = [
      record.revokedAt && formatTime(record.revokedAt),
      record.reason && `(${userText(record.reason, REASON_MAX)})`,
      record.revokedBy && `by ${mention(record.revokedBy)}`,
    ].filter(Boolean);
    lines.push(['Revoked', ...facts].join(' '));
  }
  return clipMrkdwn(lines.join('\n'), ENTRY_MAX);
}

const STATUS_ORDER: Record<CertificateStatus, number> = { active: 0, suspended: 1, expired: 2, revoked: 3 };

/** A member's own certificates: usable ones first, newest first within a status. */
export const byRelevance = (now: Date) => (a: CertificateRecord, b: CertificateRecord) =>
  STATUS_ORDER[effectiveStatus(a, now)] - STATUS_ORDER[effectiveStatus(b, now)] || b.issuedAt.getTime() - a.issuedAt.getTime();

/** Admin lists: by CN (so one person's certificates sit together), a stable order for paging. */
export const byCn = (a: CertificateRecord, b: CertificateRecord) =>
  a.cn < b.cn ? -1 : a.cn > b.cn ? 1 : a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0;

const HEALTH_BADGE: Record<CrlStatus['health'], string> = { ok: '✅', warn: '⚠️', fail: '❌' };
const HEALTH_ORDER: Record<CrlStatus['health'], number> = { fail: 0, warn: 1, ok: 2 };

/** Failing endpoints first: when a list is cut short, the healthy ones go unlisted. */
export const byHealth = (a: CrlStatus, b: CrlStatus) => HEALTH_ORDER[a.health] - HEALTH_ORDER[b.health];

/** The same facts as `vpnctl crl status` (cli/render.ts crlStatusTable). */
export function crlStatusText(status: CrlStatus): string {
  const live = status.live;
  const facts = [
    live
      ? `Live CRL #${userText(live.number ?? '?', 40)} · ${plural(live.entries, 'entry', 'entries')} (limit 20,000) · next update ${live.nextUpdate ? formatIsoTime(live.nextUpdate) : 'none'}${status.daysLeft !== undefined ? ` (${status.daysLeft.toFixed(1)} days left)` : ''}`
      : 'No CRL on the endpoint',
    live && !live.signedByOurCa ? '*NOT signed by our CA*' : undefined,
    status.recordedNumber !== undefined
      ? `Last publish #${userText(status.recordedNumber, 40)}${status.publishedAt ? ` at ${formatIsoTime(status.publishedAt)}` : ''}`
      : 'Never published by us',
    status.outstanding ? `${plural(status.outstanding, 'publish request')} outstanding` : undefined,
    status.lastError ? `Last error: ${userText(status.lastError, 300)}` : undefined,
    status.readError ? `Could not read the live CRL: ${userText(status.readError, 300)}` : undefined,
  ].filter((fact): fact is string => fact !== undefined);
  const problems = status.problems.map((problem) => `→ ${userText(problem, 300)}`);
  return clipMrkdwn([`${HEALTH_BADGE[status.health]} *${userText(status.endpoint, 100)}*`, ...facts, ...problems].join('\n'), ENTRY_MAX);
}

// ---- blocks ----------------------------------------------------------------------------------

export const plain = (text: string, max: number) => ({ type: 'plain_text' as const, text: clip(text, max), emoji: true });

export const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: clipMrkdwn(text, SLACK_LIMITS.text) } });

export const context = (text: string): Block => ({ type: 'context', elements: [{ type: 'mrkdwn', text: clipMrkdwn(text, SLACK_LIMITS.text) }] });

export const header = (text: string): Block => ({ type: 'header', text: plain(text, SLACK_LIMITS.headerText) });

export interface ButtonOptions {
  value?: string;
  style?: 'primary' | 'danger';
  /** A Block Kit confirmation dialog, for buttons whose effect cannot be undone or disrupts others. */
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export function button(text: string, actionId: string, options: ButtonOptions = {}): Record<string, unknown> {
  return {
    type: 'button',
    action_id: actionId,
    text: plain(text, SLACK_LIMITS.buttonText),
    ...(options.value !== undefined && { value: options.value }),
    ...(options.style && { style: options.style }),
    ...(options.confirm && {
      confirm: {
        title: plain(options.confirm.title, SLACK_LIMITS.confirmTitle),
        text: plain(options.confirm.text, SLACK_LIMITS.confirmText),
        confirm: plain(options.confirm.confirm, SLACK_LIMITS.confirmButton),
        deny: plain(options.confirm.deny, SLACK_LIMITS.confirmButton),
        ...(options.style === 'danger' && { style: 'danger' }),
      },
    }),
  };
}

export const actions = (...elements: Record<string, unknown>[]): Block => ({ type: 'actions', elements });

/** Publishing re-imports the CRL everywhere, and on AWS every import drops every connection: worth a second look. */
export const publishCrlButton = () =>
  button('Publish now', ACTION.publishCrl, {
    confirm: {
      title: 'Publish a new CRL now?',
      text: 'A fresh CRL is built and imported on every endpoint. On AWS Client VPN each import resets every connection, so everyone connected reconnects.',
      confirm: 'Publish',
      deny: 'Not now',
    },
  });

/**
 * One section: a heading, then as many lines as `maxLines` and the text limit allow, then "…and N more".
 * For the App Home, where every block counts.
 */
export function listSection(heading: string, lines: string[], options: { maxLines: number; empty: string; more: (hidden: number) => string }): Block {
  if (lines.length === 0) return section(`${heading}\n${options.empty}`);
  let text = heading;
  let shown = 0;
  for (const line of lines.slice(0, options.maxLines)) {
    const next = `${text}\n${clipMrkdwn(line, ENTRY_MAX)}`;
    const hidden = lines.length - shown - 1;
    const reserve = hidden > 0 ? options.more(hidden).length + 1 : 0;
    if (next.length + reserve > SLACK_LIMITS.text) break;
    text = next;
    shown++;
  }
  const hidden = lines.length - shown;
  return section(hidden > 0 ? `${text}\n${options.more(hidden)}` : text);
}

/**
 * Entries packed into as few sections as the text limit allows, at most `maxBlocks` of them; entries
 * that do not fit are counted in a closing context line rather than silently dropped.
 */
export function packedSections(entries: string[], options: { maxBlocks: number; separator?: string; more: (hidden: number) => string }): Block[] {
  const separator = options.separator ?? '\n';
  const texts: string[] = [];
  let shown = 0;
  for (const raw of entries) {
    const entry = clipMrkdwn(raw, ENTRY_MAX);
    const last = texts.length - 1;
    if (last >= 0 && texts[last].length + separator.length + entry.length <= SLACK_LIMITS.text) texts[last] += separator + entry;
    else if (texts.length < options.maxBlocks) texts.push(entry);
    else break;
    shown++;
  }
  const blocks = texts.map(section);
  if (shown < entries.length) blocks.push(context(options.more(entries.length - shown)));
  return blocks;
}

const message = (text: string, blocks: Block[]): MessageView => ({ text: clip(text, SLACK_LIMITS.messageText), blocks });

// ---- messages --------------------------------------------------------------------------------

export function helpMessage(isAdmin: boolean): MessageView {
  const lines = [
    '*What `/vpn` does*',
    '`/vpn issue [device]`: get a VPN profile, sent to you in a DM, e.g. `/vpn issue laptop`',
    '`/vpn status`: your certificates and when they expire',
    '`/vpn revoke`: revoke your own certificates, e.g. when a laptop is lost or stolen',
    '`/vpn help`: this list',
  ];
  if (isAdmin) {
    lines.push(
      '',
      '*Admin*',
      "`/vpn revoke @user [reason]`: end someone's VPN access everywhere: new logins refused at once, live sessions ended, a new CRL published. Reason e.g. `affiliationChanged` or `keyCompromise`",
      "`/vpn list [@user]`: every certificate, or one member's",
      '`/vpn crl`: CRL health per endpoint, with *Publish now*',
      '`/vpn logs [hours]`: connection attempts over the last 24 hours (at most 168): failures by reason, floods, people who keep failing',
      '`/vpn doctor`: every check that can lock people out (CRLs, certificates, endpoints, DynamoDB, Slack, clock), each with its fix',
      '`/vpn audit [@user] [since]`: the audit trail as a CSV file in your DM, e.g. `/vpn audit @jane 30d` or `/vpn audit 2026-11-01`',
    );
  }
  return message('VPN commands: /vpn issue [device], /vpn status, /vpn revoke, /vpn help', [
    section(lines.join('\n')),
    actions(button('Use my own key (CSR)', ACTION.issueWithCsr)),
    context('To keep your private key on your own computer, paste a certificate signing request instead. Your certificates and recent logins are on the Home tab of this app.'),
  ]);
}

export function statusMessage(certificates: CertificateRecord[], now: Date): MessageView {
  if (certificates.length === 0) {
    return message('You have no VPN certificates yet.', [section('You have no VPN certificates yet. Run `/vpn issue [device]` to get a profile.')]);
  }
  const active = certificates.filter((record) => isRevocable(record, now)).sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime());
  const summary = active.length
    ? `You have ${plural(active.length, 'active VPN certificate')}; the first ${expiryPhrase(active[0].notAfter, now)}.`
    : 'None of your VPN certificates is active. Run `/vpn issue [device]` to get a new profile.';
  return message(summary, [
    section(`*Your VPN certificates*\n${summary}`),
    ...packedSections(
      [...certificates].sort(byRelevance(now)).map((record) => certificateText(record, now)),
      { maxBlocks: MESSAGE_LIST_BLOCKS, separator: '\n\n', more: (hidden) => `…and ${plural(hidden, 'more certificate')}: the Home tab lists them all.` },
    ),
  ]);
}

/** `who`: a Slack member ID (shown as a mention) or a label; absent for every certificate. */
export function certificateListMessage(certificates: CertificateRecord[], now: Date, who?: string): MessageView {
  const whose = who ? ` of ${mention(who)}` : '';
  if (certificates.length === 0) {
    const text = who ? `${mention(who)} has no VPN certificates.` : 'No VPN certificates have been issued yet.';
    return message(text, [section(text)]);
  }
  const counts = new Map<CertificateStatus, number>();
  for (const record of certificates) counts.set(effectiveStatus(record, now), (counts.get(effectiveStatus(record, now)) ?? 0) + 1);
  const breakdown = (Object.keys(STATUS_ORDER) as CertificateStatus[])
    .filter((status) => counts.has(status))
    .map((status) => `${(counts.get(status) ?? 0).toLocaleString('en-US')} ${status}`)
    .join(', ');
  const summary = `${plural(certificates.length, 'VPN certificate')}${whose}: ${breakdown}.`;
  return message(summary, [
    section(`*VPN certificates${whose}*\n${summary}`),
    ...packedSections(
      [...certificates].sort(byCn).map((record) => certificateText(record, now, { owner: true })),
      { maxBlocks: MESSAGE_LIST_BLOCKS, separator: '\n\n', more: (hidden) => `…and ${plural(hidden, 'more certificate')}: the Home tab pages through them all, and \`vpnctl list\` prints them.` },
    ),
  ]);
}

export function crlHealthMessage(statuses: CrlStatus[]): MessageView {
  if (statuses.length === 0) {
    const text = 'No VPN endpoints are configured (VPN_ENDPOINTS), so there is no CRL to check.';
    return message(text, [section(text)]);
  }
  const failing = statuses.filter((s) => s.health === 'fail').length;
  const warning = statuses.filter((s) => s.health === 'warn').length;
  const summary =
    failing || warning
      ? `CRL health: ${plural(failing, 'endpoint')} failing, ${warning.toLocaleString('en-US')} with warnings, of ${statuses.length.toLocaleString('en-US')}.`
      : `CRL health: all ${plural(statuses.length, 'endpoint')} OK.`;
  return message(summary, [
    section(`*${summary}*`),
    ...packedSections([...statuses].sort(byHealth).map(crlStatusText), {
      maxBlocks: MESSAGE_LIST_BLOCKS,
      separator: '\n\n',
      more: (hidden) => `…and ${plural(hidden, 'more endpoint')}, all listed by \`vpnctl crl status\`.`,
    }),
    actions(publishCrlButton()),
  ]);
}

/** The button value carries the whole request; a long reason is shortened so the value stays within 2000 characters. */
function revokeRequestValue(request: RevokeRequestValue): { value: string; reason: string } {
  let reason = request.reason;
  for (;;) {
    const value = JSON.stringify({ ...request, reason });
    if (value.length <= SLACK_LIMITS.buttonValue) return { value, reason };
    if (reason === '') throw new Error('A revoke request without a reason is still over the 2000-character button value limit.');
    const max = reason.length - (value.length - SLACK_LIMITS.buttonValue) - 1;
    // clip never returns less than its ellipsis, so a reason that cannot fit at all must go entirely, or this never ends.
    reason = max <= 1 ? '' : clip(reason, max);
  }
}

/**
 * `label` says whose certificates, as a possessive: "your", "<@U123>'s", "Alice's". Member mentions in it
 * stay mentions; everything else is escaped.
 */
export function revokeConfirmMessage(
  target: { slackId?: string; serial?: string; label: string; certificates: CertificateRecord[] },
  reason: string,
): MessageView {
  const { value, reason: shownReason } = revokeRequestValue({ slackId: target.slackId, serial: target.serial, reason: clip(reason.trim(), REASON_MAX) });
  const label = escapeMrkdwnExceptMentions(clip(target.label.replace(/[\p{Cc}\s]+/gu, ' ').trim(), 120));
  // The fallback text has no code span, so there the serial is outside text like any other.
  const ask = (serial: (raw: string, max: number) => string) => (target.serial ? `Revoke ${label} certificate ${serial(target.serial, 64)}?` : `Revoke ${label} VPN certificates?`);
  const question = ask(code);
  const fresh = target.certificates.filter((record) => record.status !== 'revoked');
  const entries = target.certificates.map(
    (record) => `${record.status === 'revoked' ? '• already revoked:' : '• will be revoked:'} *${deviceName(record)}* ${code(record.cn)} · serial ${code(record.serial, 64)}`,
  );
  return message(`${ask(userText)} Confirm or cancel.`, [
    section(
      [
        `⚠️ *${question}*`,
        'This ends access three ways: new logins are refused at once, live sessions end on every endpoint, and a new CRL is published.',
        `Reason: ${userText(shownReason, REASON_MAX) || 'unspecified'}`,
        fresh.length ? undefined : 'Every certificate here is already revoked; confirming still publishes any CRL update that is outstanding.',
      ]
        .filter((line) => line !== undefined)
        .join('\n'),
    ),
    ...packedSections(entries, { maxBlocks: 10, more: (hidden) => `…and ${plural(hidden, 'more certificate')}.` }),
    actions(button('Revoke', ACTION.revokeConfirm, { value, style: 'danger' }), button('Cancel', ACTION.revokeCancel)),
  ]);
}

/**
 * `text` may carry its own emoji, mrkdwn and member mentions; anything else that looks like markup is
 * escaped. Outside text goes into it through `userText` or `code`.
 */
export function progressMessage(text: string): MessageView {
  const safe = escapeMrkdwnExceptMentions(text);
  return message(safe, [section(safe)]);
}

/** For failures shown ephemerally; `text` should say what went wrong and what to do next. */
export function errorMessage(text: string): MessageView {
  const safe = `⚠️ ${escapeMrkdwnExceptMentions(text)}`;
  return message(safe, [section(safe)]);
}

/** The same facts as cli/render.ts publishLine, with the Slack way to retry. */
function crlStepLine(step: CrlStep): string {
  const endpoint = `*${userText(step.endpoint, 100)}*`;
  switch (step.outcome) {
    case 'published':
      return `✅ ${endpoint}: CRL #${step.crlNumber} with ${plural(step.entries, 'entry', 'entries')}, next update ${formatTime(step.nextUpdate)}`;
    case 'coalesced':
      return `✅ ${endpoint}: included in CRL #${userText(step.crlNumber ?? '?', 40)}, published together with other requests`;
    case 'queued':
      return `⏳ ${endpoint}: CRL queued, not yet confirmed (${userText(step.reason, 300)}); \`/vpn crl\` shows when it lands`;
    case 'deferred':
      return `⏳ ${endpoint}: CRL deferred to the maintenance window (${formatTime(step.until)}); until then only the connect handler (login approval) refuses the certificate`;
    case 'failed':
      return `❌ ${endpoint}: CRL not published: ${userText(step.error, 300)}. It stays queued: the daily job retries it, or press *Publish now* in \`/vpn crl\``;
  }
}

const STEP_ORDER: Record<CrlStep['outcome'], number> = { failed: 0, queued: 1, deferred: 2, coalesced: 3, published: 4 };
const byStepOutcome = (a: CrlStep, b: CrlStep) => STEP_ORDER[a.outcome] - STEP_ORDER[b.outcome];

function crlSummary(steps: CrlStep[]): string {
  if (steps.length === 0) return 'unchanged: nothing to publish';
  const done = steps.filter((step) => step.outcome === 'published' || step.outcome === 'coalesced').length;
  const failed = steps.filter((step) => step.outcome === 'failed').length;
  const waiting = steps.length - done - failed;
  return [
    `updated on ${done.toLocaleString('en-US')} of ${plural(steps.length, 'endpoint')}`,
    waiting ? `${waiting.toLocaleString('en-US')} waiting` : undefined,
    failed ? `${failed.toLocaleString('en-US')} failed and will be retried` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
}

/** What a revocation left undone, per certificate; running it again finishes a `revoke` failure. */
function failureLine(failure: RevocationReport['failed'][number]): string {
  const which = `${code(failure.serial, 64)} (${code(failure.cn)})`;
  return failure.step === 'revoke'
    ? `❌ ${which} is *still active*: ${userText(failure.error, 300)}`
    : `⚠️ Revoked ${which}, but its audit entry could not be written: ${userText(failure.error, 300)}`;
}

/** The three ways access ends, each reported, and what is left: the same facts as `vpnctl revoke` (cli/render.ts revocationReport). */
export function revocationReportMessage(report: RevocationReport): MessageView {
  const database = [
    ...report.failed.map(failureLine),
    ...report.revoked.map((r) => `✅ Revoked ${code(r.serial, 64)} (${code(r.cn)}): new logins are refused now`),
    ...report.alreadyRevoked.map((serial) => `• ${code(serial, 64)} was already revoked`),
  ];
  const failedSessions = report.sessions.filter((step) => step.error);
  const sessions = [...failedSessions, ...report.sessions.filter((step) => !step.error)].map((step) =>
    step.error
      ? `❌ *${userText(step.endpoint, 100)}*: ${userText(step.error, 300)} (the daily session sweep retries; the CRL also refuses them)`
      : `✅ *${userText(step.endpoint, 100)}*: ${plural(step.terminated, 'session')} terminated`,
  );
  const ended = report.sessions.reduce((sum, step) => sum + step.terminated, 0);
  const crl = [...report.crl].sort(byStepOutcome).map(crlStepLine);

  const stillActive = report.failed.filter((failure) => failure.step === 'revoke').length;
  const revokedText = stillActive
    ? `Revoked ${report.revoked.length.toLocaleString('en-US')} of ${plural(report.revoked.length + stillActive, 'certificate')}, ${stillActive.toLocaleString('en-US')} still active: run the same revoke again to finish`
    : report.revoked.length
      ? `Revoked ${plural(report.revoked.length, 'certificate')}`
      : report.alreadyRevoked.length
        ? 'Nothing new to revoke'
        : 'Nothing was revoked';
  const sessionsText = `${plural(ended, 'session')} ended${failedSessions.length ? `, ${plural(failedSessions.length, 'endpoint')} to retry` : ''}`;
  const summary = `${revokedText}; ${sessionsText}; CRL ${crlSummary(report.crl)}.`;
  const group = (heading: string, lines: string[], empty: string) =>
    packedSections([heading, ...(lines.length ? lines : [empty])], { maxBlocks: 14, more: (hidden) => `…and ${plural(hidden, 'more line')}; the audit trail has every step.` });
  return message(summary, [
    section(`*${summary}*`),
    ...group('*1. Database*', database, 'No certificates matched.'),
    ...group('*2. Live sessions*', sessions, report.revoked.length || report.alreadyRevoked.length ? 'No VPN endpoints are configured.' : 'Not needed: nothing is revoked.'),
    ...group('*3. CRL*', crl, 'Nothing to publish.'),
  ]);
}

export function publishReportMessage(outcomes: PublishOutcome[]): MessageView {
  if (outcomes.length === 0) {
    const text = 'Nothing was published: no VPN endpoints are configured (VPN_ENDPOINTS).';
    return message(text, [section(text)]);
  }
  const summary = `CRL ${crlSummary(outcomes)}.`;
  return message(summary, [
    section(`*${summary}*`),
    ...packedSections([...outcomes].sort(byStepOutcome).map(crlStepLine), {
      maxBlocks: MESSAGE_LIST_BLOCKS,
      more: (hidden) => `…and ${plural(hidden, 'more endpoint')}; \`vpnctl crl status\` lists them all.`,
    }),
  ]);
}

export function issuedDmMessage(input: { cn: string; serial: string; notAfter: Date; endpointKind: 'aws-client-vpn' | 'openvpn'; fileName: string; csr: boolean }): MessageView {
  const file = code(input.fileName);
  const keyFile = code(`${input.cn}.key`);
  const secrecy = input.csr
    ? `🔑 Your private key never left your computer: save it as ${keyFile} next to ${file}. The AWS VPN Client and OpenVPN Connect import a single file, so for them replace the line ${code(`key ${input.cn}.key`)} in the profile with your key between ${code('<key>')} and ${code('</key>')} lines.`
    : `🔐 *${file} contains your private key.* Do not share or forward it: anyone who has it can connect as you. If it leaks, revoke it on the Home tab (or \`/vpn revoke\`) and issue a new one.`;
  const aws = '*AWS VPN Client*: File → Manage Profiles → Add Profile, choose the file, then Connect.';
  const openvpn = '*OpenVPN Connect*: Import Profile → File, choose the file, then connect.';
  const clients = input.endpointKind === 'aws-client-vpn' ? [aws, openvpn] : [openvpn, aws];
  const expires = formatTime(input.notAfter);
  return message(`Your VPN profile ${userText(input.fileName)} is attached. It expires ${expires}.`, [
    section(`*Your VPN profile is ready:* ${file}\nCertificate ${code(input.cn)} · serial ${code(input.serial, 64)}\nIt expires *${expires}*; \`/vpn status\` shows how long is left.`),
    section(secrecy),
    section(['*Set it up*', `1. ${clients[0]}`, `2. ${clients[1]}`, `3. *Linux*: \`sudo openvpn --config ${userText(input.fileName)}\``].join('\n')),
  ]);
}
