import { MAX_HOURS } from '../../domain/connection-log';
import {
  INSIGHT_RULES,
  type ConnectionSummary,
  type EndpointInsights,
  type InsightsReport,
  type Ranking,
  type Tally,
} from '../../services/connection-insights';
import { sparkline } from '../../render/attempts-chart';
import { context, message, section } from './blocks';
import { count, formatTime, plural } from './format';
import { SLACK_LIMITS } from './limits';
import { clip, clipMrkdwn, code, userText } from './markup';
import type { Block, MessageView } from './types';

/** Seven blocks at most per endpoint; six endpoints stay under the 50-block message limit with room for the heading. */
const MAX_ENDPOINTS = 6;
const FIELD_LINES = 5;
const LIST_LINES = 5;

/** Where the chart went: into the admin's DM, or nowhere and why. */
export type ChartDelivery = { sent: true } | { sent: false; reason: string };

const hourLabel = (ms: number) => formatTime(new Date(ms));

function windowText(report: InsightsReport): string {
  const { window } = report;
  const span = `${hourLabel(window.from)} – ${hourLabel(window.to)}`;
  return `*Connection attempts, last ${plural(window.hours, 'hour')}* (${span})`;
}

function keyText(key: string, missing: string): string {
  return key === '' ? `_${missing}_` : code(key, 80);
}

function rankingField(heading: string, ranking: Ranking, missing: string): string {
  const lines = ranking.top
    .slice(0, FIELD_LINES)
    .map(
      (tally: Tally) =>
        `${keyText(tally.key, missing)} ${count(tally.attempts)}${tally.failed && tally.failed !== tally.attempts ? ` (${count(tally.failed)} failed)` : ''}`,
    );
  const hidden = ranking.distinct - Math.min(ranking.distinct, FIELD_LINES);
  if (hidden > 0) lines.push(`…and ${count(hidden)} more`);
  return clipMrkdwn([`*${heading}*`, ...(lines.length ? lines : ['none'])].join('\n'), SLACK_LIMITS.fieldText);
}

function overview(summary: ConnectionSummary): string {
  const other = summary.attempts - summary.successful - summary.failed;
  const lines = [
    `*${userText(summary.endpoint, 100)}*: *${plural(summary.attempts, 'attempt')}* · ✅ ${count(summary.successful)} successful · ❌ ${count(summary.failed)} failed${other ? ` · ${count(other)} other` : ''}`,
  ];
  const busiest = summary.hourly.reduce(
    (best, bucket) =>
      bucket.successful + bucket.failed + bucket.other > best.successful + best.failed + best.other ? bucket : best,
    summary.hourly[0],
  );
  if (busiest && summary.attempts > 0) {
    const total = busiest.successful + busiest.failed + busiest.other;
    lines.push(
      `Busiest hour: ${hourLabel(busiest.start)}, ${plural(total, 'attempt')}${busiest.failed ? ` (${count(busiest.failed)} failed)` : ''}`,
    );
    lines.push(`Per hour: \`${sparkline(summary.hourly)}\``);
  }
  return lines.join('\n');
}

function floodText(summary: ConnectionSummary): string | undefined {
  if (summary.floods.length === 0) return undefined;
  const lines = summary.floods.slice(0, LIST_LINES).map((flood) => {
    const names = flood.commonNames
      ? `${plural(flood.commonNames, 'certificate name')} tried`
      : 'no certificate name seen';
    return `• ${code(flood.ip, 60)}: ${count(flood.failed)} failed, ${count(flood.successful)} successful; peak ${count(flood.peakPerHour)} failures in the hour from ${hourLabel(flood.peakHourStart)}; ${names}; first ${hourLabel(flood.firstAt)}, last ${hourLabel(flood.lastAt)}`;
  });
  if (summary.floods.length > LIST_LINES)
    lines.push(`…and ${plural(summary.floods.length - LIST_LINES, 'more address', 'more addresses')}`);
  return [
    `🚨 *Possible flood*: ${INSIGHT_RULES.floodFailuresPerHour}+ failed attempts from one address within an hour. Block it upstream; tls-crypt (OpenVPN) drops such handshakes before any TLS work.`,
    ...lines,
  ].join('\n');
}

function repeatText(summary: ConnectionSummary): string | undefined {
  if (summary.repeatFailures.length === 0) return undefined;
  const lines = summary.repeatFailures.slice(0, LIST_LINES).map((repeat) => {
    const why = repeat.topReason ? `, mostly ${code(repeat.topReason, 60)}` : '';
    const state = repeat.stillFailing ? '*still failing*' : `then got in (${count(repeat.successful)} successful)`;
    return `• ${code(repeat.commonName, 80)}: ${count(repeat.failed)} failed${why}, last attempt ${hourLabel(repeat.lastAt)}; ${state}`;
  });
  if (summary.repeatFailures.length > LIST_LINES)
    lines.push(`…and ${plural(summary.repeatFailures.length - LIST_LINES, 'more name')}`);
  return [`🔁 *Keeps failing*: ${INSIGHT_RULES.repeatFailures}+ failed attempts in the window.`, ...lines].join('\n');
}

