import { message, packedSections, section } from './blocks';
import { plural } from './format';
import { code, userText } from './markup';
import { crlStepLines, crlSummary } from './publish-report';
import type { MessageView } from './types';
import type { RevocationReport } from '../../domain/revocation-report';

/** What a revocation left undone, per certificate; running it again finishes a `revoke` failure. */
function failureLine(failure: RevocationReport['failed'][number]): string {
  const which = `${code(failure.serial, 64)} (${code(failure.cn)})`;
  return failure.step === 'revoke'
    ? `❌ ${which} is *still active*: ${userText(failure.error, 300)}`
    : `⚠️ Revoked ${which}, but its audit entry could not be written: ${userText(failure.error, 300)}`;
}

/**
 * The three ways access ends, each reported, and what is left: the same facts as `vpnctl revoke` (cli/render.ts
 * revocationReport).
 */
export function revocationReportMessage(report: RevocationReport): MessageView {
  const database = [
    ...report.failed.map(failureLine),
    ...report.revoked.map((r) => `✅ Revoked ${code(r.serial, 64)} (${code(r.cn)}): new logins are refused now`),
    ...report.alreadyRevoked.map((serial) => `• ${code(serial, 64)} was already revoked`),
  ];
  const failedSessions = report.sessions.filter((step) => step.error);
  const sessions = [...failedSessions, ...report.sessions.filter((step) => !step.error)].map((step) =>
    step.error
      ? `❌ *${userText(step.endpoint, 100)}*: ${userText(step.error, 300)} (the daily session sweep retries; an agent-served endpoint keeps any kill already queued until its agent carries it out; the CRL also refuses them)`
      : `✅ *${userText(step.endpoint, 100)}*: ${plural(step.terminated, 'session')} terminated`,
  );
  const ended = report.sessions.reduce((sum, step) => sum + step.terminated, 0);
  const crl = crlStepLines(report.crl);

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
    packedSections([heading, ...(lines.length ? lines : [empty])], {
      maxBlocks: 14,
      more: (hidden) => `…and ${plural(hidden, 'more line')}; the audit trail has every step.`,
    });
  return message(summary, [
    section(`*${summary}*`),
    ...group('*1. Database*', database, 'No certificates matched.'),
    ...group(
      '*2. Live sessions*',
      sessions,
      report.revoked.length || report.alreadyRevoked.length
        ? 'No VPN endpoints are configured.'
        : 'Not needed: nothing is revoked.',
    ),
    ...group('*3. CRL*', crl, 'Nothing to publish.'),
  ]);
}
