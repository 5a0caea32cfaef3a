import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { VpnChatopsError } from '../domain/errors';
import { Revocation, RevocationReason, parseRevocationReason, reasonOnFullCrl } from '../domain/revocation';
import { CertificateAuthority, loadCa } from './ca';
import { ParsedCrl, parseCrl } from './crl';
import { normalizeSerial } from './serial';

export type IndexStatus = 'valid' | 'revoked' | 'expired';

/** One line of OpenSSL's `index.txt` text database. */
export interface IndexEntry {
  status: IndexStatus;
  notAfter: Date;
  revokedAt?: Date;
  reason?: RevocationReason;
  serial: string;
  subject: string;
  cn?: string;
}

export interface ImportedCertificate extends IndexEntry {
  certPem?: string;
}

export interface EasyRsaImport {
  ca: CertificateAuthority;
  certificates: ImportedCertificate[];
  /** The PKI's current CRL, when it has one and this CA signed it. */
  crl?: ParsedCrl;
  /** index.txt's revocations plus any only the CRL knows: our first CRL must list a superset of the old one. */
  revocations: Revocation[];
  warnings: string[];
}

const invalid = (message: string) => new VpnChatopsError('INVALID_EASYRSA', message);

/** `YYMMDDHHMMSSZ` (UTCTime) or `YYYYMMDDHHMMSSZ` (GeneralizedTime, from 2050). */
function parseIndexTime(text: string, line: number): Date {
  const match = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) throw invalid(`index.txt line ${line}: "${text}" is not a date (YYMMDDHHMMSSZ).`);
  let year = Number(match[1]);
  if (match[1].length === 2) year += year < 50 ? 2000 : 1900;
  const [month, day, hour, minute, second] = match.slice(2).map(Number);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

const STATUS: Record<string, IndexStatus> = { V: 'valid', R: 'revoked', E: 'expired' };

export function parseIndexTxt(text: string, now = new Date()): IndexEntry[] {
  const entries: IndexEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const fields = raw.replace(/\r$/, '').split('\t');
    if (fields.length < 6)
      throw invalid(`index.txt line ${line}: expected 6 tab-separated fields, found ${fields.length}.`);
    const [flag, expiry, revocation, serialText, , subject] = fields;
    const status = STATUS[flag];
    if (!status) throw invalid(`index.txt line ${line}: unknown status "${flag}" (expected V, R or E).`);
    const notAfter = parseIndexTime(expiry, line);
    const entry: IndexEntry = {
      // Easy-RSA never runs `openssl ca -updatedb`, so a `V` may be long expired: trust the date, not the flag.
      status: status === 'valid' && notAfter.getTime() <= now.getTime() ? 'expired' : status,
      notAfter,
      serial: normalizeSerial(serialText),
      subject,
    };
    if (status === 'revoked') {
      const [date, reason] = revocation.split(',');
      entry.revokedAt = parseIndexTime(date, line);
      // Easy-RSA cannot write removeFromCRL; a hand-edited line that says so still marks the certificate revoked.
      entry.reason = reason ? reasonOnFullCrl(parseRevocationReason(reason)) : 'unspecified';
    }
    const cn = /(?:^|\/)CN=([^/]*)/.exec(subject)?.[1];
    if (cn) entry.cn = cn;
    entries.push(entry);
  });
  return entries;
}

function readCertificatesBySerial(pki: string): Map<string, string> {
  const out = new Map<string, string>();
  // Join on serial, never on file name: one CN can have several certificates over time.
  const folders = [
    'issued',
    'certs_by_serial',
    'revoked/certs_by_serial',
    'expired',
    'renewed/issued',
    'renewed/certs_by_serial',
  ];
  for (const folder of folders) {
    const dir = join(pki, folder);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir)) {
      if (!/\.(crt|pem)$/.test(name)) continue;
      try {
        const pem = readFileSync(join(dir, name), 'utf8');
        out.set(normalizeSerial(new X509Certificate(pem).serialNumber), pem);
      } catch {
        // An unreadable certificate file only costs us its body; index.txt stays the source of truth.
      }
    }
  }
  return out;
}

/**
 * Read an Easy-RSA 3 PKI: the CA (certificate and key), every certificate's status from index.txt,
 * their bodies where present, and the current CRL. Client private keys (`private/*.key` other than
 * the CA's) are never opened.
 */
export function importEasyRsa(dir: string, options: { passphrase?: string; now?: Date } = {}): EasyRsaImport {
  const pki = existsSync(join(dir, 'pki', 'ca.crt')) ? join(dir, 'pki') : dir;
  const required = ['ca.crt', join('private', 'ca.key'), 'index.txt'];
  const missing = required.filter((file) => !existsSync(join(pki, file)));
  if (missing.length) {
    throw invalid(
      `${dir} is not an Easy-RSA PKI: ${missing.join(', ')} not found. Point at the folder that holds ca.crt and index.txt.`,
    );
  }
  const ca = loadCa({
    certPem: readFileSync(join(pki, 'ca.crt'), 'utf8'),
    keyPem: readFileSync(join(pki, 'private', 'ca.key'), 'utf8'),
    passphrase: options.passphrase,
  });
  const entries = parseIndexTxt(readFileSync(join(pki, 'index.txt'), 'utf8'), options.now);
  const bodies = readCertificatesBySerial(pki);
  const warnings: string[] = [];
  const certificates = entries.map((entry): ImportedCertificate => {
    const certPem = bodies.get(entry.serial);
    return certPem ? { ...entry, certPem } : entry;
  });
  const revocations: Revocation[] = certificates.flatMap((c) =>
    c.revokedAt && c.reason ? [{ serial: c.serial, revokedAt: c.revokedAt, reason: c.reason }] : [],
  );
  let crl: ParsedCrl | undefined;
  const crlPath = join(pki, 'crl.pem');
  if (existsSync(crlPath)) {
    const parsed = parseCrl(readFileSync(crlPath, 'utf8'), ca);
    if (parsed.signedBy?.signatureValid && parsed.signedBy.issuerMatches) {
      crl = parsed;
      const known = new Set(revocations.map((r) => r.serial));
      const extra = parsed.revocations.filter((r) => !known.has(r.serial));
      if (extra.length)
        warnings.push(
          `crl.pem lists ${extra.length} serial(s) that index.txt does not mark revoked; they stay revoked.`,
        );
      // Listed on the old CRL is revoked for us, whatever the entry's reason (removeFromCRL included).
      revocations.push(...extra.map((revocation) => ({ ...revocation, reason: reasonOnFullCrl(revocation.reason) })));
    } else {
      warnings.push('crl.pem is not signed by this CA; it was ignored.');
    }
  }
  return { ca, certificates, crl, revocations, warnings };
}
