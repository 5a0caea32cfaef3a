import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTlsCryptV2Keys } from '../../src/adapters/local-files/tls-crypt-v2-keys';
import { serverKeyFile } from '../../src/adapters/openvpn/tls-crypt-v2-files';
import { VpnChatopsError } from '../../src/domain/errors';
import { generateTlsCryptKey } from '../../src/pki/tls-crypt';
import { generateTlsCryptV2ServerKey } from '../../src/pki/tls-crypt-v2';
import type { AuditEntry } from '../../src/domain/audit';
import type { ReplaceableFile, TlsCryptV2KeyStore } from '../../src/ports';
import {
  TlsCryptV2KeyDeps,
  generateTlsCryptV2Key,
  importTlsCryptV2ServerKey,
} from '../../src/services/tls-crypt-v2-key';
import { MemoryAuditLog, answeringDatabase } from '../helpers/memory-stores';
import { AgentStores, endpointsFor } from '../../src/composition/endpoints';
import { loadConfig } from '../../src/config';
import { tlsCryptV2KeyCheck } from '../../src/services/doctor-tls-crypt-v2-key';
import { testCa } from '../helpers/ca';

const ENDPOINT = 'openvpn:office';
const ACTOR = 'vpnctl:root';

describe('the stored copies under STATE_DIR', () => {
  let dir: string;
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'tc2keys-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps one file per endpoint, mode 0600, and an endpoint name cannot point outside its folder', async () => {
    const keys = new LocalTlsCryptV2Keys(dir);
    expect(await keys.load(ENDPOINT)).toBeUndefined();
    const office = generateTlsCryptV2ServerKey();
    const odd = generateTlsCryptV2ServerKey();
    await keys.save(ENDPOINT, office);
    await keys.save('openvpn:../../escape', odd);
    expect(await keys.load(ENDPOINT)).toBe(office);
    expect(await keys.load('openvpn:../../escape')).toBe(odd);
    expect(readdirSync(dir)).toEqual(['tls-crypt-v2']);
    const files = readdirSync(join(dir, 'tls-crypt-v2')).sort();
    expect(files).toEqual(['..%2F..%2Fescape.key', 'office.key']);
    for (const file of files) expect(statSync(join(dir, 'tls-crypt-v2', file)).mode & 0o777).toBe(0o600);
    await keys.remove(ENDPOINT);
    await keys.remove(ENDPOINT);
    expect(await keys.load(ENDPOINT)).toBeUndefined();
    expect(readdirSync(join(dir, 'tls-crypt-v2'))).toEqual(['..%2F..%2Fescape.key']);
  });

  it('narrows a folder made before to 0700 and clears what a crashed save staged, not what one is staging now', async () => {
    const folder = join(dir, 'tls-crypt-v2');
    mkdirSync(folder);
    chmodSync(folder, 0o755);
    const crashed = join(folder, '.0123456789abcdef.tmp');
    const staging = join(folder, '.fedcba9876543210.tmp');
    writeFileSync(crashed, generateTlsCryptV2ServerKey(), { mode: 0o600 });
    writeFileSync(staging, generateTlsCryptV2ServerKey(), { mode: 0o600 });
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(crashed, anHourAgo, anHourAgo);
    await new LocalTlsCryptV2Keys(dir).save(ENDPOINT, generateTlsCryptV2ServerKey());
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(readdirSync(folder).sort()).toEqual(['.fedcba9876543210.tmp', 'office.key']);
  });
});

/** A store that fails its writes, as a denied PutSecretValue would. */
class FailingStore implements TlsCryptV2KeyStore {
  readonly location = 'secretsmanager:denied';
  async load(): Promise<string | undefined> {
    return undefined;
  }
  async save(): Promise<void> {
    throw new VpnChatopsError('STATE', 'Not allowed to call secretsmanager:PutSecretValue on secret denied');
  }
  async remove(): Promise<void> {
    throw new VpnChatopsError('STATE', 'Not allowed to call secretsmanager:PutSecretValue on secret denied');
  }
}

/** The server's key file, staged as usual, on a host where the rename into place then fails. */
function refusingCommit(file: string): ReplaceableFile {
  const real = serverKeyFile(file);
  return {
    location: real.location,
    read: () => real.read(),
    async stage(text) {
      const staged = await real.stage(text);
      return {
        commit: () => Promise.reject(new Error(`EROFS: read-only file system, rename '${file}'`)),
        discard: () => staged.discard(),
      };
    },
  };
}

