import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { VpnAdmin } from '../../src/services/vpn-admin';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { loadConfig } from '../../src/config';
import { CertificateRecord } from '../../src/domain/certificate';
import { encodeCn } from '../../src/domain/cn';
import { CertificateAuthority } from '../../src/pki/ca';
import { signCertificateFor } from '../../src/pki/certificate';
import type { Alert, Clock, VpnEndpoint } from '../../src/ports';
import { testCa } from './ca';
import { testDatabase } from './dynamodb';
import { EndpointHooks, InstrumentedEndpoint } from './endpoints';
import { tempDir } from './tools';

export const DOMAIN = 'vpn.test';

/** Everything a service test needs: DynamoDB Local, a CA, and a real file-backed OpenVPN endpoint (no server). */
export async function serviceWorld(
  options: { env?: Record<string, string>; clock?: Clock; hooks?: EndpointHooks; management?: string } = {},
) {
  const db = await testDatabase();
  const dir = tempDir('world');
  const ca: CertificateAuthority = await testCa();
  const config = loadConfig({ CERT_DOMAIN: DOMAIN, STATE_DIR: dir.path, ...options.env });
  const inner = new OpenVpnEndpoint({
    name: 'test',
    management: options.management ?? '127.0.0.1:9',
    crlFile: join(dir.path, 'crl.pem'),
    remote: '127.0.0.1 1194 udp',
    caPem: ca.certPem,
    timeoutMs: 1000,
  });
  const endpoint = new InstrumentedEndpoint(inner, { sessions: () => [], ...options.hooks });
  const alerts: Alert[] = [];
  const stores = storesFor(db);
  const admin = new VpnAdmin({
    config,
    ca,
    ...stores,
    endpoints: [endpoint as VpnEndpoint],
    alerts: { send: async (alert) => void alerts.push(alert) },
    clock: options.clock,
    coalesceMs: 0,
  });
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  /** A recorded certificate without key generation (signing is sub-millisecond). */
  async function enrol(name: string, slackId: string, device?: string): Promise<CertificateRecord> {
    const cn = encodeCn({ displayName: name, slackId, domain: DOMAIN, device });
    const now = options.clock?.now() ?? new Date();
    const issued = signCertificateFor({ ca, cn, publicKey, now });
    const record: CertificateRecord = {
      serial: issued.serial,
      cn,
      slackId,
      device,
      status: 'active',
      issuedAt: now,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      certPem: issued.certPem,
      source: 'issued',
      issuedBy: 'U0ADMIN',
    };
    await stores.certificates.create(record);
    return record;
  }

  return {
    db,
    dir,
    ca,
    config,
    endpoint,
    inner,
    alerts,
    admin,
    enrol,
    ...stores,
    async close() {
      await db.drop();
      dir.remove();
    },
  };
}
