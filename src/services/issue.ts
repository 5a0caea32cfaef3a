import { randomBytes } from 'node:crypto';
import { CertificateRecord, effectiveStatus } from '../domain/certificate';
import { cnTag, CN_TAG_LENGTH, decodeCn, encodeCn } from '../domain/cn';
import { VpnChatopsError, messageOf } from '../domain/errors';
import type { CertificateAuthority } from '../pki/ca';
import { issueWithNewKey, IssuedCertificate, signCsr } from '../pki/certificate';
import type { KeySource } from '../pki/key-pool';
import { assembleProfile } from '../pki/profile';
import { wrapTlsCryptV2ClientKey } from '../pki/tls-crypt-v2';
import type { AuditLog, CertificateStore, Clock, VpnEndpoint } from '../ports';
import { HOUR_MS, sleep } from '../domain/time';

export interface IssueDeps {
  ca: CertificateAuthority;
  certificates: CertificateStore;
  audit: AuditLog;
  clock: Clock;
  /** Where the profile's base configuration comes from. */
  endpoint: VpnEndpoint;
  keys?: KeySource;
  certDomain: string;
  certDays: number;
}

export interface IssueRequest {
  slackId: string;
  displayName: string;
  device?: string;
  /** PEM CSR: the key stays on the member's laptop and the profile references it by file name. */
  csrPem?: string;
  actor: string;
  /** A renewal: the serial of the certificate this one replaces. */
  replaces?: string;
  /**
   * Time-boxed access: the certificate's lifetime in hours instead of CERT_DAYS (the caller applies MAX_ACCESS_HOURS).
   */
  validHours?: number;
  /** Access that ends by a moment (a grant's end): the certificate lasts no longer, whatever else was asked. */
  endsBy?: Date;
}

/** The certificate's lifetime in hours: what was asked (CERT_DAYS by default), cut at `endsBy`. */
function lifetimeHours(request: IssueRequest, certDays: number, now: Date): number | undefined {
  if (request.endsBy === undefined) return request.validHours;
  const left = (request.endsBy.getTime() - now.getTime()) / HOUR_MS;
  if (left <= 0)
    throw new VpnChatopsError(
      'FORBIDDEN',
      'Your access ended before the certificate could be issued. Nothing was issued.',
    );
  return Math.min(request.validHours ?? certDays * 24, left);
}

export interface IssueResult {
  record: CertificateRecord;
  certPem: string;
  /** The unified .ovpn. It holds the private key unless a CSR was used: hand it to its owner only. */
  profile: string;
}

/**
 * Issue a certificate bound to a Slack member and build their profile. The record is written
 * before anything is returned; if writing the audit entry then fails, the certificate is revoked
 * again so no valid certificate exists that nobody holds.
 */
export async function issueCertificate(deps: IssueDeps, request: IssueRequest): Promise<IssueResult> {
  const { ca, certificates, audit, clock } = deps;
  // Every certificate its own CN (see domain/cn.ts); the store refuses a CN an unexpired certificate bears.
  const cn = encodeCn({
    displayName: request.displayName,
    slackId: request.slackId,
    domain: deps.certDomain,
    device: request.device,
    tag: cnTag(randomBytes(CN_TAG_LENGTH)),
  });
  const device = decodeCn(cn, deps.certDomain).device;
  const now = clock.now();
  // The store holds one live certificate per device for what it issues; this also finds those issued before tags, and
  // imports.
  const holder = (await certificates.byUser(request.slackId)).find(
    (record) => record.device === device && ['active', 'suspended'].includes(effectiveStatus(record, now)),
  );
  if (holder) {
    throw new VpnChatopsError(
      'CONFLICT',
      // Said to the person themselves when they asked (the Slack path), about the member when an admin did.
      `${request.actor === request.slackId ? 'You already have' : `${request.slackId} already has`} an active certificate${device ? ` for device "${device}"` : ''} (serial ${holder.serial}, expires ${holder.notAfter.toISOString().slice(0, 10)}). Revoke it first, or issue for another device label.`,
    );
  }
  // Fetch the base configuration before signing: an unreachable endpoint leaves nothing behind.
  const base = await deps.endpoint.clientConfiguration();
  const tlsCryptKey = await deps.endpoint.tlsCryptKey?.();
  const tlsCryptV2ServerKey = await deps.endpoint.tlsCryptV2ServerKey?.();

  const hours = lifetimeHours(request, deps.certDays, now);
  let issued: IssuedCertificate;
  let keyPem: string | undefined;
  if (request.csrPem !== undefined) {
    issued = signCsr({ ca, csrPem: request.csrPem, cn, days: deps.certDays, hours, now });
  } else {
    const withKey = await issueWithNewKey({
      ca,
      cn,
      days: deps.certDays,
      hours,
      now,
      keys: deps.keys,
    });
    issued = withKey;
    keyPem = withKey.keyPem;
  }
  const profile = assembleProfile({
    base,
    certPem: issued.certPem,
    keyPem,
    keyFile: keyPem ? undefined : `${cn}.key`,
    tlsCryptKey,
    ...(tlsCryptV2ServerKey !== undefined && {
      tlsCryptV2Key: wrapTlsCryptV2ClientKey(tlsCryptV2ServerKey, issued.serial),
    }),
  });

  const record: CertificateRecord = {
    serial: issued.serial,
    cn,
    slackId: request.slackId,
    device,
    displayName: request.displayName,
    status: 'active',
    issuedAt: now,
    notBefore: issued.notBefore,
    notAfter: issued.notAfter,
    certPem: issued.certPem,
    source: request.csrPem !== undefined ? 'csr' : 'issued',
    issuedBy: request.actor,
    ...(request.replaces !== undefined && { replaces: request.replaces }),
  };
  await certificates.create(record);
  try {
    await audit.append({
      actor: request.actor,
      action: 'certificate.issue',
      target: request.slackId,
      outcome: 'success',
      at: now,
      details: {
        serial: record.serial,
        cn,
        source: record.source,
        notAfter: record.notAfter.toISOString(),
        ...(hours !== undefined && { validHours: hours }),
      },
    });
  } catch (error) {
    await rollBack(certificates, record, clock, error);
  }
  return { record, certPem: issued.certPem, profile };
}

/**
 * The certificate is recorded but will not be delivered: revoke it so no valid certificate exists
 * that nobody holds. If even that fails, say exactly what is left behind and how to clean it up.
 */
export async function rollBack(
  certificates: CertificateStore,
  record: CertificateRecord,
  clock: Clock,
  cause: unknown,
): Promise<never> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const revoked = await certificates
      .markRevoked(record.serial, {
        revokedAt: clock.now(),
        reason: 'cessationOfOperation',
        actor: 'system:issue-rollback',
      })
      .then(
        () => true,
        () => false,
      );
    if (revoked) throw cause;
    if (attempt < 3) await sleep(200 * attempt);
  }
  const why = messageOf(cause);
  throw new VpnChatopsError(
    'STATE',
    `Certificate ${record.serial} (${record.cn}) was recorded but could not be delivered (${why}), and revoking it failed too. Revoke it when the database is back: vpnctl revoke --serial ${record.serial}`,
    { cause },
  );
}