/** A store whose writes work until the first one, as when credentials expire mid-command. */
class OneWriteStore extends LocalTlsCryptV2Keys {
  private writes = 0;
  override async save(endpointKey: string, serverKeyPem: string): Promise<void> {
    if (this.writes++ > 0)
      throw new Error('ExpiredTokenException: the security token included in the request is expired');
    await super.save(endpointKey, serverKeyPem);
  }
}

class RefusingAuditLog extends MemoryAuditLog {
  override async append(): Promise<AuditEntry> {
    throw new Error('ProvisionedThroughputExceededException');
  }
}

describe('vpnctl endpoint tls-crypt-v2 import and generate', () => {
  let dir: string;
  let file: string;
  let audit: MemoryAuditLog;
  let keys: LocalTlsCryptV2Keys;
  const deps = (
    store: TlsCryptV2KeyStore = keys,
    keyFile: ReplaceableFile = serverKeyFile(file),
    log: MemoryAuditLog = audit,
  ): TlsCryptV2KeyDeps => ({
    keys: store,
    serverKeyFile: keyFile,
    database: answeringDatabase({ audit: log }),
  });
  const request = (replace?: boolean) => ({ endpoint: ENDPOINT, replace, actor: ACTOR });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tc2cmd-'));
    file = join(dir, 'tc2-server.key');
    audit = new MemoryAuditLog();
    keys = new LocalTlsCryptV2Keys(join(dir, 'state'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("import stores the server's file as it is, once; a different key needs --force", async () => {
    await expect(importTlsCryptV2ServerKey(deps(), request())).rejects.toThrow(
      `openvpn:office: there is no tls-crypt-v2 server key at ${file}`,
    );
    const first = generateTlsCryptV2ServerKey();
    writeFileSync(file, first);
    expect(await importTlsCryptV2ServerKey(deps(), request())).toBe('stored');
    expect(await keys.load(ENDPOINT)).toBe(first);
    expect(await importTlsCryptV2ServerKey(deps(), request())).toBe('unchanged');

    const second = generateTlsCryptV2ServerKey();
    writeFileSync(file, second);
    await expect(importTlsCryptV2ServerKey(deps(), request())).rejects.toThrow(
      /already holds a different tls-crypt-v2 server key.*pass --force\. Nothing was changed\./,
    );
    expect(await keys.load(ENDPOINT)).toBe(first);
    expect(await importTlsCryptV2ServerKey(deps(), request(true))).toBe('replaced');
    expect(await keys.load(ENDPOINT)).toBe(second);
    expect(audit.entries.map((entry) => [entry.action, entry.target, entry.details])).toEqual([
      ['endpoint.tls-crypt-v2-key', ENDPOINT, { generated: false, replaced: false, store: keys.location }],
      ['endpoint.tls-crypt-v2-key', ENDPOINT, { generated: false, replaced: true, store: keys.location }],
    ]);
  });

  it('import refuses what is not a server key, without quoting it', async () => {
    const tlsCryptKey = generateTlsCryptKey();
    writeFileSync(file, tlsCryptKey);
    const refused = importTlsCryptV2ServerKey(deps(), request());
    await expect(refused).rejects.toThrow(`${file} is not a tls-crypt-v2 server key`);
    const message = await refused.catch((error: Error) => error.message);
    expect(message).not.toContain(tlsCryptKey.split('\n')[1]);
    expect(await keys.load(ENDPOINT)).toBeUndefined();
    expect(audit.entries).toEqual([]);
  });

  it('generate writes the same new key to the store and the file (0600); replacing either needs --force', async () => {
    expect(await generateTlsCryptV2Key(deps(), request())).toBe('stored');
    const made = readFileSync(file, 'utf8');
    expect(made).toMatch(/^-----BEGIN OpenVPN tls-crypt-v2 server key-----\n/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await keys.load(ENDPOINT)).toBe(made);
    await expect(generateTlsCryptV2Key(deps(), request())).rejects.toThrow(
      `openvpn:office: a tls-crypt-v2 server key already exists in ${file} and ${keys.location}`,
    );
    expect(await generateTlsCryptV2Key(deps(), request(true))).toBe('replaced');
    const rotated = readFileSync(file, 'utf8');
    expect(rotated).not.toBe(made);
    expect(await keys.load(ENDPOINT)).toBe(rotated);
    expect(audit.entries.map((entry) => entry.details)).toEqual([
      { generated: true, replaced: false, store: keys.location },
      { generated: true, replaced: true, store: keys.location },
    ]);
  });

  it('generate leaves the server file as it was when the store refuses the new key', async () => {
    const current = generateTlsCryptV2ServerKey();
    writeFileSync(file, current, { mode: 0o600 });
    await expect(generateTlsCryptV2Key(deps(new FailingStore()), request(true))).rejects.toThrow(/PutSecretValue/);
    expect(readFileSync(file, 'utf8')).toBe(current);
    expect(readdirSync(dir).sort()).toEqual(['tc2-server.key']);
    expect(audit.entries).toEqual([]);
  });

  it('generate puts the stored copy back as it was when the new key cannot be put in place', async () => {
    const current = generateTlsCryptV2ServerKey();
    writeFileSync(file, current, { mode: 0o600 });
    await keys.save(ENDPOINT, current);
    await expect(generateTlsCryptV2Key(deps(keys, refusingCommit(file)), request(true))).rejects.toThrow(/EROFS/);
    expect(await keys.load(ENDPOINT)).toBe(current);
    expect(readFileSync(file, 'utf8')).toBe(current);
    expect(readdirSync(dir).sort()).toEqual(['state', 'tc2-server.key']);

    await keys.remove(ENDPOINT);
    await expect(generateTlsCryptV2Key(deps(keys, refusingCommit(file)), request(true))).rejects.toThrow(/EROFS/);
    expect(await keys.load(ENDPOINT)).toBeUndefined();
    expect(audit.entries).toEqual([]);
  });

  it('generate says the store holds a key the server does not run when it cannot be put back either', async () => {
    const current = generateTlsCryptV2ServerKey();
    writeFileSync(file, current, { mode: 0o600 });
    await keys.save(ENDPOINT, current);
    const store = new OneWriteStore(join(dir, 'state'));
    const failure = generateTlsCryptV2Key(deps(store, refusingCommit(file)), request(true));
    await expect(failure).rejects.toThrow(
      `openvpn:office: the new tls-crypt-v2 server key could not be put in place at ${file} (EROFS: read-only file system, rename '${file}'), and ${store.location} could not be put back as it was (ExpiredTokenException`,
    );
    await expect(failure).rejects.toThrow('`vpnctl endpoint tls-crypt-v2 import office --force`');
    expect(readFileSync(file, 'utf8')).toBe(current);
  });

  it('import and generate say the change is done when only its audit entry could not be written', async () => {
    const refusing = new RefusingAuditLog();
    const first = generateTlsCryptV2ServerKey();
    writeFileSync(file, first);
    await expect(importTlsCryptV2ServerKey(deps(keys, serverKeyFile(file), refusing), request())).rejects.toThrow(
      `openvpn:office: the server key is stored in ${keys.location}, but its audit entry could not be written (ProvisionedThroughputExceededException). The change is done: do not run the command again`,
    );
    expect(await keys.load(ENDPOINT)).toBe(first);

    await expect(generateTlsCryptV2Key(deps(keys, serverKeyFile(file), refusing), request(true))).rejects.toThrow(
      'a new server key is in place and stored',
    );
    const rotated = readFileSync(file, 'utf8');
    expect(rotated).not.toBe(first);
    expect(await keys.load(ENDPOINT)).toBe(rotated);
  });
});

describe("doctor's tls-crypt-v2 server key line", () => {
  it('fails with the fix while no copy is stored, passes once one is, and says nothing for an endpoint without tls-crypt-v2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc2doctor-'));
    try {
      const ca = await testCa();
      const office = {
        type: 'openvpn',
        name: 'office',
        management: '127.0.0.1:7505',
        crlFile: '/etc/openvpn/server/crl/crl.pem',
        remote: 'vpn.example.com 1194 udp',
        servedBy: 'agent',
      };
      const [v2, plain] = endpointsFor(
        loadConfig({
          STATE_DIR: dir,
          VPN_ENDPOINTS: JSON.stringify([
            { ...office, tlsCryptV2ServerKeyFile: '/etc/openvpn/server/tc2-server.key' },
            { ...office, name: 'lab' },
          ]),
        }),
        ca,
        { agent: {} as AgentStores },
      );
      expect(await tlsCryptV2KeyCheck(v2)).toEqual([
        {
          name: 'openvpn:office: tls-crypt-v2 server key',
          status: 'fail',
          detail: expect.stringMatching(
            /no copy of its server key is stored in .*tls-crypt-v2, so no profile can be issued/,
          ),
          fix: 'On the VPN host: `vpnctl endpoint tls-crypt-v2 import office` (docs/self-hosted.md#per-client-keys-tls-crypt-v2).',
        },
      ]);
      await new LocalTlsCryptV2Keys(dir).save('openvpn:office', generateTlsCryptV2ServerKey());
      expect(await tlsCryptV2KeyCheck(v2)).toEqual([
        expect.objectContaining({ name: 'openvpn:office: tls-crypt-v2 server key', status: 'pass' }),
      ]);
      expect(await tlsCryptV2KeyCheck(plain)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
