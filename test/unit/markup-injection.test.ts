import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectRequest } from '../../src/domain/approval';
import type { CertificateRecord } from '../../src/domain/certificate';
import type { RevocationReason } from '../../src/domain/revocation';
import type { ConnectionSummary, Ranking } from '../../src/services/connection-insights';
import { TLS_FAILURE_CLASSES, likelyFix } from '../../src/domain/tls-negotiation';
import type { TlsSummary } from '../../src/services/tls-troubleshooting';
import type { CrlStatus } from '../../src/services/crl-status';
import type { LoginAlert } from '../../src/domain/approval';
import type { AccessRequest } from '../../src/domain/access';
import * as accessGranted from '../../src/slack/views/access-granted';
import * as accessRequestAdmin from '../../src/slack/views/access-request-admin';
import * as accessRequestModal from '../../src/slack/views/access-request-modal';
import * as accessRequestOutcome from '../../src/slack/views/access-request-outcome';
import * as homeAccess from '../../src/slack/views/home-access';
import * as notEligible from '../../src/slack/views/not-eligible';
import * as accessEnding from '../../src/slack/views/access-ending';
import * as agentAlerts from '../../src/slack/views/agent-alerts';
import * as agentHealthAlert from '../../src/slack/views/agent-health-alert';
import * as alarm from '../../src/slack/views/alarm';
import * as alerts from '../../src/slack/views/alerts';
import * as approval from '../../src/slack/views/approval';
import * as blocks from '../../src/slack/views/blocks';
import * as certificateView from '../../src/slack/views/certificate';
import * as certificateList from '../../src/slack/views/certificate-list';
import * as certificatePager from '../../src/slack/views/certificate-pager';
import * as insights from '../../src/slack/views/connection-insights';
import * as failureWindows from '../../src/slack/views/failure-windows';
import * as crlHealth from '../../src/slack/views/crl-health';
import * as doctor from '../../src/slack/views/doctor';
import * as durationSelect from '../../src/slack/views/duration-select';
import * as errors from '../../src/slack/views/errors';
import * as expiry from '../../src/slack/views/expiry';
import * as floodAlert from '../../src/slack/views/flood-alert';
import * as format from '../../src/slack/views/format';
import * as help from '../../src/slack/views/help';
import * as home from '../../src/slack/views/home';
import * as issuedProfile from '../../src/slack/views/issued-profile';
import * as limits from '../../src/slack/views/limits';
import * as markup from '../../src/slack/views/markup';
import * as modals from '../../src/slack/views/modals';
import * as offboarding from '../../src/slack/views/offboarding';
import * as progress from '../../src/slack/views/progress';
import * as publishReport from '../../src/slack/views/publish-report';
import * as revocationReport from '../../src/slack/views/revocation-report';
import * as revokeConfirm from '../../src/slack/views/revoke-confirm';
import * as tlsReport from '../../src/slack/views/tls-report';
import type { HomeData } from '../../src/slack/views/types';
import type { PublishOutcome } from '../../src/domain/revocation-report';

/*
 * Issue #12.2: no Slack markup from outside reaches an admin or a user. Every function exported by
 * src/slack/views/ is either a builder, rendered here with hostile strings in every field that holds
 * outside text, or named below as a helper with the reason it needs no case; a new export that is
 * neither fails the test. What this cannot prove is how Slack's own renderer reads the result: it
 * checks the payload against Slack's documented rules (entities for `&<>`, formatting markers, limits).
 */

const MODULES: Record<string, Record<string, unknown>> = {
  'access-granted': accessGranted,
  'access-request-admin': accessRequestAdmin,
  'access-request-modal': accessRequestModal,
  'access-request-outcome': accessRequestOutcome,
  'home-access': homeAccess,
  'not-eligible': notEligible,
  'access-ending': accessEnding,
  'agent-alerts': agentAlerts,
  'agent-health-alert': agentHealthAlert,
  alarm,
  alerts,
  approval,
  blocks,
  certificate: certificateView,
  'certificate-list': certificateList,
  'certificate-pager': certificatePager,
  'connection-insights': insights,
  'crl-health': crlHealth,
  doctor,
  'failure-windows': failureWindows,
  'duration-select': durationSelect,
  errors,
  expiry,
  'flood-alert': floodAlert,
  format,
  help,
  home,
  'issued-profile': issuedProfile,
  limits,
  markup,
  modals,
  offboarding,
  progress,
  'publish-report': publishReport,
  'revocation-report': revocationReport,
  'revoke-confirm': revokeConfirm,
  'tls-report': tlsReport,
};

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;
/** Member IDs our own code recorded (from Slack's signed payloads): the only mentions allowed. */
const TRUSTED = ['U0TRUST01', 'W0TRUST02'];

