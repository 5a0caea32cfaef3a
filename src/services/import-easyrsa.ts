import { X509Certificate } from 'node:crypto';
import { CertificateRecord } from '../domain/certificate';
import { decodeCn } from '../domain/cn';
import { VpnChatopsError } from '../domain/errors';
import { caMaterial } from '../pki/ca';
import { EasyRsaImport, ImportedCertificate, importEasyRsa } from '../pki/easyrsa';
import { DAY_MS } from '../domain/time';
import type { AuditLog, CaStore, CertificateStore, DatabaseScope } from '../ports';

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

export interface EasyRsaMigrationDeps {
  caStore: CaStore;
  database: DatabaseScope<{ certificates: CertificateStore; audit: AuditLog }>;
}

export interface EasyRsaMigrationRequest {
  /** The Easy-RSA folder, or its `pki` folder. */
  dir: string;
  /** The CA key's passphrase, asked for only once no existing CA stands in the way. */
  passphrase: () => string | undefined;
  /** Replace a CA already in the store. */
  overwrite?: boolean;
  certDomain: string;
  actor: string;
}

export interface EasyRsaMigration {
  /** The imported CA's subject. */
  subject: string;
  location: string;
  certificates: number;
  /** Certificates written; those already in the table are skipped. */
  written: number;
  revoked: number;
  warnings: string[];
}

/** `vpnctl ca import-easyrsa`: the PKI's CA into the CA store, every certificate and revocation into the table. */
export async function migrateEasyRsa(
  deps: EasyRsaMigrationDeps,
  request: EasyRsaMigrationRequest,
): Promise<EasyRsaMigration> {
  const { caStore } = deps;
  // Refuse before writing anything: certificates of a CA we will not keep must not land in the table.
  if (!request.overwrite && (await caStore.load()))
    throw new VpnChatopsError(
      'STATE',
      `A CA already exists in ${caStore.location}; refusing to replace it (use --force to migrate over it).`,
    );
  const imported = importEasyRsa(request.dir, { passphrase: request.passphrase() });
  const records = importedRecords(imported, request.certDomain, request.actor);
  const written = await deps.database(async ({ certificates, audit }) => {
    // Certificates first: a failure here leaves no CA behind, so the import can simply be run again.
    const written = await certificates.importMany(records);
    await caStore.save(caMaterial(imported.ca), { overwrite: request.overwrite });
    await audit.append({
      actor: request.actor,
      action: 'ca.import',
      target: caStore.location,
      outcome: 'success',
      details: {
        source: request.dir,
        certificates: records.length,
        written,
        revoked: imported.revocations.length,
        warnings: imported.warnings,
      },
    });
    return written;
  });
  return {
    subject: imported.ca.x509.subject,
    location: caStore.location,
    certificates: records.length,
    written,
    revoked: imported.revocations.length,
    warnings: imported.warnings,
  };
}
