import { CertificateRecord, effectiveStatus } from '../domain/certificate';
import type { AuditEntry } from '../domain/audit';
import { auditSentence, plainStyle } from '../domain/audit-sentence';
import type { CrlStatus } from '../services/crl-status';
import type { Check } from '../services/doctor';
import type { VpnAdmin } from '../services/vpn-admin';
import type { PublishOutcome, RevocationReport } from '../domain/revocation-report';

const day = (date: Date) => date.toISOString().slice(0, 10);

/** Plain aligned columns: readable in a terminal, greppable in a script. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '))
    .join('\n');
}

export function certificatesTable(records: CertificateRecord[], now: Date): string {
  if (records.length === 0) return 'No certificates.';
  const rows = [...records]
    .sort((a, b) => a.issuedAt.getTime() - b.issuedAt.getTime())
    .map((r) => [
      r.serial,
      effectiveStatus(r, now),
      r.slackId ?? '-',
      r.device ?? '-',
      day(r.notAfter),
      r.source,
      r.cn,
    ]);
  return table([['SERIAL', 'STATUS', 'SLACK ID', 'DEVICE', 'EXPIRES', 'SOURCE', 'CN'], ...rows]);
}

export function publishLine(outcome: PublishOutcome | { endpoint: string; outcome: 'deferred'; until: Date }): string {
  switch (outcome.outcome) {
    case 'published':
      return `✔ ${outcome.endpoint}: CRL #${outcome.crlNumber} with ${outcome.entries} entr${outcome.entries === 1 ? 'y' : 'ies'}, next update ${outcome.nextUpdate.toISOString()}`;
    case 'coalesced':
      return `✔ ${outcome.endpoint}: included in CRL #${outcome.crlNumber ?? '?'}, published together with other requests`;
    case 'queued':
      return `… ${outcome.endpoint}: CRL queued, not yet confirmed (${outcome.reason}); \`vpnctl crl status\` shows when it lands`;
    case 'deferred':
      return `… ${outcome.endpoint}: CRL deferred to the maintenance window (${outcome.until.toISOString()}); until then only the connect handler (login approval) refuses the certificate`;
    case 'failed':
      return `✖ ${outcome.endpoint}: CRL not published: ${outcome.error} (it stays queued: \`vpnctl crl publish\` or the daily job retries it)`;
  }
}

export function revocationReport(report: RevocationReport): string {
  const lines: string[] = [];
  for (const failure of report.failed) {
    lines.push(
      failure.step === 'revoke'
        ? `✖ database: ${failure.serial} (${failure.cn}) is still active: ${failure.error} (run the same revoke again to finish)`
        : `⚠ database: revoked ${failure.serial} (${failure.cn}), but its audit entry could not be written: ${failure.error}`,
    );
  }
  for (const r of report.revoked) lines.push(`✔ database: revoked ${r.serial} (${r.cn}); new logins are refused now`);
  for (const serial of report.alreadyRevoked) lines.push(`• ${serial} was already revoked`);
  for (const step of report.sessions) {
    lines.push(
      step.error
        ? `✖ sessions on ${step.endpoint}: ${step.error} (the daily session sweep retries; an agent-served endpoint keeps any kill already queued until its agent carries it out; the CRL also refuses them)`
        : `✔ sessions on ${step.endpoint}: ${step.terminated} terminated`,
    );
  }
  for (const step of report.crl) lines.push(publishLine(step));
  return lines.join('\n');
}

export function crlStatusTable(statuses: CrlStatus[]): string {
  if (statuses.length === 0) return 'No VPN endpoints configured (VPN_ENDPOINTS).';
  return statuses
    .map((s) => {
      const head = `${s.health === 'ok' ? '✔' : s.health === 'warn' ? '⚠' : '✖'} ${s.endpoint}`;
      const facts = [
        s.live
          ? `live CRL #${s.live.number ?? '?'}, ${s.live.entries} entries (limit 20,000), next update ${s.live.nextUpdate ?? 'none'}`
          : s.pending
            ? 'a CRL is published, not yet applied by the endpoint (pending)'
            : 'no CRL on the endpoint',
        s.live && s.daysLeft !== undefined ? `${s.daysLeft.toFixed(1)} days left` : undefined,
        s.live && !s.live.signedByOurCa ? 'NOT signed by our CA' : undefined,
        s.recordedNumber !== undefined
          ? `last publish #${s.recordedNumber}${s.publishedAt ? ` at ${s.publishedAt}` : ''}`
          : 'never published by us',
        s.outstanding ? `${s.outstanding} publish request(s) outstanding` : undefined,
        s.lastError ? `last error: ${s.lastError}` : undefined,
        s.readError ? `could not read the live CRL: ${s.readError}` : undefined,
      ].filter(Boolean);
      return [head, ...facts.map((fact) => `    ${fact}`), ...s.problems.map((p) => `    → ${p}`)].join('\n');
    })
    .join('\n');
}

/** One sentence per entry; `names` turns Slack IDs into names where it knows them. */
export function auditTable(entries: AuditEntry[], names?: (id: string) => string | undefined): string {
  if (entries.length === 0) return 'No audit entries in that window.';
  const style = plainStyle(names);
  return table([
    ['TIME', 'OUTCOME', 'WHAT HAPPENED'],
    ...entries.map((e) => [e.at.toISOString(), e.outcome, auditSentence(e, style)]),
  ]);
}

