import { VpnChatopsError } from '../../src/domain/errors';
import { openvpnClientBase } from '../../src/adapters/openvpn/client-base';
import { assembleProfile } from '../../src/pki/profile';
import { checkPortableProfile } from '../../src/pki/portable-profile';
import { generateTlsCryptKey } from '../../src/pki/tls-crypt';

const CA = '-----BEGIN CERTIFICATE-----\nQ0FDQUNB\n-----END CERTIFICATE-----';
const CERT = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n';
const BASE = openvpnClientBase({ remote: 'vpn.example.com 1194 udp', caPem: CA });

describe('checkPortableProfile', () => {
  it('passes a profile with every credential inline, tls-crypt and tls-crypt-v2 included', () => {
    const profile = assembleProfile({ base: BASE, certPem: CERT, keyPem: KEY, tlsCryptKey: generateTlsCryptKey() });
    expect(() => checkPortableProfile(profile)).not.toThrow();
    const v2 = `${profile}<tls-crypt-v2>\n-----BEGIN OpenVPN tls-crypt-v2 client key-----\nQQ==\n-----END OpenVPN tls-crypt-v2 client key-----\n</tls-crypt-v2>\n`;
    expect(() => checkPortableProfile(v2)).not.toThrow();
  });

  it('reads block contents as data, not directives, and skips comments', () => {
    const profile = `${BASE}<key>\nkey /etc/not-a-directive\nup /bin/sh\n</key>\n# key /home/me/old.key\n; up x.sh\n`;
    expect(() => checkPortableProfile(profile)).not.toThrow();
  });

  it('allows a prompt without a file and [inline] arguments', () => {
    expect(() => checkPortableProfile(`${BASE}auth-user-pass\ntls-auth [inline] 1\n`)).not.toThrow();
  });

  it.each([
    [
      'the CA as a file (an AWS export edited by hand)',
      'ca ca.crt',
      /`ca` names a file; put its contents in a <ca> block/,
    ],
    ['a certificate file', 'cert alice.crt', /`cert` names a file/],
    ['a key file', 'key /home/alice/alice.key', /`key` names a file/],
    ['a PKCS#12 bundle', 'pkcs12 alice.p12', /`pkcs12` names a file/],
    ['a tls-auth key file', 'tls-auth ta.key 1', /<tls-auth> block/],
    ['a tls-crypt-v2 key file', 'tls-crypt-v2 client.key', /<tls-crypt-v2> block/],
    ['a password file', 'auth-user-pass creds.txt', /leave the file name out so the app asks/],
    ['script-security', 'script-security 2', /run no scripts/],
    ['an up script', 'up /etc/openvpn/update-resolv-conf', /run no scripts/],
    ['a plugin', 'plugin /usr/lib/openvpn/plugin.so', /run no scripts/],
  ])('refuses %s, naming the line', (_label, line, message) => {
    const profile = `${BASE}${line}\n`;
    const lineNumber = profile.split('\n').indexOf(line) + 1;
    expect(() => checkPortableProfile(profile)).toThrow(VpnChatopsError);
    expect(() => checkPortableProfile(profile)).toThrow(message);
    expect(() => checkPortableProfile(profile)).toThrow(`line ${lineNumber}: "${line}"`);
  });

  it('refuses a block that is never closed', () => {
    expect(() => checkPortableProfile(`${BASE}<cert>\n${CERT}`)).toThrow(/never closed/);
  });

  it("allows a CSR profile's own key file, and only that one", () => {
    const profile = assembleProfile({ base: BASE, certPem: CERT, keyFile: 'alice.key' });
    expect(profile).toContain('\nkey alice.key\n');
    expect(() => checkPortableProfile(profile, { keyFile: 'alice.key' })).not.toThrow();
    expect(() => checkPortableProfile(profile)).toThrow(/`key` names a file/);
    expect(() => checkPortableProfile(profile, { keyFile: 'bob.key' })).toThrow(/`key` names a file/);
  });
});

describe('assembleProfile fails closed on a base that would not import on a phone', () => {
  it.each([
    ['a `ca` file line', `${BASE.replace(/<ca>[\s\S]*<\/ca>\n/, '')}ca /etc/openvpn/ca.crt\n`, /`ca` names a file/],
    ['an up script', `${BASE}script-security 2\nup /etc/openvpn/up.sh\n`, /run no scripts/],
    ['a tls-auth file kept from the base', `${BASE}tls-auth ta.key 1\n`, /`tls-auth` names a file/],
  ])('refuses %s', (_label, base, message) => {
    expect(() => assembleProfile({ base, certPem: CERT, keyPem: KEY })).toThrow(VpnChatopsError);
    expect(() => assembleProfile({ base, certPem: CERT, keyPem: KEY })).toThrow(message);
  });
});