/** Markers that only ever appear in the hostile pieces, wrapped in what would format them. */
const MARKERS = ['PWNB', 'PWNI', 'PWNS', 'PWNC'];
const PIECES = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U0EVIL1>',
  '<@W0EVIL2|the boss>',
  '<#C0EVIL3>',
  '<!subteam^S0EVIL4>',
  '<!date^1700000000^{date}|x>',
  '<https://x|y>',
  '<https://evil.example/login|Re-authenticate here>',
  '<mailto:a@evil.example>',
  '*PWNB*',
  '_PWNI_',
  '~PWNS~',
  '`PWNC`',
  '```PWNC```',
  '*',
  '_',
  '~',
  '`',
  '&',
  '&amp;',
  '&lt;',
  '<',
  '>',
  '> PWNQ',
  // Text before each break, so that a value which merely starts with the marker is not mistaken for a forged line.
  'x\nFORGED',
  'x\r\nFORGED',
  'x\u2028FORGED',
  'x\n> FORGED',
  '\u0000',
  '\u202E',
  ' ',
  'x',
  'é',
  '漢',
  '😀',
  ':skull:',
  'x'.repeat(5000),
  '&'.repeat(2000),
];

const hostileString = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
);

/** Hands out the run's hostile strings, one per outside field, round and round. */
class Hostile {
  private next = 0;
  private nextId = 0;
  constructor(private readonly values: string[]) {}

  s(): string {
    return this.values[this.next++ % this.values.length];
  }

  /** A field that holds a member ID our code recorded, or a non-ID actor (`vpnctl:<os user>`); never a bare ID from outside. */
  id(): string {
    const ids = [...TRUSTED, `vpnctl:${this.s()}`, '<@U0EVIL1>', this.s()];
    return ids[this.nextId++ % ids.length];
  }
}

// ---- fixtures with outside text in every field that can hold it ----------------------------------

/** Serials are our CA's (or an Easy-RSA index's) hex; they travel as button values, which are never shown. */
function certificate(h: Hostile, i: number): CertificateRecord {
  const revoked = i % 3 === 2;
  return {
    serial: `0A1B2C${i}`,
    cn: h.s(),
    slackId: i % 4 === 3 ? undefined : h.id(),
    device: h.s(),
    displayName: h.s(),
    status: revoked ? 'revoked' : i % 3 === 1 ? 'suspended' : 'active',
    issuedAt: new Date(NOW.getTime() - 30 * DAY),
    notBefore: new Date(NOW.getTime() - 30 * DAY),
    notAfter: new Date(NOW.getTime() + (i % 2 ? 5 : 200) * DAY),
    source: (['issued', 'csr', 'easyrsa', 'crl'] as const)[i % 4],
    issuedBy: h.id(),
    ...(revoked && { revokedAt: NOW, reason: h.s() as RevocationReason, revokedBy: h.id() }),
  };
}

const certificates = (h: Hostile) => [0, 1, 2, 3].map((i) => certificate(h, i));

function crl(h: Hostile): CrlStatus {
  return {
    endpoint: h.s(),
    health: 'fail',
    live: { number: h.s(), entries: 3, thisUpdate: h.s(), nextUpdate: h.s(), signedByOurCa: false, status: h.s() },
    daysLeft: 1.5,
    recordedNumber: h.s(),
    publishedAt: h.s(),
    outstanding: 2,
    lastError: h.s(),
    readError: h.s(),
    problems: [h.s(), h.s()],
  };
}

function outcomes(h: Hostile): PublishOutcome[] {
  return [
    { endpoint: h.s(), outcome: 'published', crlNumber: 42n, entries: 3, nextUpdate: NOW },
    { endpoint: h.s(), outcome: 'coalesced', crlNumber: h.s() },
    { endpoint: h.s(), outcome: 'queued', reason: h.s() },
    { endpoint: h.s(), outcome: 'failed', error: h.s() },
  ];
}

function request(h: Hostile): ConnectRequest {
  return {
    connectionId: h.s(),
    endpointId: h.s(),
    commonName: h.s(),
    publicIp: h.s(),
    platform: h.s(),
    platformVersion: h.s(),
    clientVersion: h.s(),
  };
}

function homeData(h: Hostile): HomeData {
  return {
    userId: TRUSTED[0],
    now: NOW,
    certificates: certificates(h),
    recentLogins: [{ at: NOW, cn: h.s(), publicIp: h.s(), platform: h.s(), outcome: 'denied' }],
    admin: {
      crl: [crl(h), crl(h)],
      pendingApprovals: [{ id: h.s(), slackId: h.id(), cn: h.s(), publicIp: h.s(), requestedAt: NOW }],
      sessions: [{ endpoint: h.s(), connectionId: h.s(), commonName: h.s(), clientIp: h.s(), connectedAt: NOW }],
      certificates: {
        records: certificates(h),
        counts: { active: 3, suspended: 1, expired: 1, revoked: 1 },
        page: 1,
        next: 'eyJwayI6IkNFUlQjMEEifQ',
      },
      audit: [
        {
          id: h.s(),
          at: NOW,
          actor: h.id(),
          action: 'certificate.revoke',
          target: h.s(),
          outcome: 'failure',
          details: { error: h.s() },
        },
        { id: h.s(), at: NOW, actor: h.id(), action: 'approval.decide', target: h.id(), outcome: 'refused' },
        // Sentences quote what the details hold (reasons, devices, CNs, errors): every kind of quoting, hostile.
        ...(
          [
            ['access.offboard', { cause: h.s(), revoked: [h.s()], sessionsEnded: 1 }],
            ['access.request', { device: h.s(), hours: 8, reason: h.s() }],
            ['access.request.deny', { reason: h.s() }],
            ['certificate.issue', { cn: h.s(), device: h.s(), validHours: 8 }],
            ['certificate.extend', { serial: h.s(), notAfter: h.s() }],
            ['sessions.terminate', { cns: [h.s(), h.s()], terminated: 1, found: 2 }],
            ['crl.publish', { error: h.s() }],
            ['audit.export', { since: h.s(), entries: 3 }],
          ] as const
        ).map(([action, details], i) => ({
          id: h.s(),
          at: NOW,
          actor: h.id(),
          action,
          target: i % 2 ? h.id() : h.s(),
          outcome: i % 3 ? ('failure' as const) : ('success' as const),
          details: { ...details },
        })),
      ],
      agents: [0, 1, 2].map((i) => ({
        agentId: h.s(),
        host: h.s(),
        version: h.s(),
        at: new Date(NOW.getTime() - i * 200_000),
        clockSkewS: i === 0 ? -61 : undefined,
        endpoints: [
          { endpoint: h.s(), acting: i !== 1 },
          { endpoint: h.s(), acting: i === 2 ? undefined : false },
        ],
      })),
    },
  };
}

