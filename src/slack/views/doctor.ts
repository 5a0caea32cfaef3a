import type { Check } from '../../services/doctor';
import { message, packedSections, section } from './blocks';
import { clip, escapeMrkdwn } from './markup';
import type { MessageView } from './types';

const ICON: Record<Check['status'], string> = { pass: '✅', warn: '⚠️', fail: '❌' };
const ORDER: Record<Check['status'], number> = { fail: 0, warn: 1, pass: 2 };
/** Leaves room under the 50-block message limit for the summary and the "more" line. */
const MAX_BLOCKS = 45;
const DETAIL_MAX = 600;

/**
 * Details quote endpoint answers and file paths: flattened onto one line and escaped, never read as a
 * mention or link. Formatting characters stay, because the checks write their fixes with code spans.
 */
const line = (text: string, max: number) => escapeMrkdwn(clip(text.replace(/[\p{Cc}\s]+/gu, ' ').trim(), max));

function checkText(check: Check): string {
  const fix = check.fix ? `\n→ ${line(check.fix, DETAIL_MAX)}` : '';
  return `${ICON[check.status]} *${line(check.name, 120)}*: ${line(check.detail, DETAIL_MAX)}${fix}`;
}

/** `/vpn doctor`: failures first, then warnings, then passes, one entry per check. */
export function doctorMessage(checks: Check[]): MessageView {
  const count = (status: Check['status']) => checks.filter((check) => check.status === status).length;
  const summary = `Doctor: ${count('fail')} failing, ${count('warn')} warning, ${count('pass')} passing.`;
  const sorted = checks
    .map((check, index) => ({ check, index }))
    .sort((a, b) => ORDER[a.check.status] - ORDER[b.check.status] || a.index - b.index);
  return message(summary, [
    section(`*${summary}*`),
    ...packedSections(
      sorted.map(({ check }) => checkText(check)),
      { maxBlocks: MAX_BLOCKS, more: (hidden) => `…and ${hidden} more: \`vpnctl doctor\` prints every check.` },
    ),
  ]);
}
