import { VpnChatopsError } from '../../src/domain/errors';
import { openvpnClientBase } from '../../src/adapters/openvpn/client-base';
import { assembleProfile } from '../../src/pki/profile';
import { generateTlsCryptKey } from '../../src/pki/tls-crypt';

const CA = '-----BEGIN CERTIFICATE-----\nQ0FDQUNB\n-----END CERTIFICATE-----';
const CERT = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n';

/** The shape ExportClientVpnClientConfiguration returns (reference/aws-client-vpn.md §2.6), CRLF and all. */
const AWS_BASE = [
  'client',
  'dev tun',
  'proto udp',
  'remote cvpn-endpoint-123456789123abcde.prod.clientvpn.ap-south-1.amazonaws.com 443',
  'remote-random-hostname',
  'resolv-retry infinite',
  'nobind',
  'remote-cert-tls server',
  'cipher AES-256-GCM',
  'verb 3',
  '<ca>',
  CA,
  '</ca>',
  '',
  'reneg-sec 0',
  '',
].join('\r\n');

const blockCount = (text: string, tag: string) => text.split(`<${tag}>`).length - 1;

describe('assembleProfile', () => {
  it('appends <cert> and <key> to an AWS Client VPN export, keeping everything else', () => {
    const profile = assembleProfile({ base: AWS_BASE, certPem: CERT, keyPem: KEY });
    expect(profile).not.toMatch(/\r/);
    expect(profile).toContain('remote-random-hostname\n');
    expect(profile).toContain('reneg-sec 0\n');
    expect(profile).toContain(`<ca>\n${CA}\n</ca>`);
    expect(profile).toContain(`<cert>\n${CERT.trim()}\n</cert>\n<key>\n${KEY.trim()}\n</key>\n`);
    expect(profile).not.toContain('tls-crypt');
  });

  it('replaces existing credentials instead of adding a second set', () => {
    const stale = `${AWS_BASE}\ncert /home/me/old.crt\nkey /home/me/old.key\n<cert>\nOLD\n</cert>\n<key>\nOLD\n</key>\n`;
    const profile = assembleProfile({ base: stale, certPem: CERT, keyPem: KEY });
    expect(blockCount(profile, 'cert')).toBe(1);
    expect(blockCount(profile, 'key')).toBe(1);
    expect(profile).not.toContain('OLD');
    expect(profile).not.toMatch(/^(cert|key) \//m);
  });

  it('adds a tls-crypt key for self-hosted OpenVPN and replaces any tls-auth', () => {
    const tls = generateTlsCryptKey();
    const base = `${openvpnClientBase({ remote: '127.0.0.1 1194 udp', caPem: CA })}key-direction 1\n<tls-auth>\nX\n</tls-auth>\n`;
    const profile = assembleProfile({ base, certPem: CERT, keyPem: KEY, tlsCryptKey: tls });
    expect(profile).toContain(`<tls-crypt>\n${tls.trim()}\n</tls-crypt>\n`);
    expect(profile).not.toContain('tls-auth');
    expect(profile).not.toContain('key-direction');
    expect(profile).toContain('remote 127.0.0.1 1194\n');
    expect(tls.trim().split('\n')).toHaveLength(18);
  });

  it("keeps the base's own tls-auth or tls-crypt when we bring no key, so the client can still connect", () => {
    const tls = generateTlsCryptKey();
    const withAuth = `${AWS_BASE}\nkey-direction 1\n<tls-auth>\n${tls.trim()}\n</tls-auth>\n`;
    const profile = assembleProfile({ base: withAuth, certPem: CERT, keyPem: KEY });
    expect(profile).toContain(`key-direction 1\n<tls-auth>\n${tls.trim()}\n</tls-auth>\n`);
    expect(blockCount(profile, 'key')).toBe(1);
    const withCrypt = assembleProfile({
      base: `${AWS_BASE}\n<tls-crypt>\n${tls.trim()}\n</tls-crypt>\n`,
      certPem: CERT,
      keyPem: KEY,
    });
    expect(blockCount(withCrypt, 'tls-crypt')).toBe(1);
  });

  it.each([
    ['a base with no remote', { base: `client\n<ca>\n${CA}\n</ca>\n` }, /no `remote` line/],
    ['a base with no CA', { base: 'client\nremote vpn.example.com 443\n' }, /no <ca> block/],
    ['two certificates', { certPem: CERT + CERT }, /exactly one PEM block/],
    ['a key that is not a key', { keyPem: CERT }, /client private key/],
    ['a bad tls-crypt key', { tlsCryptKey: 'secret' }, /not an OpenVPN static key/],
  ])('rejects %s', (_label, override, message) => {
    const input = { base: AWS_BASE, certPem: CERT, keyPem: KEY, ...override };
    expect(() => assembleProfile(input)).toThrow(VpnChatopsError);
    expect(() => assembleProfile(input)).toThrow(message);
  });
});
