import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { LocalTlsCryptV2Keys } from '../../src/adapters/local-files/tls-crypt-v2-keys';
import { openvpnClientBase } from '../../src/adapters/openvpn/client-base';
import { AgentStores, endpointsFor } from '../../src/composition/endpoints';
import { loadConfig } from '../../src/config';
import { buildCrl } from '../../src/pki/crl';
import { assembleProfile } from '../../src/pki/profile';
import { generateTlsCryptKey } from '../../src/pki/tls-crypt';
import {
  generateTlsCryptV2ServerKey,
  tlsCryptV2Refusals,
  unwrapTlsCryptV2Metadata,
  wrapTlsCryptV2ClientKey,
} from '../../src/pki/tls-crypt-v2';
import { testCa } from '../helpers/ca';

const VERIFY_SCRIPT = join(__dirname, '..', '..', 'resources', 'tls-crypt-v2-verify.sh');
/** strace, to see what the verify script runs; where it is missing that one check is skipped. */
const STRACE = spawnSync('strace', ['-V']).status === 0;
const CERT = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n';
const CA = '-----BEGIN CERTIFICATE-----\nQ0FDQUNB\n-----END CERTIFICATE-----\n';

describe('tls-crypt-v2 client keys', () => {
  const serverKey = generateTlsCryptV2ServerKey();

  it('wraps a fresh client key per certificate, naming its serial, that only its server key unwraps', () => {
    const first = wrapTlsCryptV2ClientKey(serverKey, '0a:1b');
    const second = wrapTlsCryptV2ClientKey(serverKey, '0A1B');
    expect(first).toMatch(/^-----BEGIN OpenVPN tls-crypt-v2 client key-----\n/);
    expect(first).not.toBe(second);
    expect(unwrapTlsCryptV2Metadata(serverKey, first)).toBe('serial:0A1B');
    expect(unwrapTlsCryptV2Metadata(generateTlsCryptV2ServerKey(), first)).toBeUndefined();
  });

  it('refuses a server key that is not one, and a serial that is not one', () => {
    expect(() => wrapTlsCryptV2ClientKey(generateTlsCryptKey(), '0A')).toThrow(/not a 128-byte/);
    expect(() => wrapTlsCryptV2ClientKey(serverKey, 'serial; rm -rf /')).toThrow(/not a certificate serial/);
  });

  it('puts the key in a <tls-crypt-v2> block in place of any tls-crypt the base had, never both', () => {
    const base = `${openvpnClientBase({ remote: '127.0.0.1 1194 udp', caPem: CA })}<tls-crypt>\nold\n</tls-crypt>\n`;
    const tlsCryptV2Key = wrapTlsCryptV2ClientKey(serverKey, '0A');
    const profile = assembleProfile({ base, certPem: CERT, keyPem: KEY, tlsCryptV2Key });
    expect(profile).toContain(`<tls-crypt-v2>\n${tlsCryptV2Key.trim()}\n</tls-crypt-v2>`);
    expect(profile).not.toContain('<tls-crypt>');
    expect(() =>
      assembleProfile({ base, certPem: CERT, keyPem: KEY, tlsCryptV2Key, tlsCryptKey: generateTlsCryptKey() }),
    ).toThrow(/not both/);
    expect(() => assembleProfile({ base, certPem: CERT, keyPem: KEY, tlsCryptV2Key: serverKey })).toThrow(
      /not an OpenVPN tls-crypt-v2 client key/,
    );
  });

  it('an endpoint runs tls-crypt or tls-crypt-v2, not both', () => {
    const endpoint = {
      type: 'openvpn',
      name: 'office',
      management: '127.0.0.1:7505',
      crlFile: '/etc/openvpn/crl.pem',
      remote: 'vpn.example.com 1194 udp',
      tlsCryptKeyFile: '/etc/openvpn/tc.key',
      tlsCryptV2ServerKeyFile: '/etc/openvpn/tc2.key',
    };
    expect(() => loadConfig({ VPN_ENDPOINTS: JSON.stringify([endpoint]) })).toThrow(/not both/);
    const v2 = { ...endpoint, tlsCryptKeyFile: undefined };
    expect(loadConfig({ VPN_ENDPOINTS: JSON.stringify([v2]) }).VPN_ENDPOINTS[0]).toMatchObject({
      tlsCryptV2ServerKeyFile: '/etc/openvpn/tc2.key',
    });
  });
});