const CHECK_ICON: Record<Check['status'], string> = { pass: '✅', warn: '⚠️ ', fail: '❌' };

/** One line per check, the fix after an arrow, then the tally. */
export function doctorReport(checks: Check[]): string {
  const lines = checks.map(
    (check) => `${CHECK_ICON[check.status]} ${check.name}: ${check.detail}${check.fix ? ` → ${check.fix}` : ''}`,
  );
  const count = (status: Check['status']) => checks.filter((check) => check.status === status).length;
  return [...lines, '', `${count('fail')} failing, ${count('warn')} warning, ${count('pass')} passing`].join('\n');
}

/**
 * The daily job, and outside AWS the offboarding reconcile `vpnctl daily` runs after it (no other schedule runs it
 * there).
 */
export type DailyResult = Awaited<ReturnType<VpnAdmin['daily']>> & {
  offboarding?: Awaited<ReturnType<VpnAdmin['reconcileOffboarding']>>;
};

const RENEWAL_TEXT: Record<DailyResult['renewals'][number]['action'], string> = {
  none: 'CRL current, nothing to renew',
  'waiting-for-window': 'CRL renewal due, waiting for CRL_WINDOW',
  renewed: 'CRL renewed',
  failed: 'CRL renewal FAILED (retried tomorrow; `vpnctl crl publish` now)',
};

/** One line per thing the daily job did or could not do. */
export function dailyReport(result: DailyResult, withSlack: boolean): string {
  const lines = result.renewals.map((renewal) => {
    const left = renewal.daysLeft === undefined ? 'no readable CRL' : `${renewal.daysLeft.toFixed(1)} days left before`;
    return `${renewal.action === 'failed' ? '✖' : '✔'} ${renewal.endpoint}: ${RENEWAL_TEXT[renewal.action]} (${left})${renewal.drift.length ? `; drift: ${renewal.drift.join('; ')}` : ''}`;
  });
  for (const sweep of result.sessions)
    lines.push(
      sweep.error
        ? `⚠ ${sweep.endpoint}: sessions not swept: ${sweep.error}`
        : `✔ ${sweep.endpoint}: ${sweep.terminated} session(s) that should not exist ended`,
    );
  if (result.retired.length)
    lines.push(
      `✔ retired ${result.retired.length} renewed certificate(s) after their grace period: ${result.retired.join(', ')}`,
    );
  if (result.reminders)
    lines.push(
      `✔ expiry reminders: ${result.reminders.sent.length} sent, ${result.reminders.failed.length} failed (retried tomorrow)`,
    );
  else if (!withSlack)
    lines.push(
      '⚠ expiry reminders and the weekly digest need Slack: set SLACK_BOT_TOKEN (the bot sends them when it runs this job)',
    );
  if (result.digest) lines.push('✔ weekly digest sent to the admins');
  const gone = result.offboarding;
  if (gone?.checked || gone?.failed.length || gone?.unchecked)
    lines.push(
      `${gone.failed.length || gone.unchecked ? '⚠' : '✔'} offboarding: ${gone.checked} holder(s) checked in Slack (${gone.calls} ${gone.lookup} call(s)), ${gone.revoked.length} offboarded, ${gone.reported.length} reported to the admins, ${gone.failed.length + gone.unchecked} not checked`,
    );
  for (const problem of result.problems) lines.push(`✖ ${problem}`);
  return lines.length ? lines.join('\n') : 'No VPN endpoints configured (VPN_ENDPOINTS) and nothing else to do.';
}
