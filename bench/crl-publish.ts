import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { OpenVpnEndpoint } from '../src/adapters/openvpn/endpoint';
import { connectDatabase, ensureTable } from '../src/adapters/dynamodb/client';
import { startDynamoDbLocal } from '../src/adapters/dynamodb/local-server';
import { storesFor } from '../src/adapters/dynamodb/stores';
import { CertificateRecord } from '../src/domain/certificate';
import { createCa, loadCa } from '../src/pki/ca';
import { randomSerial } from '../src/pki/serial';
import { CrlPublisher } from '../src/services/publish-crl';
import { measure, ms, report } from './lib';

const DAY = 86_400_000;

/** crl-publish-20000: read 20,000 revocations from DynamoDB Local, build, sign, verify, write to an OpenVPN endpoint, read back. */
export async function crlPublishBenchmark(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'vpn-chatops-bench-publish-'));
  const dynamo = await startDynamoDbLocal();
  try {
    const db = connectDatabase({ tableName: `bench-${randomBytes(4).toString('hex')}`, endpoint: dynamo.endpoint });
    await ensureTable(db);
    const stores = storesFor(db);
    const ca = loadCa(await createCa({ commonName: 'Bench CA' }));
    const now = Date.now();
    const records: CertificateRecord[] = Array.from({ length: 20_000 }, (_, i) => ({
      serial: randomSerial(),
      cn: `leaver${i}-U0BENCH${i}.vpn.example.com`,
      slackId: `U0BENCH${i}`,
      status: 'revoked',
      issuedAt: new Date(now - 100 * DAY),
      notBefore: new Date(now - 100 * DAY),
      notAfter: new Date(now + 265 * DAY),
      source: 'issued',
      issuedBy: 'bench',
      revokedAt: new Date(now - i * 60_000),
      reason: 'affiliationChanged',
      revokedBy: 'bench',
    }));
    const seeded = Date.now();
    await stores.certificates.importMany(records);
    console.error(`(seeded 20,000 revoked certificates in ${Date.now() - seeded} ms)`);
    const endpoint = new OpenVpnEndpoint({
      name: 'bench',
      management: '127.0.0.1:9',
      crlFile: join(work, 'crl.pem'),
      remote: '127.0.0.1 1194 udp',
      caPem: ca.certPem,
    });
    const publisher = new CrlPublisher({ ca, ...stores, clock: { now: () => new Date() }, crlDays: 180 });
    let entries = 0;
    const stats = await measure(
      async () => {
        const outcome = await publisher.publish(endpoint, 'bench');
        if (outcome.outcome !== 'published') throw new Error(`publish did not succeed: ${JSON.stringify(outcome)}`);
        entries = outcome.entries;
      },
      7,
      1,
    );
    report('crl-publish-20000', { ours_ms: ms(stats.p50), p99_ms: ms(stats.p99), entries });
    db.doc.destroy();
  } finally {
    await dynamo.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
