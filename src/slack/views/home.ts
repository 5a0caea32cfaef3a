import type { AuditEntry, AuditOutcome } from '../../domain/audit';
import { SentenceStyle, auditSentence } from '../../domain/audit-sentence';
import { CertificateRecord, effectiveStatus } from '../../domain/certificate';
import { AGENT_CLOCK_SKEW_WARN_S } from '../../services/clock-skew';
import type { CrlStatus } from '../../services/crl-status';
import { ACTION, BLOCK } from '../ids';
import { actions, button, context, header, listSection, packedSections, section } from './blocks';
import { byRelevance, certificateText, isRevocable } from './certificate';
import { countsText, pageText, pagerBlocks, totalOf } from './certificate-pager';
import { byHealth, crlStatusText, publishCrlButton } from './crl-health';
import { durationSelect } from './duration-select';
import { count, formatTime } from './format';
import { code, mention, plainText, userText } from './markup';
import type {
  AgentRow,
  Block,
  CertificatePageRows,
  HomeData,
  HomeView,
  LoginRecord,
  PendingApprovalRow,
  SessionRow,
} from './types';
import { MINUTE_MS } from '../../domain/time';
import { accessHomeBlocks } from './home-access';

/*
 * The Home tab holds at most 100 blocks. The worst case (every list overflowing, admin view) is
 * 17 blocks for the member's part and 21 + HOME_PAGE_SIZE for the admin's, so 20 rows per page
 * leave a wide margin; every other list is capped and ends in "…and N more".
 */
export const HOME_PAGE_SIZE = 20;
const OWN_CERTIFICATES_SHOWN = 10;
const LINES_SHOWN = 10;
const SESSIONS_SHOWN = 20;
const AGENTS_SHOWN = 10;
const AGENT_ENDPOINTS_SHOWN = 5;
/** As doctor and the bot's session list judge a heartbeat: late after 90 s, silent after 5 minutes. */
const AGENT_LATE_MS = 90_000;
const AGENT_SILENT_MS = 5 * MINUTE_MS;
const CRL_BLOCKS = 3;

const divider: Block = { type: 'divider' };

/** A certificate, with a Revoke button (behind a confirmation dialog) while revoking still changes something. */
function certificateRow(record: CertificateRecord, now: Date, options: { owner: boolean; actionId: string }): Block {
  const row = section(certificateText(record, now, { owner: options.owner }));
  if (!options.owner && effectiveStatus(record, now) === 'suspended') {
    // Paused after a "Not me": its owner can lift the pause once the device is back in their hands.
    return {
      ...row,
      accessory: button('Re-enable', ACTION.reenable, {
        value: record.serial,
        confirm: {
          title: 'Re-enable this certificate?',
          text: `Only if ${plainText(record.device ?? 'this device', 60)} is yours and in your hands: logins with it will be asked to approve again.`,
          confirm: 'Re-enable',
          deny: 'Keep paused',
        },
      }),
    };
  }
  if (!isRevocable(record, now)) return row;
  const what = options.owner
    ? `${record.cn} (serial ${record.serial})`
    : `Your certificate for ${record.device ?? 'this device'} (serial ${record.serial})`;
  return {
    ...row,
    accessory: button('Revoke', options.actionId, {
      value: record.serial,
      style: 'danger',
      confirm: {
        title: 'Revoke this certificate?',
        text: `${plainText(what, 200)} stops working at once: new logins are refused, live sessions end, and the CRL lists it. This cannot be undone.`,
        confirm: 'Revoke',
        deny: 'Keep it',
      },
    }),
  };
}

const LOGIN_OUTCOME: Record<LoginRecord['outcome'], string> = {
  allowed: '✅ Allowed',
  denied: '⛔ Denied',
  expired: '⌛ Not approved in time',
};

function loginLine(login: LoginRecord): string {
  const from = login.publicIp ? ` from ${userText(login.publicIp, 64)}` : '';
  const platform = login.platform ? ` · ${userText(login.platform, 60)}` : '';
  return `${LOGIN_OUTCOME[login.outcome]} · ${formatTime(login.at)} · ${code(login.cn)}${from}${platform}`;
}