const ranking = (h: Hostile): Ranking => ({
  top: [
    { key: h.s(), attempts: 3, failed: 1 },
    { key: '', attempts: 2, failed: 2 },
  ],
  distinct: 9,
});

function tlsSummary(h: Hostile): TlsSummary {
  const from = NOW.getTime() - 24 * 3_600_000;
  return {
    endpoint: h.s(),
    window: { from, to: NOW.getTime(), hours: 24 },
    attempts: 40,
    successful: 5,
    failed: 35,
    groups: Array.from({ length: 20 }, (_, i) => ({
      clientVersion: h.s(),
      tlsVersion: h.s(),
      cipher: i % 2 ? '' : h.s(),
      failure: TLS_FAILURE_CLASSES[i % TLS_FAILURE_CLASSES.length],
      attempts: 20 - i,
      commonNames: 2,
      sourceIps: 3,
      offeredCiphers: h.s(),
      lastAt: from,
    })),
    distinctGroups: 25,
    byClass: TLS_FAILURE_CLASSES.map((failure) => ({ failure, attempts: 3, fix: likelyFix(failure, h.s()) })),
    negotiated: [{ tlsVersion: h.s(), cipher: h.s(), attempts: 5 }],
    withTlsDetails: 30,
    input: { events: 40, malformed: 1, truncated: h.s(), notes: [h.s(), h.s()] },
  };
}

function summary(h: Hostile): ConnectionSummary {
  const from = NOW.getTime() - 24 * 3_600_000;
  return {
    endpoint: h.s(),
    window: { from, to: NOW.getTime(), hours: 24 },
    attempts: 40,
    successful: 5,
    failed: 35,
    byStatus: ranking(h),
    byReason: ranking(h),
    byCommonName: ranking(h),
    byIp: ranking(h),
    byClientVersion: ranking(h),
    hourly: [{ start: from, successful: 5, failed: 35, other: 0 }],
    floods: [
      {
        ip: h.s(),
        failed: 35,
        successful: 5,
        peakPerHour: 35,
        peakHourStart: from,
        commonNames: 2,
        firstAt: from,
        lastAt: from,
      },
    ],
    repeatFailures: [
      { commonName: h.s(), failed: 6, successful: 0, lastAt: from, stillFailing: true, topReason: h.s(), ips: 1 },
    ],
    input: {
      events: 40,
      malformed: 1,
      ignored: 1,
      outsideWindow: 1,
      duplicates: 1,
      unrecognisedFields: [h.s(), h.s()],
      truncated: h.s(),
      notes: [h.s()],
    },
  };
}

function loginAlert(h: Hostile, kind: LoginAlert['kind']): LoginAlert {
  return kind === 'prompt-flood'
    ? { kind, slackId: TRUSTED[0], promptLimit: 3, windowMinutes: 10, request: request(h) }
    : { kind, slackId: TRUSTED[1], cn: h.s(), serial: h.s(), request: request(h) };
}

// ---- every export: a builder with its hostile cases, or a helper with its reason -----------------

type Rendered = { surface: 'message' | 'home' | 'modal'; payload: unknown } | { surface: 'mrkdwn'; payload: string };
interface Builder {
  render: (h: Hostile) => Rendered[];
  /** Only for text composed by our own checks with deliberate code spans (see doctor.ts); mentions, links and lines are still checked. */
  formattingFromOutside?: 'allowed';
}

const msg = (payload: unknown): Rendered => ({ surface: 'message', payload });
const mrkdwn = (payload: string): Rendered => ({ surface: 'mrkdwn', payload });
const approvalOf = (h: Hostile) => ({
  id: 'a1',
  status: 'PENDING' as const,
  slackId: TRUSTED[0],
  cn: h.s(),
  serial: h.s(),
  request: request(h),
  requestedAt: NOW,
  deadline: new Date(NOW.getTime() + 25_000),
});

