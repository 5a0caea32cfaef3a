import { MESSAGE_LIST_BLOCKS, message, packedSections, section } from './blocks';
import { formatTime, plural } from './format';
import { userText } from './markup';
import type { MessageView } from './types';
import type { CrlStep, PublishOutcome } from '../../domain/revocation-report';

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

const STEP_ORDER: Record<CrlStep['outcome'], number> = {
  failed: 0,
  queued: 1,
  deferred: 2,
  coalesced: 3,
  published: 4,
};
const byStepOutcome = (a: CrlStep, b: CrlStep) => STEP_ORDER[a.outcome] - STEP_ORDER[b.outcome];

/** One line per endpoint, failures first: a revocation report ends with the same lines as a publish report. */
export const crlStepLines = (steps: CrlStep[]) => [...steps].sort(byStepOutcome).map(crlStepLine);

export function crlSummary(steps: CrlStep[]): string {
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

export function publishReportMessage(outcomes: PublishOutcome[]): MessageView {
  if (outcomes.length === 0) {
    const text = 'Nothing was published: no VPN endpoints are configured (VPN_ENDPOINTS).';
    return message(text, [section(text)]);
  }
  const summary = `CRL ${crlSummary(outcomes)}.`;
  return message(summary, [
    section(`*${summary}*`),
    ...packedSections(crlStepLines(outcomes), {
      maxBlocks: MESSAGE_LIST_BLOCKS,
      more: (hidden) => `…and ${plural(hidden, 'more endpoint')}; \`vpnctl crl status\` lists them all.`,
    }),
  ]);
}
