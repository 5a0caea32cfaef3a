import type { CertificateRecord } from '../../src/domain/certificate';
import { randomSerial } from '../../src/pki/serial';

const DAY_MS = 86_400_000;

/** An active year-long certificate record for Jane's laptop, for store tests that need one to write. */
export function certificateRecord(overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  const now = Date.now();
  return {
    serial: randomSerial(),
    cn: `jane.laptop-U0JANE.vpn.test`,
    slackId: 'U0JANE',
    device: 'laptop',
    status: 'active',
    issuedAt: new Date(now),
    notBefore: new Date(now - 300_000),
    notAfter: new Date(now + 365 * DAY_MS),
    source: 'issued',
    issuedBy: 'U0ADMIN',
    ...overrides,
  };
}