function memberBlocks(data: HomeData): Block[] {
  const { now } = data;
  const mine = [...data.certificates].sort(byRelevance(now));
  const shown = mine.slice(0, OWN_CERTIFICATES_SHOWN);
  const logins = [...data.recentLogins].sort((a, b) => b.at.getTime() - a.at.getTime());
  return [
    header('Your VPN access'),
    section(
      mine.length
        ? `*Your certificates* (${count(mine.length)})`
        : '*Your certificates*\nYou have none yet. *Issue a VPN profile* sends one to your DM, ready for the AWS VPN Client or OpenVPN Connect.',
    ),
    ...shown.map((record) => certificateRow(record, now, { owner: false, actionId: ACTION.revokeOwn })),
    ...(mine.length > shown.length
      ? [context(`…and ${count(mine.length - shown.length)} more: \`/vpn status\` lists them all.`)]
      : []),
    {
      ...actions(
        button('Issue a VPN profile', ACTION.issue, { style: 'primary' }),
        ...(data.durations ? [durationSelect(ACTION.issueDuration, { now, ...data.durations })] : []),
        button('Use my own key (CSR)', ACTION.issueWithCsr),
      ),
      block_id: BLOCK.issueActions,
    },
    context(
      'To label the device, type `/vpn issue laptop`; for a while only, `/vpn issue laptop for 8h`. `/vpn help` lists every command.',
    ),
    divider,
    listSection('*Recent logins*', logins.map(loginLine), {
      maxLines: LINES_SHOWN,
      empty: 'No VPN logins yet. Each new login shows up here.',
      more: (hidden) => `…and ${count(hidden)} earlier.`,
    }),
  ];
}

const HEALTH_COUNT: [CrlStatus['health'], string][] = [
  ['fail', '❌ failing'],
  ['warn', '⚠️ warning'],
  ['ok', '✅ OK'],
];

function crlBlocks(statuses: CrlStatus[]): Block[] {
  if (statuses.length === 0) return [section('*CRL health*\nNo VPN endpoints are configured (VPN_ENDPOINTS).')];
  const summary = HEALTH_COUNT.map(
    ([health, label]) => [statuses.filter((s) => s.health === health).length, label] as const,
  )
    .filter(([n]) => n > 0)
    .map(([n, label]) => `${count(n)} ${label}`)
    .join(' · ');
  return [
    section(`*CRL health* · ${summary}`),
    ...packedSections([...statuses].sort(byHealth).map(crlStatusText), {
      maxBlocks: CRL_BLOCKS,
      separator: '\n\n',
      more: (hidden) => `…and ${count(hidden)} more endpoints: \`/vpn crl\` lists them all.`,
    }),
    actions(publishCrlButton()),
  ];
}

function approvalLine(approval: PendingApprovalRow, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - approval.requestedAt.getTime()) / MINUTE_MS));
  const from = approval.publicIp ? ` from ${userText(approval.publicIp, 64)}` : '';
  return `⏳ ${mention(approval.slackId)} · ${code(approval.cn)}${from} · asked ${formatTime(approval.requestedAt)} (${count(minutes)} min ago)`;
}

function sessionLine(session: SessionRow): string {
  const from = session.clientIp ? ` from ${userText(session.clientIp, 64)}` : '';
  const since = session.connectedAt ? ` · since ${formatTime(session.connectedAt)}` : '';
  return `🔌 ${code(session.commonName)} on *${userText(session.endpoint, 100)}*${from}${since}`;
}

/** The agent's id, host, version and endpoint names come from its heartbeat, written on the VPN host: code spans. */
function agentLine(agent: AgentRow, now: Date): string {
  const since = now.getTime() - agent.at.getTime();
  const state = since > AGENT_SILENT_MS ? '🔴 silent' : since > AGENT_LATE_MS ? '⚠️ late' : '🟢';
  const minutes = Math.max(0, Math.floor(since / MINUTE_MS));
  const shown = agent.endpoints
    .slice(0, AGENT_ENDPOINTS_SHOWN)
    .map(({ endpoint, acting }) => `${code(endpoint, 100)}${acting === false ? ' (standby)' : ''}`);
  const more = agent.endpoints.length - shown.length;
  const endpoints = shown.length ? `${shown.join(', ')}${more > 0 ? ` +${count(more)}` : ''}` : 'no endpoint';
  return `${state} ${code(agent.agentId, 100)} on ${code(agent.host, 100)} · ${code(agent.version, 40)} · last heartbeat ${formatTime(agent.at)} (${count(minutes)} min ago)${clockNote(agent, since)} · ${endpoints}`;
}

/**
 * A clock off as doctor judges an agent's, as the agent measured it or as its heartbeat's date shows (a heartbeat from
 * the future).
 */