function inputText(summary: ConnectionSummary): string {
  const { input } = summary;
  const facts = [
    `Read ${plural(input.events, 'log entry', 'log entries')}`,
    input.malformed ? `${plural(input.malformed, 'malformed line')} skipped` : undefined,
    input.ignored ? plural(input.ignored, 'entry of another kind', 'entries of another kind') : undefined,
    input.duplicates ? `${count(input.duplicates)} repeated entries of the same connection counted once` : undefined,
    input.outsideWindow ? `${count(input.outsideWindow)} for connections begun before the window` : undefined,
    input.unrecognisedFields.length
      ? `fields the documented format does not have: ${input.unrecognisedFields
          .slice(0, 8)
          .map((field) => code(field, 40))
          .join(', ')}${input.unrecognisedFields.length > 8 ? '…' : ''}`
      : undefined,
  ].filter((fact): fact is string => fact !== undefined);
  const warnings = [
    input.truncated && `⚠️ ${userText(input.truncated, 300)}`,
    ...input.notes.map((note) => `ℹ️ ${userText(note, 300)}`),
  ].filter(Boolean);
  return [facts.join(' · '), ...warnings].join('\n');
}

function endpointBlocks(insights: EndpointInsights): Block[] {
  if (!insights.summary)
    return [
      section(
        `⚠️ *${userText(insights.endpoint, 100)}*: ${userText(insights.error ?? 'the connection log could not be read', 900)}`,
      ),
    ];
  const summary = insights.summary;
  const blocks: Block[] = [section(overview(summary))];
  if (summary.attempts === 0) {
    blocks.push(context(inputText(summary)));
    return blocks;
  }
  for (const text of [floodText(summary), repeatText(summary)]) if (text) blocks.push(section(text));
  blocks.push({
    type: 'section',
    fields: [
      rankingField('Failure reasons', summary.byReason, 'no reason logged'),
      rankingField('Certificate names', summary.byCommonName, 'none (failed before a certificate)'),
      rankingField('Client addresses', summary.byIp, 'no address'),
      rankingField('Client versions', summary.byClientVersion, 'not logged'),
      rankingField('Status', summary.byStatus, 'none'),
    ].map((text) => ({ type: 'mrkdwn', text })),
  });
  blocks.push(context(inputText(summary)));
  return blocks;
}

function fallbackText(report: InsightsReport): string {
  const parts = report.endpoints.map((insights) => {
    if (!insights.summary) return `${userText(insights.endpoint, 100)}: not read`;
    const { summary } = insights;
    const floods = summary.floods.length ? `, ${plural(summary.floods.length, 'possible flood')}` : '';
    return `${userText(summary.endpoint, 100)}: ${plural(summary.attempts, 'attempt')}, ${count(summary.failed)} failed${floods}`;
  });
  return `Connection attempts, last ${plural(report.window.hours, 'hour')}: ${parts.join('; ') || 'no endpoints'}.`;
}

/**
 * `/vpn logs`: per endpoint, counts by status, reason, name, address and client version, floods and repeat failures.
 */
export function connectionInsightsMessage(report: InsightsReport, chart?: ChartDelivery): MessageView {
  const blocks: Block[] = [section(windowText(report))];
  if (report.window.requestedHours !== undefined) {
    blocks.push(
      context(
        `You asked for ${plural(report.window.requestedHours, 'hour')}; one summary covers at most ${MAX_HOURS} (a week), so this is the last ${MAX_HOURS}.`,
      ),
    );
  }
  if (report.endpoints.length === 0) {
    blocks.push(section('No VPN endpoints are configured (VPN_ENDPOINTS), so there is no connection log to read.'));
  }
  const shown = report.endpoints.slice(0, MAX_ENDPOINTS);
  shown.forEach((insights, i) => {
    if (i > 0) blocks.push({ type: 'divider' });
    blocks.push(...endpointBlocks(insights));
  });
  if (report.endpoints.length > shown.length) {
    blocks.push(
      context(
        `…and ${plural(report.endpoints.length - shown.length, 'more endpoint')}: \`vpnctl logs --endpoint NAME\` summarizes each.`,
      ),
    );
  }
  if (chart?.sent)
    blocks.push(
      context('📈 A chart of attempts per hour (green successful, red failed, grey other; UTC) is in your DM from me.'),
    );
  else if (chart)
    blocks.push(context(`The chart of attempts per hour could not be sent: ${userText(chart.reason, 300)}`));
  return message(fallbackText(report), blocks);
}

/** The comment under the chart in the DM. */
export function chartComment(summary: ConnectionSummary): string {
  return clip(
    `Connection attempts per hour on ${userText(summary.endpoint, 100)}, ${hourLabel(summary.window.from)} – ${hourLabel(summary.window.to)}: green successful, red failed, grey other. ${plural(summary.attempts, 'attempt')}, ${count(summary.failed)} failed.`,
    SLACK_LIMITS.text,
  );
}
