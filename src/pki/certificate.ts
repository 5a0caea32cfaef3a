import { KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { VpnChatopsError } from '../domain/errors';
import { HOUR_MS } from '../domain/time';
import { CertificateAuthority } from './ca';
import {
  authorityKeyIdExtension,
  addDays,
  commonNameField,
  backdate,
  forgePublicKey,
  signCertificate,
  toX509,
} from './forge-signing';
import { CLIENT_KEY_RULE, CA_KEY_RULE, assertRsaKey, generateRsaKeyPair, privateKeyToPem } from './keys';
import { randomSerial, serialToForgeHex } from './serial';
import { publicKeyFromCsr } from './csr';
import type { KeySource } from './key-pool';

export const CERT_DAYS = 365;

export type CertificateProfile = 'client' | 'server';

export interface IssuedCertificate {
  cn: string;
  serial: string;
  certPem: string;
  notBefore: Date;
  notAfter: Date;
}

export interface IssueOptions {
  ca: CertificateAuthority;
  cn: string;
  publicKey: KeyObject;
  profile?: CertificateProfile;
  days?: number;
  /** Time-boxed access: a lifetime in hours, which wins over `days`. */
  hours?: number;
  now?: Date;
  /** Serials already in use (e.g. imported from Easy-RSA): a new one must not collide. */
  isSerialTaken?: (serial: string) => boolean;
}

function profileExtensions(profile: CertificateProfile, cn: string) {
  return profile === 'client'
    ? [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', clientAuth: true },
      ]
    : [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        // ACM and `verify-x509-name` look at the SAN, not only the CN.
        { name: 'subjectAltName', altNames: [{ type: 2, value: cn }] },
      ];
}

export function signCertificateFor(options: IssueOptions): IssuedCertificate {
  const { ca, cn } = options;
  const profile = options.profile ?? 'client';
  assertRsaKey(options.publicKey, profile === 'client' ? CLIENT_KEY_RULE : CA_KEY_RULE, `${profile} public key`);
  const now = options.now ?? new Date();
  if (ca.notAfter.getTime() <= now.getTime()) {
    throw new VpnChatopsError(
      'INVALID_CA',
      `The CA expired on ${ca.notAfter.toISOString()}; create or import a new CA.`,
    );
  }
  let serial = randomSerial();
  while (options.isSerialTaken?.(serial)) serial = randomSerial();

  const notBefore = backdate(now);
  const requested =
    options.hours !== undefined
      ? new Date(now.getTime() + options.hours * HOUR_MS)
      : addDays(now, options.days ?? CERT_DAYS);
  // A certificate cannot outlive the CA that vouches for it.
  const notAfter = requested.getTime() > ca.notAfter.getTime() ? ca.notAfter : requested;

  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forgePublicKey(options.publicKey);
  certificate.serialNumber = serialToForgeHex(serial);
  certificate.validity.notBefore = notBefore;
  certificate.validity.notAfter = notAfter;
  certificate.setSubject(commonNameField(cn));
  certificate.setIssuer(ca.certificate.subject.attributes);
  certificate.setExtensions([
    ...profileExtensions(profile, cn),
    { name: 'subjectKeyIdentifier' },
    authorityKeyIdExtension(ca.keyId),
  ]);
  const certPem = signCertificate(certificate, ca.key, ca.subjectDer);

  // Cheap (<0.1 ms) insurance that what we hand out chains to the CA byte for byte.
  const issued = toX509(certPem);
  if (!issued.checkIssued(ca.x509) || !issued.verify(ca.x509.publicKey)) {
    throw new VpnChatopsError('INVALID_CA', 'The new certificate does not verify against the CA; nothing was issued.');
  }
  return { cn, serial, certPem, notBefore, notAfter };
}

export interface IssuedWithKey extends IssuedCertificate {
  /** The only copy: it goes into the owner's profile and nowhere else. */
  keyPem: string;
}

export async function issueWithNewKey(
  options: Omit<IssueOptions, 'publicKey'> & { keys?: KeySource },
): Promise<IssuedWithKey> {
  const { keys = generateRsaKeyPair, ...rest } = options;
  const { privateKey, publicKey } = await keys();
  const issued = signCertificateFor({ ...rest, publicKey });
  return { ...issued, keyPem: privateKeyToPem(privateKey) };
}

/** Sign a user's CSR as a client certificate under our CN; the user's key never leaves their laptop. */
export function signCsr(options: Omit<IssueOptions, 'publicKey' | 'profile'> & { csrPem: string }): IssuedCertificate {
  const { csrPem, ...rest } = options;
  return signCertificateFor({ ...rest, publicKey: publicKeyFromCsr(csrPem), profile: 'client' });
}
