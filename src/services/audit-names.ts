import type { CertificateStore } from '../ports';

/**
 * Slack IDs to the names their newest certificates were issued under: the directory `vpnctl` has
 * without Slack. A member who never held a certificate stays an ID.
 */
export async function auditSentenceNames(certificates: CertificateStore): Promise<(id: string) => string | undefined> {
  const records = (await certificates.list()).sort((a, b) => a.issuedAt.getTime() - b.issuedAt.getTime());
  const names = new Map<string, string>();
  for (const record of records) if (record.slackId && record.displayName) names.set(record.slackId, record.displayName);
  return (id) => names.get(id);
}
