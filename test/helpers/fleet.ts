import type { AuditEntry } from '../../src/domain/audit';
import type { CertificateRecord } from '../../src/domain/certificate';
import type { AuditLog } from '../../src/ports';

const DAY_MS = 86_400_000;

/** About the size of a real 2048-bit client certificate's PEM: the status index holds it, so reads pay for it. */
const PEM = `-----BEGIN CERTIFICATE-----\n${'MIIDazCCAlOgAwIBAgIUfleet0000000000000000000000000000000000000000\n'.repeat(22)}-----END CERTIFICATE-----\n`;

export interface FleetShape {
  /** Live certificates (active, suspended, some already expired) and revoked ones. */
  live: number;
  revoked: number;
  /** The owner of `heavyDevices` of the live certificates; the rest go `devicesEach` to a person. */
  heavyOwner: string;
  heavyDevices: number;
  devicesEach: number;
}

export const COMPANY: FleetShape = {
  live: 20_000,
  revoked: 20_000,
  heavyOwner: 'U0HEAVY',
  heavyDevices: 50,
  devicesEach: 30,
};

/** Serials in order, so a test can tell every certificate apart; 12 hex digits as `randomSerial` would not. */
const serial = (i: number) => `5E${i.toString(16).toUpperCase().padStart(12, '0')}`;

/**
 * A company's certificates: several hundred people with many devices each, one with `heavyDevices`; one in a
 * hundred live ones paused ("Not me"), one in fifty already past notAfter; the revoked ones from leavers.
 */
export function fleetRecords(shape: FleetShape, now: number): CertificateRecord[] {
  const live = Array.from({ length: shape.live }, (_, i): CertificateRecord => {
    const heavy = i < shape.heavyDevices;
    const person = heavy ? shape.heavyOwner : `U0P${Math.floor((i - shape.heavyDevices) / shape.devicesEach)}`;
    const device = `device${i}`;
    const expired = i % 50 === 7;
    return {
      serial: serial(i),
      cn: `${device}-${person}.vpn.example.com`,
      slackId: person,
      device,
      displayName: `Person ${person}`,
      status: i % 100 === 3 ? 'suspended' : 'active',
      issuedAt: new Date(now - 200 * DAY_MS),
      notBefore: new Date(now - 200 * DAY_MS),
      notAfter: new Date(expired ? now - (i % 30) * DAY_MS - 1000 : now + (i % 365) * DAY_MS + DAY_MS),
      certPem: PEM,
      source: 'issued',
      issuedBy: 'U0ADMIN',
    };
  });
  const revoked = Array.from({ length: shape.revoked }, (_, i): CertificateRecord => {
    const person = `U0LEFT${Math.floor(i / 5)}`;
    return {
      serial: serial(shape.live + i),
      cn: `old${i}-${person}.vpn.example.com`,
      slackId: person,
      device: `old${i}`,
      status: 'revoked',
      issuedAt: new Date(now - 300 * DAY_MS),
      notBefore: new Date(now - 300 * DAY_MS),
      notAfter: new Date(now + (i % 300) * DAY_MS + DAY_MS),
      certPem: PEM,
      source: 'issued',
      issuedBy: 'U0ADMIN',
      revokedAt: new Date(now - (i % 90) * DAY_MS),
      reason: 'affiliationChanged',
      revokedBy: 'U0ADMIN',
    };
  });
  return [...live, ...revoked];
}

/** What each certificate left in the trail: its issue, and its revocation when revoked, spread over 90 days. */
function trailEntry(record: CertificateRecord, i: number, now: number): Omit<AuditEntry, 'id'> {
  const at = new Date(now - (i % 90) * DAY_MS - (i % 1440) * 60_000);
  return record.status === 'revoked'
    ? {
        at,
        actor: 'U0ADMIN',
        action: 'certificate.revoke',
        target: record.slackId ?? record.serial,
        outcome: 'success',
        details: { serial: record.serial, cn: record.cn, reason: record.reason ?? 'unspecified' },
      }
    : {
        at,
        actor: record.slackId ?? 'U0ADMIN',
        action: 'certificate.issue',
        target: record.slackId ?? record.serial,
        outcome: 'success',
        details: { serial: record.serial, cn: record.cn },
      };
}

/** One entry per certificate through the audit log's own append (it has no batch path), 32 at a time. */
export async function seedAuditTrail(audit: AuditLog, records: CertificateRecord[], now: number): Promise<number> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < records.length) {
        const i = next++;
        await audit.append(trailEntry(records[i], i, now));
      }
    }),
  );
  return records.length;
}
