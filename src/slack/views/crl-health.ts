import type { CrlStatus } from '../../services/crl-status';
import { ACTION } from '../ids';
import { ENTRY_MAX, MESSAGE_LIST_BLOCKS, actions, button, message, packedSections, section } from './blocks';
import { formatTime, plural } from './format';
import { clipMrkdwn, userText } from './markup';
import type { MessageView } from './types';

const HEALTH_BADGE: Record<CrlStatus['health'], string> = { ok: '✅', warn: '⚠️', fail: '❌' };
const HEALTH_ORDER: Record<CrlStatus['health'], number> = { fail: 0, warn: 1, ok: 2 };

/** Failing endpoints first: when a list is cut short, the healthy ones go unlisted. */
export const byHealth = (a: CrlStatus, b: CrlStatus) => HEALTH_ORDER[a.health] - HEALTH_ORDER[b.health];

const formatIsoTime = (iso: string) => (Number.isNaN(Date.parse(iso)) ? userText(iso, 40) : formatTime(new Date(iso)));

/** The same facts as `vpnctl crl status` (cli/render.ts crlStatusTable). */
export function crlStatusText(status: CrlStatus): string {
  const live = status.live;
  const facts = [
    live
      ? `Live CRL #${userText(live.number ?? '?', 40)} · ${plural(live.entries, 'entry', 'entries')} (limit 20,000) · next update ${live.nextUpdate ? formatIsoTime(live.nextUpdate) : 'none'}${status.daysLeft !== undefined ? ` (${status.daysLeft.toFixed(1)} days left)` : ''}`
      : status.pending
        ? 'A CRL is published, not yet applied by the endpoint (pending)'
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
  return clipMrkdwn(
    [`${HEALTH_BADGE[status.health]} *${userText(status.endpoint, 100)}*`, ...facts, ...problems].join('\n'),
    ENTRY_MAX,
  );
}

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
