import { KeyObject, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { VpnChatopsError } from '../domain/errors';
import { children, read } from './der';
import { CA_KEY_RULE, assertRsaKey, generateRsaKeyPair, loadPrivateKey, privateKeyToPem } from './keys';
import { pemDecode } from './pem';
import { randomSerial, serialToForgeHex } from './serial';
import { addDays, backdate, commonNameField, forgePublicKey, signCertificate, subjectKeyId } from './forge-signing';

export const CA_DAYS = 3650;

/** A loaded CA: everything signing needs, parsed once. */
export interface CertificateAuthority {
  certPem: string;
  certificate: forge.pki.Certificate;
  x509: X509Certificate;
  key: KeyObject;
  /** The CA subject exactly as encoded in its certificate: our CRLs and certificates reuse these bytes. */
  subjectDer: Buffer;
  keyId: Buffer;
  notAfter: Date;
}

export interface CaMaterial {
  certPem: string;
  /** Always unencrypted PKCS#8: whatever stores it (Secrets Manager, a 0600 file) protects it. */
  keyPem: string;
}

const invalidCa = (message: string, cause?: unknown) =>
  new VpnChatopsError('INVALID_CA', message, cause === undefined ? undefined : { cause });

export async function createCa(options: { commonName: string; now?: Date; days?: number }): Promise<CaMaterial> {
  const now = options.now ?? new Date();
  const { privateKey, publicKey } = await generateRsaKeyPair(2048);
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forgePublicKey(publicKey);
  certificate.serialNumber = serialToForgeHex(randomSerial());
  certificate.validity.notBefore = backdate(now);
  certificate.validity.notAfter = addDays(now, options.days ?? CA_DAYS);
  certificate.setSubject(commonNameField(options.commonName));
  certificate.setIssuer(commonNameField(options.commonName));
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    // Self-signed: the subject's key id is the authority's, so forge's shortcut is right here.
    { name: 'authorityKeyIdentifier', keyIdentifier: true },
  ]);
  const certPem = signCertificate(certificate, privateKey);
  return { certPem, keyPem: privateKeyToPem(privateKey) };
}

function subjectDerOf(x509: X509Certificate): Buffer {
  const tbs = children(read(x509.raw))[0];
  const fields = children(tbs);
  const offset = fields[0].tag === 0xa0 ? 1 : 0;
  return fields[offset + 4].raw;
}

/** Load a CA from PEM and refuse anything that would sign certificates or CRLs a VPN rejects. */
export function loadCa(material: { certPem: string; keyPem: string; passphrase?: string }): CertificateAuthority {
  const block = pemDecode(material.certPem, ['CERTIFICATE'], 'CA certificate');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(block.der);
  } catch (error) {
    throw new VpnChatopsError('INVALID_PEM', 'The CA certificate PEM could not be parsed as X.509.', { cause: error });
  }
  assertRsaKey(x509.publicKey, CA_KEY_RULE, 'CA certificate key');
  const certificate = forge.pki.certificateFromPem(block.text);
  if (!x509.ca) throw invalidCa(`"${x509.subject}" is not a CA certificate (basicConstraints CA:TRUE is missing).`);
  const keyUsage = certificate.getExtension('keyUsage') as { keyCertSign?: boolean; cRLSign?: boolean } | undefined;
  if (keyUsage && !keyUsage.cRLSign) {
    throw invalidCa(
      `The CA "${x509.subject}" lacks keyUsage cRLSign: OpenSSL and OpenVPN would reject every CRL it signs ("key usage does not include CRL signing"). Re-issue the CA with keyCertSign and cRLSign.`,
    );
  }
  if (keyUsage && !keyUsage.keyCertSign) {
    throw invalidCa(`The CA "${x509.subject}" lacks keyUsage keyCertSign, so it may not sign certificates.`);
  }
  const key = loadPrivateKey(material.keyPem, material.passphrase, 'CA private key');
  assertRsaKey(key, CA_KEY_RULE, 'CA private key');
  if (!x509.checkPrivateKey(key)) {
    throw new VpnChatopsError(
      'KEY_MISMATCH',
      `The CA private key does not belong to the CA certificate "${x509.subject}".`,
    );
  }
  return {
    certPem: block.text,
    certificate,
    x509,
    key,
    subjectDer: subjectDerOf(x509),
    keyId: subjectKeyId(certificate),
    notAfter: new Date(x509.validTo),
  };
}

/** The CA's public half, enough to verify what it signed: the VPN host's agent has this and never the key. */
export type CaCertificate = Pick<CertificateAuthority, 'certPem' | 'x509' | 'subjectDer' | 'notAfter'>;

export function loadCaCertificate(certPem: string): CaCertificate {
  const block = pemDecode(certPem, ['CERTIFICATE'], 'CA certificate');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(block.der);
  } catch (error) {
    throw new VpnChatopsError('INVALID_PEM', 'The CA certificate PEM could not be parsed as X.509.', { cause: error });
  }
  if (!x509.ca) throw invalidCa(`"${x509.subject}" is not a CA certificate (basicConstraints CA:TRUE is missing).`);
  return { certPem: block.text, x509, subjectDer: subjectDerOf(x509), notAfter: new Date(x509.validTo) };
}

export function caMaterial(ca: CertificateAuthority): CaMaterial {
  return { certPem: ca.certPem, keyPem: privateKeyToPem(ca.key) };
}