const accessRequests = (h: Hostile): AccessRequest[] =>
  (['pending', 'approved', 'denied', 'expired'] as const).map((state, i) => ({
    // Our own UUID, never outside text.
    id: `0b6f4c1e-0000-4000-8000-00000000000${i}`,
    requester: TRUSTED[i % 2],
    device: h.s(),
    hours: 8 + i,
    reason: h.s(),
    state,
    createdAt: NOW,
    expiresAt: new Date(NOW.getTime() + DAY),
    ...(state !== 'pending' && { decidedBy: h.id(), decidedAt: NOW, approvedHours: 24 }),
  }));

const BUILDERS: Record<string, Builder> = {
  'access-granted.accessGrantedMessage': {
    render: (h) => [
      msg(
        accessGranted.accessGrantedMessage({
          slackId: TRUSTED[0],
          grantedBy: h.id(),
          grantedAt: NOW,
          until: NOW,
          reason: h.s(),
        }),
      ),
    ],
  },
  'access-request-admin.accessRequestAdminMessage': {
    render: (h) => accessRequests(h).map((request) => msg(accessRequestAdmin.accessRequestAdminMessage(request, 720))),
  },
  'access-request-admin.accessRequestSettledMessage': {
    render: (h) =>
      accessRequests(h).map((request) => msg(accessRequestAdmin.accessRequestSettledMessage(request, h.s()))),
  },
  'access-request-outcome.accessRequestOutcomeMessage': {
    render: (h) => accessRequests(h).map((request) => msg(accessRequestOutcome.accessRequestOutcomeMessage(request))),
  },
  'access-request-modal.accessRequestModal': {
    render: () => [{ surface: 'modal', payload: accessRequestModal.accessRequestModal(720) }],
  },
  'not-eligible.notEligibleMessage': {
    render: () => [
      msg(notEligible.notEligibleMessage({ mayRequest: true })),
      msg(notEligible.notEligibleMessage({ mayRequest: false })),
    ],
  },
  'home-access.accessHomeBlocks': {
    render: (h) =>
      accessRequests(h).map((own) => ({
        surface: 'home' as const,
        payload: {
          type: 'home',
          blocks: homeAccess.accessHomeBlocks(
            { mayRequest: true, own, pending: [...accessRequests(h), ...accessRequests(h)] },
            NOW,
          ),
        },
      })),
  },
  'alarm.alarmMessage': {
    render: (h) => [
      msg(alarm.alarmMessage(h.s())),
      msg(
        alarm.alarmMessage(
          JSON.stringify({ AlarmName: h.s(), AlarmDescription: h.s(), NewStateValue: 'ALARM', NewStateReason: h.s() }),
        ),
      ),
      msg(alarm.alarmMessage(JSON.stringify({ AlarmName: h.s(), NewStateValue: h.s() }))),
    ],
  },
  'alerts.loginAlertMessage': {
    render: (h) => [
      msg(alerts.loginAlertMessage(loginAlert(h, 'prompt-flood'))),
      msg(alerts.loginAlertMessage(loginAlert(h, 'not-me'))),
    ],
  },
  'agent-alerts.agentAlertMessage': {
    render: (h) =>
      (['silent', 'back'] as const).map((kind) =>
        msg(
          agentAlerts.agentAlertMessage({
            kind,
            agentId: h.s(),
            host: h.s(),
            version: h.s(),
            endpoints: Array.from({ length: 12 }, () => h.s()),
            lastBeatAt: NOW,
          }),
        ),
      ),
  },
  'agent-health-alert.agentHealthAlertMessage': {
    render: (h) => [
      ...(['cannot-serve', 'serves-again'] as const).flatMap((kind) =>
        [h.s(), undefined].map((fix) =>
          msg(
            agentHealthAlert.agentHealthAlertMessage({
              kind,
              endpoint: h.s(),
              agentId: h.s(),
              host: h.s(),
              reason: h.s(),
              ...(fix !== undefined && { fix }),
              at: NOW,
            }),
          ),
        ),
      ),
      ...(['kills-stuck', 'kills-done'] as const).map((kind) =>
        msg(
          agentHealthAlert.agentHealthAlertMessage({
            kind,
            endpoint: h.s(),
            agentId: h.s(),
            host: h.s(),
            kills: Array.from({ length: 7 }, (_, i) => ({
              connectionId: h.s(),
              ...(i % 2 === 0 && { commonName: h.s() }),
              requestedAt: NOW,
              attempts: 30,
              ...(i % 3 === 0 && { lastError: h.s() }),
            })),
          }),
        ),
      ),
      ...(['clock-skewed', 'clock-back'] as const).flatMap((kind) =>
        (['reference', 'heartbeat'] as const).map((measuredBy) =>
          msg(agentHealthAlert.agentHealthAlertMessage({ kind, agentId: h.s(), host: h.s(), skewS: -61, measuredBy })),
        ),
      ),
      ...(['two-acting', 'one-acting'] as const).map((kind) =>
        msg(
          agentHealthAlert.agentHealthAlertMessage({
            kind,
            endpoint: h.s(),
            agents: Array.from({ length: 7 }, () => ({ agentId: h.s(), host: h.s() })),
          }),
        ),
      ),
    ],
  },
  'flood-alert.floodAlertMessage': {
    render: (h) =>
      (['started', 'changed', 'over'] as const).flatMap((kind) =>
        [true, false].map((selfHosted) =>
          msg(
            floodAlert.floodAlertMessage({
              kind,
              endpoint: h.s(),
              selfHosted,
              sources: Array.from({ length: 20 }, (_, i) => ({
                ip: h.s(),
                failedPerHour: 3_600 + i,
                droppedBeforeTls: i % 2 === 0,
              })),
              moreSources: 7,
              ratePerHour: 90_000,
              failingNames: Array.from({ length: 12 }, () => ({ commonName: h.s(), failed: 9, topReason: h.s() })),
              from: NOW,
              to: NOW,
              ...(kind !== 'started' && { previous: { sources: 3, ratePerHour: 100, since: NOW } }),
            }),
          ),
        ),
      ),
  },
  'alerts.crlAlertMessage': {
    render: (h) => [msg(alerts.crlAlertMessage({ level: 'critical', endpoint: h.s(), daysLeft: 0, message: h.s() }))],
  },
  'approval.approvalPromptMessage': { render: (h) => [msg(approval.approvalPromptMessage(approvalOf(h)))] },
  'approval.approvalSettledMessage': {
    render: (h) =>
      (['APPROVED', 'DENIED', 'EXPIRED'] as const).map((status) =>
        msg(approval.approvalSettledMessage(approvalOf(h), status)),
      ),
  },
  // Takes no outside text: checked all the same, so its limits and tokens are proven like the rest.
  'approval.approvalNotRecordedMessage': { render: () => [msg(approval.approvalNotRecordedMessage())] },
  'connection-insights.connectionInsightsMessage': {
    render: (h) => [
      msg(
        insights.connectionInsightsMessage(
          {
            window: summary(h).window,
            endpoints: [
              { endpoint: h.s(), summary: summary(h) },
              { endpoint: h.s(), error: h.s() },
            ],
          },
          { sent: false, reason: h.s() },
        ),
      ),
    ],
  },
  'tls-report.tlsReportMessage': {
    render: (h) => [
      msg(
        tlsReport.tlsReportMessage({
          window: { from: NOW.getTime() - 200 * 3_600_000, to: NOW.getTime(), hours: 168, requestedHours: 200 },
          endpoints: [
            ...Array.from({ length: 9 }, () => ({ endpoint: h.s(), summary: tlsSummary(h) })),
            { endpoint: h.s(), error: h.s() },
          ],
        }),
      ),
    ],
  },
  'connection-insights.chartComment': { render: (h) => [mrkdwn(insights.chartComment(summary(h)))] },
  'failure-windows.withFailureWindows': {
    render: (h) => [
      msg(
        // The summary it extends is connectionInsightsMessage's, covered above.
        failureWindows.withFailureWindows({ text: 'Connection attempts', blocks: [{ type: 'divider' }] }, [
          {
            endpoint: h.s(),
            from: NOW,
            to: NOW,
            search: {
              baseline: 0,
              threshold: 10,
              total: 99,
              spikes: [{ from: NOW, to: NOW, failures: 99, peak: 99 }],
            },
          },
          { endpoint: h.s(), from: NOW, to: NOW, error: h.s() },
        ]),
      ),
    ],
  },
  'doctor.doctorMessage': {
    formattingFromOutside: 'allowed',
    render: (h) => [
      msg(
        doctor.doctorMessage([
          { name: h.s(), status: 'fail', detail: h.s(), fix: h.s() },
          { name: h.s(), status: 'pass', detail: h.s() },
        ]),
      ),
    ],
  },
  'expiry.reminderMessage': {
    render: (h) =>
      [true, false].map((renewable) =>
        msg(expiry.reminderMessage({ record: certificate(h, 0), daysLeft: 3, threshold: 7, renewable })),
      ),
  },
  'access-ending.endingSoonMessage': {
    render: (h) =>
      [0, 1].map((i) => msg(accessEnding.endingSoonMessage(certificate(h, i), { now: NOW, extendHours: 8 }))),
  },
  'access-ending.extendedText': {
    render: (h) => [mrkdwn(accessEnding.extendedText({ fileName: h.s(), notAfter: NOW }))],
  },
  'expiry.renewedText': {
    render: (h) => [mrkdwn(expiry.renewedText({ fileName: h.s(), old: certificate(h, 0), at: NOW }))],
  },
  'expiry.retiredMessage': {
    render: (h) =>
      (['used', 'grace-period'] as const).map((why) =>
        msg(expiry.retiredMessage(certificate(h, 0), certificate(h, 1), why)),
      ),
  },
  'expiry.digestMessage': {
    render: (h) => [
      msg(
        expiry.digestMessage(
          [
            { record: certificate(h, 0), daysLeft: 3, renewedAs: h.s() },
            { record: certificate(h, 1), daysLeft: 9 },
          ],
          NOW,
        ),
      ),
    ],
  },
  'home.homeView': { render: (h) => [{ surface: 'home', payload: home.homeView(homeData(h)) }] },
  'certificate.certificateText': {
    render: (h) =>
      certificates(h).map((record) => mrkdwn(certificateView.certificateText(record, NOW, { owner: true }))),
  },
  'certificate.deviceName': {
    render: (h) => certificates(h).map((record) => mrkdwn(certificateView.deviceName(record))),
  },
  'certificate-list.statusMessage': { render: (h) => [msg(certificateList.statusMessage(certificates(h), NOW))] },
  'certificate-list.certificateListMessage': {
    render: (h) => [
      msg(certificateList.certificateListMessage(certificates(h), NOW, h.id())),
      msg(certificateList.certificateListMessage([], NOW, h.id())),
    ],
  },
  'certificate-list.certificatePageMessage': {
    render: (h) => [
      msg(
        certificateList.certificatePageMessage(
          {
            records: certificates(h),
            counts: { active: 20_000, suspended: 1, expired: 2, revoked: 20_000 },
            page: 3,
            next: 'eyJwayI6IkNFUlQjMEEifQ',
          },
          NOW,
          'vpn_list_page',
        ),
      ),
    ],
  },
  'crl-health.crlStatusText': { render: (h) => [mrkdwn(crlHealth.crlStatusText(crl(h)))] },
  'crl-health.crlHealthMessage': { render: (h) => [msg(crlHealth.crlHealthMessage([crl(h), crl(h)]))] },
  'help.helpMessage': { render: () => [msg(help.helpMessage(true)), msg(help.helpMessage(false))] },
  'revoke-confirm.revokeConfirmMessage': {
    // `label` is composed by the command ("your", "<@U…>'s"); outside text would enter it through userText.
    render: (h) => [
      msg(
        revokeConfirm.revokeConfirmMessage(
          { slackId: TRUSTED[0], label: `<@${TRUSTED[0]}>'s`, certificates: certificates(h) },
          h.s(),
        ),
      ),
      msg(
        revokeConfirm.revokeConfirmMessage(
          { serial: '0A1B2C', label: `${markup.userText(h.s())}'s`, certificates: certificates(h) },
          h.s(),
        ),
      ),
    ],
  },
  // Both take text we compose, with our own mrkdwn and mentions; outside text enters it through userText or code.
  'progress.progressMessage': {
    render: (h) => [
      msg(
        progress.progressMessage(
          `✅ Your VPN profile *${markup.userText(h.s())}* for <@${TRUSTED[0]}>: ${markup.code(h.s())}`,
        ),
      ),
    ],
  },
  'errors.errorMessage': {
    render: (h) => [
      msg(
        errors.errorMessage(
          `<@${TRUSTED[1]}> has no certificate ${markup.code(h.s())} (${markup.userText(h.s(), 300)}).`,
        ),
      ),
    ],
  },
  'revocation-report.revocationReportMessage': {
    render: (h) => [
      msg(
        revocationReport.revocationReportMessage({
          revoked: [{ serial: h.s(), cn: h.s(), notAfter: NOW }],
          alreadyRevoked: [h.s()],
          failed: [
            { serial: h.s(), cn: h.s(), step: 'revoke', error: h.s() },
            { serial: h.s(), cn: h.s(), step: 'audit', error: h.s() },
          ],
          sessions: [
            { endpoint: h.s(), terminated: 1, error: h.s() },
            { endpoint: h.s(), terminated: 2 },
          ],
          crl: [...outcomes(h), { endpoint: h.s(), outcome: 'deferred', until: NOW }],
        }),
      ),
    ],
  },
  'offboarding.offboardedMessage': {
    render: (h) =>
      (['deactivated', 'guest'] as const).map((cause, i) =>
        msg(
          offboarding.offboardedMessage({
            member: {
              slackId: h.id(),
              teamId: h.s(),
              deleted: true,
              restricted: false,
              ultraRestricted: false,
              bot: false,
            },
            cause,
            source: i ? 'reconcile' : 'event',
            report: {
              revoked: [{ serial: h.s(), cn: h.s(), notAfter: NOW }],
              alreadyRevoked: [h.s()],
              failed: [{ serial: h.s(), cn: h.s(), step: 'revoke', error: h.s() }],
              sessions: [{ endpoint: h.s(), terminated: 1, error: h.s() }],
              crl: outcomes(h),
            },
          }),
        ),
      ),
  },
  'offboarding.offboardingReviewMessage': {
    render: (h) => [
      msg(
        offboarding.offboardingReviewMessage({
          member: { slackId: h.id(), deleted: false, restricted: true, ultraRestricted: true, bot: false },
          cause: 'guest',
          source: 'event',
          certificates: [...certificates(h), ...Array.from({ length: 30 }, (_, i) => certificate(h, i))],
        }),
      ),
    ],
  },
  'publish-report.crlStepLines': {
    render: (h) =>
      publishReport.crlStepLines([...outcomes(h), { endpoint: h.s(), outcome: 'deferred', until: NOW }]).map(mrkdwn),
  },
  'publish-report.publishReportMessage': { render: (h) => [msg(publishReport.publishReportMessage(outcomes(h)))] },
  'issued-profile.issuedDmMessage': {
    render: (h) =>
      [true, false].map((csr) =>
        msg(
          issuedProfile.issuedDmMessage({
            cn: h.s(),
            serial: h.s(),
            notAfter: NOW,
            endpointKind: csr ? 'openvpn' : 'aws-client-vpn',
            fileName: h.s(),
            csr,
            ...(csr && { accessHours: 8 }),
          }),
        ),
      ),
  },
  'modals.csrModal': { render: () => [{ surface: 'modal', payload: modals.csrModal('{"channel":"D0TRUST01"}') }] },
};