function clockNote(agent: AgentRow, since: number): string {
  const aheadS = -since / 1000;
  const skewS = aheadS >= AGENT_CLOCK_SKEW_WARN_S ? aheadS : agent.clockSkewS;
  if (skewS === undefined || Math.abs(skewS) < AGENT_CLOCK_SKEW_WARN_S) return '';
  return ` · ⚠️ clock ${count(Math.round(Math.abs(skewS)))} s ${skewS > 0 ? 'ahead' : 'behind'}`;
}

/** Shown once an agent has reported: a team on AWS Client VPN alone has none and sees nothing of it. */
function agentBlocks(agents: AgentRow[] | undefined, now: Date): Block[] {
  if (!agents?.length) return [];
  const sorted = [...agents].sort((a, b) => a.at.getTime() - b.at.getTime());
  return [
    divider,
    listSection(
      `*VPN agents* (${count(agents.length)})`,
      sorted.map((agent) => agentLine(agent, now)),
      {
        maxLines: AGENTS_SHOWN,
        empty: '',
        more: (hidden) => `…and ${count(hidden)} more: \`vpnctl doctor\` lists them all.`,
      },
    ),
  ];
}

const AUDIT_OUTCOME: Record<AuditOutcome, string> = {
  success: '✅',
  failure: '❌',
  refused: '⛔',
  partial: '⚠️',
  deferred: '⏳',
};

/** Members as mentions, which Slack shows by name; everything else escaped. */
const AUDIT_STYLE: SentenceStyle = { who: mention, text: (raw) => userText(raw), code: (raw) => code(raw, 100) };

function auditLine(entry: AuditEntry): string {
  return `${AUDIT_OUTCOME[entry.outcome] ?? '•'} ${formatTime(entry.at)} · ${auditSentence(entry, AUDIT_STYLE)}`;
}

/** One page of every certificate, live ones first, soonest expiry first; the table holds tens of thousands. */
function certificatePage(rows: CertificatePageRows, now: Date): Block[] {
  const total = totalOf(rows.counts);
  if (rows.records.length === 0 && total === 0 && rows.page === 0)
    return [section('*All certificates*\nNone has been issued yet.')];
  return [
    section(`*All certificates* (${countsText(rows.counts)})`),
    ...rows.records
      .slice(0, HOME_PAGE_SIZE)
      .map((record) => certificateRow(record, now, { owner: true, actionId: ACTION.revokeCertificate })),
    context(
      rows.records.length
        ? `${pageText(rows, HOME_PAGE_SIZE)}: active, then suspended, soonest expiry first, then revoked, then expired · \`vpnctl list\` prints them all`
        : 'No certificates on this page any more: they changed since the last one.',
    ),
    ...pagerBlocks(rows, ACTION.homePage),
  ];
}

function adminBlocks(admin: NonNullable<HomeData['admin']>, now: Date): Block[] {
  const approvals = [...admin.pendingApprovals].sort((a, b) => b.requestedAt.getTime() - a.requestedAt.getTime());
  const sessions = [...admin.sessions].sort(
    (a, b) => (b.connectedAt?.getTime() ?? 0) - (a.connectedAt?.getTime() ?? 0),
  );
  const audit = [...admin.audit].sort((a, b) => b.at.getTime() - a.at.getTime());
  return [
    divider,
    header('VPN administration'),
    ...crlBlocks(admin.crl),
    ...agentBlocks(admin.agents, now),
    divider,
    listSection(
      `*Pending approvals* (${count(approvals.length)})`,
      approvals.map((approval) => approvalLine(approval, now)),
      {
        maxLines: LINES_SHOWN,
        empty: 'No logins are waiting for approval.',
        more: (hidden) => `…and ${count(hidden)} more.`,
      },
    ),
    divider,
    listSection(`*Active sessions* (${count(sessions.length)})`, sessions.map(sessionLine), {
      maxLines: SESSIONS_SHOWN,
      empty: 'No one is connected.',
      more: (hidden) => `…and ${count(hidden)} more.`,
    }),
    divider,
    ...certificatePage(admin.certificates, now),
    divider,
    listSection('*Latest audit entries*', audit.map(auditLine), {
      maxLines: LINES_SHOWN,
      empty: 'Nothing recorded yet.',
      more: (hidden) => `…and ${count(hidden)} more: \`vpnctl audit\` exports the full trail.`,
    }),
  ];
}

/** The App Home: every member sees their own access; admins (`data.admin` set) also see the fleet. */
export function homeView(data: HomeData): HomeView {
  return {
    type: 'home',
    blocks: [
      ...memberBlocks(data),
      ...accessHomeBlocks(data.access, data.now),
      ...(data.admin ? adminBlocks(data.admin, data.now) : []),
    ],
  };
}
