import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateRecord } from '../../src/domain/certificate';
import { VpnChatopsError } from '../../src/domain/errors';
import { caMaterial, loadCa } from '../../src/pki/ca';
import { issueWithNewKey } from '../../src/pki/certificate';
import type { CertificateStore } from '../../src/ports';
import { migrateEasyRsa } from '../../src/services/import-easyrsa';
import { testCa } from '../helpers/ca';
import { rejectionOf } from '../helpers/errors';
import { MemoryAuditLog, MemoryCaStore, answeringDatabase, unreachableDatabase } from '../helpers/memory-stores';
import { tempDir } from '../helpers/tools';

/** index.txt's time format, YYMMDDHHMMSSZ. */
const indexTime = (date: Date) => date.toISOString().replace(/^\d\d|[-:T]|\.\d+/g, '');

/** Only what the migration writes with. */
function importingStore(fail?: Error): CertificateStore & { imported: CertificateRecord[] } {
  const imported: CertificateRecord[] = [];
  const importMany = async (records: CertificateRecord[]) => {
    if (fail) throw fail;
    imported.push(...records);
    return records.length;
  };
  return { imported, importMany } as unknown as CertificateStore & { imported: CertificateRecord[] };
}

describe('migrateEasyRsa', () => {
  let dir: ReturnType<typeof tempDir>;
  let aliceSerial: string;

  /** A PKI as Easy-RSA leaves it: alice valid with her certificate in issued/, bob revoked with only his index line. */
  beforeAll(async () => {
    dir = tempDir('easyrsa-migration');
    const ca = await testCa('Legacy Easy-RSA CA');
    const pki = join(dir.path, 'pki');
    mkdirSync(join(pki, 'private'), { recursive: true });
    mkdirSync(join(pki, 'issued'));
    writeFileSync(join(pki, 'ca.crt'), ca.certPem);
    writeFileSync(join(pki, 'private', 'ca.key'), caMaterial(ca).keyPem);
    const alice = await issueWithNewKey({ ca, cn: 'alice-U0ALICE.vpn.example.com' });
    aliceSerial = alice.serial;
    writeFileSync(join(pki, 'issued', 'alice.crt'), alice.certPem);
    writeFileSync(
      join(pki, 'index.txt'),
      [
        `V\t${indexTime(alice.notAfter)}\t\t${alice.serial}\tunknown\t/CN=alice-U0ALICE.vpn.example.com`,
        `R\t${indexTime(alice.notAfter)}\t261122051841Z,keyCompromise\t0B0B\tunknown\t/CN=bob-U0BOB.vpn.example.com`,
        '',
      ].join('\n'),
    );
  });
  afterAll(() => dir.remove());

  const request = (overrides: Partial<Parameters<typeof migrateEasyRsa>[1]> = {}) => ({
    dir: dir.path,
    passphrase: () => undefined,
    certDomain: 'vpn.example.com',
    actor: 'vpnctl:root',
    ...overrides,
  });

  it('writes every certificate, then the CA, then the audit entry', async () => {
    const caStore = new MemoryCaStore();
    const certificates = importingStore();
    const audit = new MemoryAuditLog();
    const migrated = await migrateEasyRsa({ caStore, database: answeringDatabase({ certificates, audit }) }, request());
    expect(migrated).toEqual({
      subject: 'CN=Legacy Easy-RSA CA',
      location: 'memory:ca',
      certificates: 2,
      written: 2,
      revoked: 1,
      warnings: [],
    });
    expect(certificates.imported.map((r) => [r.serial, r.cn, r.status, r.slackId, r.source, r.issuedBy])).toEqual([
      [aliceSerial, 'alice-U0ALICE.vpn.example.com', 'active', 'U0ALICE', 'easyrsa', 'vpnctl:root'],
      ['0B0B', 'bob-U0BOB.vpn.example.com', 'revoked', 'U0BOB', 'easyrsa', 'vpnctl:root'],
    ]);
    expect(loadCa(caStore.material!).x509.subject).toBe('CN=Legacy Easy-RSA CA');
    expect(audit.entries).toEqual([
      expect.objectContaining({
        action: 'ca.import',
        target: 'memory:ca',
        outcome: 'success',
        details: { source: dir.path, certificates: 2, written: 2, revoked: 1, warnings: [] },
      }),
    ]);
  });

  it('refuses over an existing CA before reading the PKI or opening the database, and replaces it with --force', async () => {
    const existing = caMaterial(await testCa('Current CA'));
    const caStore = new MemoryCaStore(existing);
    const database = answeringDatabase({ certificates: importingStore(), audit: new MemoryAuditLog() });
    const passphrase = jest.fn(() => undefined);
    const error = await rejectionOf(migrateEasyRsa({ caStore, database }, request({ passphrase })));
    expect(error.message).toBe(
      'A CA already exists in memory:ca; refusing to replace it (use --force to migrate over it).',
    );
    expect(passphrase).not.toHaveBeenCalled();
    expect(database.opened).toBe(0);
    expect(caStore.material).toBe(existing);
    await migrateEasyRsa({ caStore, database }, request({ overwrite: true }));
    expect(loadCa(caStore.material!).x509.subject).toBe('CN=Legacy Easy-RSA CA');
  });

  it('opens no database for a folder that is not a PKI', async () => {
    const database = answeringDatabase({ certificates: importingStore(), audit: new MemoryAuditLog() });
    const error = await rejectionOf(
      migrateEasyRsa({ caStore: new MemoryCaStore(), database }, request({ dir: join(dir.path, 'pki', 'issued') })),
    );
    expect(error.code).toBe('INVALID_EASYRSA');
    expect(database.opened).toBe(0);
  });

  it('leaves no CA behind when the database does not answer or the certificates cannot be written, so it can simply run again', async () => {
    const caStore = new MemoryCaStore();
    await expect(migrateEasyRsa({ caStore, database: unreachableDatabase }, request())).rejects.toThrow(
      /Nothing answers/,
    );
    const audit = new MemoryAuditLog();
    const failing = importingStore(new VpnChatopsError('STORE_UNAVAILABLE', 'throttled'));
    await expect(
      migrateEasyRsa({ caStore, database: answeringDatabase({ certificates: failing, audit }) }, request()),
    ).rejects.toThrow(/throttled/);
    expect(caStore.material).toBeUndefined();
    expect(audit.entries).toEqual([]);
  });
});