/** Exports that render no outside text themselves, and why. */
const HELPERS: Record<string, string> = {
  'limits.assertWithinSlackLimits': 'the limits checker used below',
  'markup.clip': 'cuts text to a length; no markup',
  'markup.clipMrkdwn': 'cuts composed mrkdwn; no outside text of its own',
  'markup.escapeMrkdwn': 'an escaping primitive, checked below through userText and code',
  'markup.userText': 'the escaping primitive for outside text, checked on its own below',
  'markup.code': 'the escaping primitive for outside text in code spans, checked on its own below',
  'markup.plainText': 'the primitive for outside text in plain_text, checked on its own below',
  'markup.escapeMrkdwnExceptMentions':
    'escapes text we compose around mentions; checked through progressMessage, errorMessage and revokeConfirmMessage',
  'markup.mention': 'a member ID as a mention, checked on its own below and through every builder with an ID field',
  'duration-select.durationSelect': 'a select of our own durations and a date',
  'duration-select.chosenHours': 'reads a number back; renders nothing',
  'format.count': 'a number',
  'format.plural': 'a number and a word of ours',
  'format.formatTime': 'a date',
  'certificate.expiryPhrase': 'a date and our wording',
  'certificate.isRevocable': 'a predicate',
  'certificate.byRelevance': 'a sort order',
  'certificate.byCn': 'a sort order',
  'crl-health.byHealth': 'a sort order',
  'certificate-pager.placeValue': 'a page number and a store cursor (base64url)',
  'certificate-pager.parsePlace': 'reads a button value back; renders nothing',
  'certificate-pager.totalOf': 'a number',
  'certificate-pager.countsText': 'numbers and our status names',
  'certificate-pager.pageText': 'numbers and our wording',
  'certificate-pager.pagerBlocks': 'fixed buttons carrying a page number and a store cursor',
  'crl-health.publishCrlButton': 'a fixed button',
  'publish-report.crlSummary': 'counts and our wording',
  'blocks.message': 'fallback text and blocks composed by a builder above',
  'blocks.plain': 'a plain_text object of text given to it (our own wording)',
  'blocks.section': 'wraps composed mrkdwn; every builder above goes through it',
  'blocks.context': 'wraps composed mrkdwn; every builder above goes through it',
  'blocks.header': 'wraps our own wording in plain_text',
  'blocks.button': 'a button with our own wording',
  'blocks.actions': 'wraps buttons',
  'blocks.listSection': 'packs composed lines; homeView goes through it',
  'blocks.packedSections': 'packs composed entries; the list messages go through it',
};

