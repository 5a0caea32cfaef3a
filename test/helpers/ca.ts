import { CertificateAuthority, createCa, loadCa } from '../../src/pki/ca';

const cache = new Map<string, Promise<CertificateAuthority>>();

/** One CA per name per test file: RSA key generation is the slow part of every PKI test. */
export function testCa(name = 'Test VPN CA'): Promise<CertificateAuthority> {
  let ca = cache.get(name);
  if (!ca) {
    ca = createCa({ commonName: name }).then(loadCa);
    cache.set(name, ca);
  }
  return ca;
}
