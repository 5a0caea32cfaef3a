import { MAX_HOURS } from '../../domain/connection-log';
import type { EndpointTls, TlsFailureGroup, TlsReport, TlsSummary } from '../../services/tls-troubleshooting';
import { context, message, section } from './blocks';
import { count, formatTime, plural } from './format';
import { code, userText } from './markup';
import type { Block, MessageView } from './types';

/** Five blocks at most per endpoint; eight endpoints stay under the 50-block message limit with the heading. */
const MAX_ENDPOINTS = 8;
/** Group lines per endpoint: each up to ~400 characters, so the section stays under 3,000. */
const GROUP_LINES = 6;

const hourLabel = (ms: number) => formatTime(new Date(ms));
const value = (text: string, missing: string) => (text === '' ? `_${missing}_` : code(text, 60));

function groupLine(group: TlsFailureGroup): string {
  const who = [
    plural(group.commonNames, 'name'),
    plural(group.sourceIps, 'address', 'addresses'),
    group.offeredCiphers === undefined ? undefined : `offered ${code(group.offeredCiphers, 120)}`,
    `last ${hourLabel(group.lastAt)}`,
  ]
    .filter(Boolean)
    .join(', ');
  return `• *${count(group.attempts)}×* ${value(group.clientVersion, 'client ?')} · ${value(group.tlsVersion, 'TLS ?')} · ${value(group.cipher, 'cipher ?')} · *${group.failure}*: ${who}`;
}

function groupsText(summary: TlsSummary): string {
  const lines = summary.groups.slice(0, GROUP_LINES).map(groupLine);
  const hidden = summary.distinctGroups - Math.min(summary.distinctGroups, GROUP_LINES);
  if (hidden > 0)
    lines.push(`…and ${plural(hidden, 'more group')}: \`vpnctl logs --tls\` lists ${summary.groups.length}`);
  return ['*Failures by client version × TLS version × cipher × cause*', ...lines].join('\n');
}

function fixesText(summary: TlsSummary): string {
  return [
    '*Likely fixes*',
    ...summary.byClass.map(({ failure, attempts, fix }) => `• *${failure}* (${count(attempts)}): ${fix}`),
  ].join('\n');
}

function inputText(summary: TlsSummary): string {
  const { input } = summary;
  const negotiated = summary.negotiated
    .slice(0, 4)
    .map((n) => `${value(n.tlsVersion, 'TLS ?')} ${value(n.cipher, 'cipher ?')} ${count(n.attempts)}`)
    .join(', ');
  return [
    [
      `Read ${plural(input.events, 'log entry', 'log entries')}`,
      input.malformed ? `${plural(input.malformed, 'malformed line')} skipped` : undefined,
      `${count(summary.withTlsDetails)} with TLS details`,
      negotiated ? `negotiated: ${negotiated}` : undefined,
    ]
      .filter(Boolean)
      .join(' · '),
    ...(input.truncated ? [`⚠️ ${userText(input.truncated, 300)}`] : []),
    ...input.notes.map((note) => `ℹ️ ${userText(note, 400)}`),
  ].join('\n');
}

function endpointBlocks(tls: EndpointTls): Block[] {
  if (!tls.summary)
    return [
      section(
        `⚠️ *${userText(tls.endpoint, 100)}*: ${userText(tls.error ?? 'the connection log could not be read', 900)}`,
      ),
    ];
  const summary = tls.summary;
  const blocks: Block[] = [
    section(
      `*${userText(summary.endpoint, 100)}*: *${plural(summary.attempts, 'attempt')}* · ✅ ${count(summary.successful)} successful · ❌ ${count(summary.failed)} failed`,
    ),
  ];
  if (summary.groups.length > 0) blocks.push(section(groupsText(summary)), section(fixesText(summary)));
  blocks.push(context(inputText(summary)));
  return blocks;
}

/** `/vpn logs tls`: per endpoint, failed handshakes grouped as seed 003 does, and the likely fix per cause. */
export function tlsReportMessage(report: TlsReport): MessageView {
  const { window } = report;
  const blocks: Block[] = [
    section(
      `*TLS negotiation, last ${plural(window.hours, 'hour')}* (${hourLabel(window.from)} – ${hourLabel(window.to)})`,
    ),
  ];
  if (window.requestedHours !== undefined)
    blocks.push(
      context(
        `You asked for ${plural(window.requestedHours, 'hour')}; one summary covers at most ${MAX_HOURS} (a week), so this is the last ${MAX_HOURS}.`,
      ),
    );
  if (report.endpoints.length === 0)
    blocks.push(section('No VPN endpoints are configured (VPN_ENDPOINTS), so there is no connection log to read.'));
  const shown = report.endpoints.slice(0, MAX_ENDPOINTS);
  shown.forEach((tls, i) => {
    if (i > 0) blocks.push({ type: 'divider' });
    blocks.push(...endpointBlocks(tls));
  });
  if (report.endpoints.length > shown.length)
    blocks.push(
      context(
        `…and ${plural(report.endpoints.length - shown.length, 'more endpoint')}: \`vpnctl logs --tls --endpoint NAME\` reads each.`,
      ),
    );
  const parts = report.endpoints.map((tls) =>
    tls.summary
      ? `${userText(tls.endpoint, 100)}: ${count(tls.summary.failed)} failed${tls.summary.byClass[0] ? `, mostly ${tls.summary.byClass[0].failure}` : ''}`
      : `${userText(tls.endpoint, 100)}: not read`,
  );
  return message(
    `TLS negotiation, last ${plural(window.hours, 'hour')}: ${parts.join('; ') || 'no endpoints'}.`,
    blocks,
  );
}