// ---- what the rendered payloads must never carry ------------------------------------------------

const OUR_TOKENS = new RegExp(
  `<@(?:${TRUSTED.join('|')})>|<!date\\^\\d+\\^\\{[a-z_]+\\} at \\{[a-z_]+\\}\\|[0-9T:.Z-]+>`,
  'g',
);
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/;

function mrkdwnProblems(text: string, formatting: boolean): string[] {
  const problems: string[] = [];
  const outside = text.replace(OUR_TOKENS, '');
  for (const token of outside.match(/<[^>]*>?|>/g) ?? []) problems.push(`markup ${JSON.stringify(token.slice(0, 40))}`);
  for (const amp of outside.match(/&(?!amp;|lt;|gt;).{0,5}/g) ?? []) problems.push(`unescaped ${JSON.stringify(amp)}`);
  for (const line of text.split(LINE_BREAK)) {
    const start = line.trimStart();
    if (start.startsWith('FORGED')) problems.push('a line forged by a line break from outside');
    if (start.startsWith('&gt;') || start.startsWith('>'))
      problems.push(`a quote: ${JSON.stringify(start.slice(0, 20))}`);
  }
  if (formatting) {
    for (const marker of MARKERS) {
      if (new RegExp(`\`${marker}|${marker}\``).test(text)) problems.push(`a backtick from outside around ${marker}`);
      // Inside a code span nothing formats; the spans are all ours once no backtick from outside is left.
      const opened = new RegExp(
        `[*~]${marker}|${marker}[*~]|(?<![\\p{L}\\p{N}])_${marker}|${marker}_(?![\\p{L}\\p{N}])`,
        'u',
      );
      const found = text.replace(/`[^`\n]*`/g, '``').match(opened);
      if (found) problems.push(`formatting around ${marker}: ${JSON.stringify(found[0])}`);
    }
  }
  return problems;
}

function plainProblems(text: string): string[] {
  return text.split(LINE_BREAK).some((line) => line.trimStart().startsWith('FORGED'))
    ? ['a line forged by a line break from outside, in plain_text']
    : [];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function walk(node: unknown, visit: (node: Json) => void): void {
  if (Array.isArray(node)) node.forEach((child) => walk(child, visit));
  else if (isObject(node)) {
    visit(node);
    Object.values(node).forEach((child) => walk(child, visit));
  }
}

function problemsOf(rendered: Rendered, formatting: boolean): string[] {
  if (rendered.surface === 'mrkdwn') {
    const tooLong =
      rendered.payload.length > limits.SLACK_LIMITS.text
        ? [`${rendered.payload.length} characters, over ${limits.SLACK_LIMITS.text}`]
        : [];
    return [...tooLong, ...mrkdwnProblems(rendered.payload, formatting)];
  }
  const problems: string[] = [];
  try {
    limits.assertWithinSlackLimits(rendered.surface, rendered.payload);
  } catch (error) {
    problems.push((error as Error).message.slice(0, 2_000));
  }
  const payload = rendered.payload as Json;
  // A message's top-level text is read as mrkdwn too: in notifications, and wherever blocks are not shown.
  if (typeof payload.text === 'string')
    problems.push(...mrkdwnProblems(payload.text, formatting).map((p) => `text: ${p}`));
  walk(payload.blocks, (node) => {
    if (node.type === 'mrkdwn') problems.push(...mrkdwnProblems(String(node.text), formatting));
    else if (node.type === 'plain_text') problems.push(...plainProblems(String(node.text)));
    else if ('text' in node && isObject(node.text) && node.text.type !== 'plain_text' && node.text.type !== 'mrkdwn')
      problems.push(`a text object of type ${String(node.text.type)}`);
  });
  return problems;
}

const exported = () =>
  Object.entries(MODULES).flatMap(([module, exports]) =>
    Object.entries(exports)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => `${module}.${name}`),
  );

describe('no Slack markup from outside reaches anyone (issue #12.2)', () => {
  it('covers every module in src/slack/views and every function they export', () => {
    const files = readdirSync(join(__dirname, '../../src/slack/views'))
      .filter((file) => file.endsWith('.ts') && file !== 'types.ts')
      .map((file) => file.replace(/\.ts$/, ''));
    expect(Object.keys(MODULES).sort()).toEqual(files.sort());
    const uncovered = exported().filter((name) => !(name in BUILDERS) && !(name in HELPERS));
    expect(uncovered).toEqual([]);
    const stale = [...Object.keys(BUILDERS), ...Object.keys(HELPERS)].filter((name) => !exported().includes(name));
    expect(stale).toEqual([]);
  });

  it('the prompt-flood and "Not me" alerts show a modified client\'s platform and versions as inert text', () => {
    const evil: ConnectRequest = {
      connectionId: 'c1',
      endpointId: 'openvpn:test',
      commonName: 'bob.laptop-U0BOB.vpn.example.com',
      publicIp: '192.0.2.66',
      platform: '<!channel> *URGENT*',
      platformVersion: '<https://evil.example/login|Re-authenticate here>',
      clientVersion: '<@U0EVIL1>\n*Approved by IT*',
    };
    for (const alert of [
      { kind: 'prompt-flood', slackId: 'U0BOB', promptLimit: 3, windowMinutes: 10, request: evil },
      { kind: 'not-me', slackId: 'U0BOB', cn: evil.commonName, serial: '0A', request: evil },
    ] as const) {
      const message = alerts.loginAlertMessage(alert);
      const all = JSON.stringify(message);
      expect(all).not.toMatch(/<!channel>|<https:|<@U0EVIL1>|\*URGENT\*|\\n\*Approved/);
      expect(message.text).toContain('&lt;!channel&gt; ∗URGENT∗');
      expect(message.text).toContain('<@U0BOB>');
    }
  });

  it('userText, code and plainText leave nothing from outside that Slack would read as markup', () => {
    fc.assert(
      fc.property(hostileString, fc.integer({ min: 1, max: 3000 }), (raw, max) => {
        const text = markup.userText(raw, max);
        expect(mrkdwnProblems(text, true)).toEqual([]);
        expect(text).not.toMatch(/[*~`\n<>]|^&gt;/);
        const span = markup.code(raw, max);
        expect(span.slice(1, -1)).not.toMatch(/[`\n<>]/);
        expect(mrkdwnProblems(span, false)).toEqual([]);
        expect(markup.plainText(raw, max)).not.toMatch(LINE_BREAK);
        expect(markup.plainText(raw, max).length).toBeLessThanOrEqual(max);
      }),
      { numRuns: 300 },
    );
    expect(markup.userText('alice_laptop _x_ *b* ~s~ `c`')).toBe('alice_laptop ＿x＿ ∗b∗ ∼s∼ ˋcˋ');
    expect(markup.mention('<@U0EVIL1>')).toBe('&lt;@U0EVIL1&gt;');
    expect(markup.mention(TRUSTED[0])).toBe(`<@${TRUSTED[0]}>`);
  });

  it("every builder, fed hostile strings in every outside field, renders no mention, link, entity, formatting or line from them, within Slack's limits", () => {
    fc.assert(
      fc.property(fc.array(hostileString, { minLength: 1, maxLength: 40 }), (values) => {
        const problems = Object.entries(BUILDERS).flatMap(([name, builder]) =>
          builder
            .render(new Hostile(values))
            .flatMap((rendered) =>
              problemsOf(rendered, builder.formattingFromOutside !== 'allowed').map((problem) => `${name}: ${problem}`),
            ),
        );
        expect([...new Set(problems)].slice(0, 20)).toEqual([]);
      }),
      // Shrinking forty strings of up to 40,000 characters through every builder takes minutes; the first failure says enough.
      { numRuns: 40, endOnFailure: true },
    );
  });
});
