import { sign, KeyObject, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { DAY_MS } from '../domain/time';

const SHA256_WITH_RSA = forge.pki.oids.sha256WithRSAEncryption;

/** Present in forge since 0.7 but missing from @types/node-forge. */
const getTBSCertificate = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 })
  .getTBSCertificate;

/** UTF8String, as OpenSSL and Easy-RSA write it; forge would default to PrintableString. */
export function commonNameField(cn: string): forge.pki.CertificateField[] {
  return [
    { name: 'commonName', value: cn, valueTagClass: forge.asn1.Type.UTF8 },
  ] as unknown as forge.pki.CertificateField[];
}

/** version [0], serialNumber, signature, issuer: forge always writes the version. */
const TBS_ISSUER = 3;

/**
 * forge builds the certificate; node:crypto signs it. `issuerDer` is the CA's subject exactly as
 * the CA certificate holds it: forge reads a UTF8String as raw bytes and would encode them a second
 * time, so a CA named "Müller" would issue certificates whose issuer no longer matches it. forge's own RSA signing is
 * pure JS
 * (~30 ms against ~0.3 ms native) and silently defaults to SHA-1.
 */
export function signCertificate(certificate: forge.pki.Certificate, signer: KeyObject, issuerDer?: Buffer): string {
  certificate.siginfo.algorithmOid = SHA256_WITH_RSA;
  certificate.signatureOid = SHA256_WITH_RSA;
  const tbs = getTBSCertificate(certificate);
  if (issuerDer) (tbs.value as forge.asn1.Asn1[])[TBS_ISSUER] = forge.asn1.fromDer(issuerDer.toString('binary'));
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  (certificate as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbs;
  certificate.signature = sign('sha256', tbsDer, signer).toString('binary');
  return forge.pki.certificateToPem(certificate);
}

export function forgePublicKey(key: KeyObject): forge.pki.rsa.PublicKey {
  return forge.pki.publicKeyFromPem(key.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey;
}

/** forge's `keyIdentifier: true` would put the *subject's* key id into the AKI (forge#462). */
export function authorityKeyIdExtension(issuerKeyId: Buffer) {
  return { name: 'authorityKeyIdentifier', keyIdentifier: issuerKeyId.toString('binary') };
}

export function subjectKeyId(certificate: forge.pki.Certificate): Buffer {
  const extension = certificate.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  if (extension?.subjectKeyIdentifier) return Buffer.from(extension.subjectKeyIdentifier, 'hex');
  return Buffer.from(certificate.generateSubjectKeyIdentifier().getBytes(), 'binary');
}

export const backdate = (now: Date, minutes = 5) =>
  new Date(Math.floor(now.getTime() / 1000) * 1000 - minutes * 60_000);

export const addDays = (date: Date, days: number) => new Date(date.getTime() + days * DAY_MS);

export const toX509 = (pem: string) => new X509Certificate(pem);
