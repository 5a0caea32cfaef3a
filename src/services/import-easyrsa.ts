import { X509Certificate } from 'node:crypto';
import { CertificateRecord } from '../domain/certificate';
import { decodeCn } from '../domain/cn';
import type { EasyRsaImport, ImportedCertificate } from '../pki/easyrsa';
import { DAY_MS } from '../domain/time';

/** Easy-RSA's default certificate lifetime: the best guess for a serial only the old CRL knows. */
const EASYRSA_CERT_DAYS = 825;

/**
 * The Slack member a legacy CN belongs to, if it follows our format or seed 001's
 * (`…-<SLACKID>.<domain>`); legacy names without one stay unbound and admins revoke them by serial.
 */
function slackIdOf(cn: string | undefined, domain: string): { slackId?: string; device?: string } {
  if (!cn) return {};
  try {
    return decodeCn(cn, domain);
  } catch {
    const id = cn.split('-').pop()?.split('.')[0];
    return id && /^[UW][A-Z0-9]{2,}$/.test(id) ? { slackId: id } : {};
  }
}

function fromIndex(entry: ImportedCertificate, domain: string, actor: string): CertificateRecord {
  const body = entry.certPem ? new X509Certificate(entry.certPem) : undefined;
  const notBefore = body ? new Date(body.validFrom) : new Date(entry.notAfter.getTime() - EASYRSA_CERT_DAYS * DAY_MS);
  const { slackId, device } = slackIdOf(entry.cn, domain);
  return {
    serial: entry.serial,
    cn: entry.cn ?? entry.subject,
    slackId,
    device,
    status: entry.status === 'revoked' ? 'revoked' : 'active',
    issuedAt: notBefore,
    notBefore,
    notAfter: entry.notAfter,
    certPem: entry.certPem,
    source: 'easyrsa',
    issuedBy: actor,
    revokedAt: entry.revokedAt,
    reason: entry.reason,
    revokedBy: entry.revokedAt ? 'easyrsa' : undefined,
  };
}

/** Records for every certificate index.txt knows, plus placeholders for serials only the old CRL lists. */
export function importedRecords(imported: EasyRsaImport, domain: string, actor: string): CertificateRecord[] {
  const records = imported.certificates.map((entry) => fromIndex(entry, domain, actor));
  const known = new Set(records.map((r) => r.serial));
  for (const revocation of imported.revocations.filter((r) => !known.has(r.serial))) {
    records.push({
      serial: revocation.serial,
      cn: `unknown-${revocation.serial}`,
      status: 'revoked',
      issuedAt: revocation.revokedAt,
      notBefore: revocation.revokedAt,
      notAfter: new Date(revocation.revokedAt.getTime() + EASYRSA_CERT_DAYS * DAY_MS),
      source: 'easyrsa',
      issuedBy: actor,
      revokedAt: revocation.revokedAt,
      reason: revocation.reason,
      revokedBy: 'easyrsa',
    });
  }
  return records;
}
