import { X509Certificate } from 'node:crypto';
import { VpnChatopsError } from '../../src/domain/errors';
import { loadCa } from '../../src/pki/ca';
import type { NewFiles } from '../../src/ports';
import { SERVER_CERT_FILES, createCaIn, initCa, issueServerCertificate } from '../../src/services/ca-setup';
import { testCa } from '../helpers/ca';
import { rejectionOf } from '../helpers/errors';
import { MemoryAuditLog, MemoryCaStore, answeringDatabase, unreachableDatabase } from '../helpers/memory-stores';

/** An out-dir in memory: creating a file that exists fails, as with the real one. */
class MemoryFiles implements NewFiles {
  readonly files = new Map<string, { text: string; mode: number }>();

  async create(name: string, text: string, mode: number): Promise<void> {
    if (this.files.has(name)) throw new VpnChatopsError('STATE', `Cannot write ${name} (EEXIST)`);
    this.files.set(name, { text, mode });
  }

  async remove(name: string): Promise<void> {
    this.files.delete(name);
  }
}

describe('createCaIn', () => {
  it('saves a usable CA under the given name, and replaces one only when told to', async () => {
    const store = new MemoryCaStore();
    const material = await createCaIn(store, 'vpn-chatops local CA (vpn.example.com)');
    expect(store.material).toEqual(material);
    expect(loadCa(material).x509.subject).toBe('CN=vpn-chatops local CA (vpn.example.com)');
    await expect(createCaIn(store, 'Another CA')).rejects.toThrow(/already exists/);
    expect(store.material).toEqual(material);
    const replacement = await createCaIn(store, 'Another CA', { overwrite: true });
    expect(store.material).toEqual(replacement);
  });
});

describe('initCa', () => {
  it('saves a new CA, named after CERT_DOMAIN by default, with its audit entry', async () => {
    const caStore = new MemoryCaStore();
    const audit = new MemoryAuditLog();
    await initCa(
      { caStore, database: answeringDatabase({ audit }) },
      { certDomain: 'vpn.example.com', actor: 'vpnctl:root' },
    );
    expect(loadCa(caStore.material!).x509.subject).toBe('CN=vpn-chatops CA (vpn.example.com)');
    expect(audit.entries).toEqual([
      expect.objectContaining({
        actor: 'vpnctl:root',
        action: 'ca.init',
        target: 'memory:ca',
        outcome: 'success',
        details: { replaced: false },
      }),
    ]);
  });

  it('writes no CA when the database does not answer, so a second try is not refused', async () => {
    const caStore = new MemoryCaStore();
    const error = await rejectionOf(
      initCa({ caStore, database: unreachableDatabase }, { certDomain: 'vpn.example.com', actor: 'vpnctl:root' }),
    );
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(caStore.material).toBeUndefined();
  });

  it('refuses to replace a CA without an audit entry, and replaces it with --force', async () => {
    const existing = { certPem: 'CERT', keyPem: 'KEY' };
    const caStore = new MemoryCaStore(existing);
    const audit = new MemoryAuditLog();
    const database = answeringDatabase({ audit });
    await expect(
      initCa({ caStore, database }, { certDomain: 'vpn.example.com', actor: 'vpnctl:root' }),
    ).rejects.toThrow(/already exists/);
    expect(caStore.material).toBe(existing);
    expect(audit.entries).toEqual([]);
    await initCa(
      { caStore, database },
      { commonName: 'Replacement CA', certDomain: 'vpn.example.com', overwrite: true, actor: 'vpnctl:root' },
    );
    expect(loadCa(caStore.material!).x509.subject).toBe('CN=Replacement CA');
    expect(audit.entries).toEqual([expect.objectContaining({ action: 'ca.init', details: { replaced: true } })]);
  });
});

describe('issueServerCertificate', () => {
  it('writes the key (0600), a serverAuth certificate for the DNS name, and the CA certificate, and audits it', async () => {
    const ca = await testCa();
    const files = new MemoryFiles();
    const audit = new MemoryAuditLog();
    const issued = await issueServerCertificate(
      { ca, files, database: answeringDatabase({ audit }) },
      { cn: 'server.vpn.example.com', actor: 'vpnctl:root' },
    );
    expect([...files.files.keys()]).toEqual([
      SERVER_CERT_FILES.key,
      SERVER_CERT_FILES.certificate,
      SERVER_CERT_FILES.chain,
    ]);
    expect(files.files.get(SERVER_CERT_FILES.key)).toEqual({
      text: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----/),
      mode: 0o600,
    });
    expect(files.files.get(SERVER_CERT_FILES.chain)).toEqual({ text: ca.certPem, mode: 0o644 });
    const cert = new X509Certificate(files.files.get(SERVER_CERT_FILES.certificate)!.text);
    expect(cert.verify(ca.x509.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:server.vpn.example.com');
    expect(cert.toLegacyObject().ext_key_usage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.serialNumber).toBe(issued.serial);
    expect(audit.entries).toEqual([
      expect.objectContaining({
        action: 'ca.server-cert',
        target: 'server.vpn.example.com',
        outcome: 'success',
        details: { serial: issued.serial, notAfter: issued.notAfter.toISOString() },
      }),
    ]);
  });

  it('writes no file when the database does not answer', async () => {
    const files = new MemoryFiles();
    await expect(
      issueServerCertificate(
        { ca: await testCa(), files, database: unreachableDatabase },
        { cn: 'server.vpn.example.com', actor: 'vpnctl:root' },
      ),
    ).rejects.toThrow(/Nothing answers/);
    expect(files.files.size).toBe(0);
  });

  it('removes what it wrote when a file exists already, and leaves that file alone', async () => {
    const files = new MemoryFiles();
    await files.create(SERVER_CERT_FILES.certificate, 'SOMEONE ELSE', 0o644);
    const audit = new MemoryAuditLog();
    await expect(
      issueServerCertificate(
        { ca: await testCa(), files, database: answeringDatabase({ audit }) },
        { cn: 'server.vpn.example.com', actor: 'vpnctl:root' },
      ),
    ).rejects.toThrow(/EEXIST/);
    expect([...files.files.entries()]).toEqual([
      [SERVER_CERT_FILES.certificate, { text: 'SOMEONE ELSE', mode: 0o644 }],
    ]);
    expect(audit.entries).toEqual([]);
  });

  it('removes all three files when the audit entry cannot be written', async () => {
    const files = new MemoryFiles();
    const audit = new MemoryAuditLog();
    audit.append = () => Promise.reject(new VpnChatopsError('STORE_UNAVAILABLE', 'throttled'));
    await expect(
      issueServerCertificate(
        { ca: await testCa(), files, database: answeringDatabase({ audit }) },
        { cn: 'server.vpn.example.com', actor: 'vpnctl:root' },
      ),
    ).rejects.toThrow(/throttled/);
    expect(files.files.size).toBe(0);
  });
});