describe('where the server key is read', () => {
  it('an agent-served endpoint reads the stored copy, never the path (it is on the VPN host), and fails closed without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlscv2-'));
    try {
      const ca = await testCa();
      const config = loadConfig({
        STATE_DIR: dir,
        VPN_ENDPOINTS: JSON.stringify([
          {
            type: 'openvpn',
            name: 'office',
            management: '127.0.0.1:7505',
            crlFile: '/etc/openvpn/server/crl/crl.pem',
            remote: 'vpn.example.com 1194 udp',
            tlsCryptV2ServerKeyFile: '/etc/openvpn/server/tc2-server.key',
            servedBy: 'agent',
          },
        ]),
      });
      // Reading the key touches no table store: the agent does not ship it.
      const endpoint = () => endpointsFor(config, ca, { agent: {} as AgentStores })[0];
      await expect(endpoint().tlsCryptV2ServerKey!()).rejects.toThrow(
        `openvpn:office: the server requires tls-crypt-v2 (tlsCryptV2ServerKeyFile) and no copy of its server key is stored in ${join(dir, 'tls-crypt-v2')}, so no profile can be issued for it: run \`vpnctl endpoint tls-crypt-v2 import office\` on the VPN host`,
      );
      const serverKey = generateTlsCryptV2ServerKey();
      await new LocalTlsCryptV2Keys(dir).save('openvpn:office', serverKey);
      expect(await endpoint().tlsCryptV2ServerKey!()).toBe(serverKey);
      await new LocalTlsCryptV2Keys(dir).save('openvpn:office', generateTlsCryptKey());
      await expect(endpoint().tlsCryptV2ServerKey!()).rejects.toThrow(
        /openvpn:office: the tls-crypt-v2 server key stored in .* is not a valid server key: run `vpnctl endpoint tls-crypt-v2 import office`/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the refusal folder and the verify script', () => {
  let dir: string;
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'tlscv2-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is updated with every CRL, to list exactly what the CRL lists', async () => {
    const ca = await testCa();
    const crlFile = join(dir, 'crl.pem');
    const endpoint = new OpenVpnEndpoint({
      name: 'office',
      management: '127.0.0.1:9',
      crlFile,
      remote: '127.0.0.1 1194 udp',
      caPem: ca.certPem,
      tlsCryptV2ServerKeyFile: join(dir, 'server.key'),
    });
    const revokedAt = new Date();
    const publish = (number: bigint, serials: string[]) =>
      endpoint.importCrl(
        buildCrl({ ca, number, revocations: serials.map((serial) => ({ serial, revokedAt, reason: 'superseded' })) })
          .pem,
      );
    const refused = join(dir, 'tls-crypt-v2-refused');
    await publish(1n, ['0b', '0A']);
    expect(readdirSync(refused).sort()).toEqual(['0A', '0B']);
    writeFileSync(join(refused, 'README'), 'not ours');
    // A certificate taken off the CRL (a pause lifted) is admitted again; files that are not serials stay.
    await publish(2n, ['0A']);
    expect(readdirSync(refused).sort()).toEqual(['0A', 'README']);
    expect(tlsCryptV2Refusals(['0a', '0A', '00ff'])).toEqual(['0A', 'FF']);
  });

  it('admits a listed-clean serial, and refuses a revoked one, odd metadata, another metadata type, or no list', () => {
    const list = join(dir, 'refused');
    mkdirSync(list);
    for (const serial of ['0A', '0B']) writeFileSync(join(list, serial), '');
    const verify = (metadata: string, type = '0', refused = list) => {
      const file = join(dir, 'metadata');
      writeFileSync(file, metadata);
      const result = spawnSync('sh', [VERIFY_SCRIPT, refused], {
        env: { PATH: process.env.PATH, metadata_type: type, metadata_file: file },
        encoding: 'utf8',
      });
      return { status: result.status, said: result.stderr };
    };
    expect(verify('serial:0C').status).toBe(0);
    expect(verify('serial:0B')).toEqual({ status: 1, said: expect.stringMatching(/refused serial 0B: revoked/) });
    // A prefix of a revoked serial is not that serial.
    expect(verify('serial:0').status).toBe(0);
    for (const odd of ['someone', 'serial:', 'serial:0c', 'serial:0C;x', ''])
      expect(verify(odd)).toEqual({ status: 1, said: expect.stringMatching(/unknown client key|^$/) });
    expect(verify('serial:0C', '1').said).toMatch(/metadata type 1/);
    expect(verify('serial:0C', '0', join(dir, 'missing')).said).toMatch(/cannot read the refusal folder/);
  });

  (STRACE ? it : it.skip)(
    'runs as one process: no command and no subshell, each of which would be a fork and an exec per attempt',
    () => {
      const list = join(dir, 'refused-traced');
      mkdirSync(list);
      writeFileSync(join(list, '0B'), '');
      const metadata = join(dir, 'metadata-traced');
      const trace = join(dir, 'trace');
      for (const serial of ['0B', '0C']) {
        writeFileSync(metadata, `serial:${serial}`);
        const result = spawnSync(
          'strace',
          [
            '-f',
            '-qq',
            '-s',
            '256',
            '-o',
            trace,
            '-e',
            'trace=execve,clone,clone3,fork,vfork',
            'sh',
            VERIFY_SCRIPT,
            list,
          ],
          { env: { PATH: process.env.PATH, metadata_type: '0', metadata_file: metadata }, encoding: 'utf8' },
        );
        expect(result.status).toBe(serial === '0B' ? 1 : 0);
        const calls = readFileSync(trace, 'utf8').trim().split('\n');
        expect(calls).toEqual([expect.stringMatching(/execve\("[^"]*sh", \["sh", "[^"]*tls-crypt-v2-verify\.sh"/)]);
      }
    },
  );
});
