import { KeyObject, createPublicKey, verify } from 'node:crypto';
import { VpnChatopsError } from '../domain/errors';
import { TAG, children, expectTag, read, readOid } from './der';
import { CLIENT_KEY_RULE, assertRsaKey } from './keys';
import { pemDecode } from './pem';

const RSA_SIGNATURES: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

const invalidCsr = (message: string, cause?: unknown) =>
  new VpnChatopsError('INVALID_CSR', message, cause === undefined ? undefined : { cause });

/**
 * A CSR contributes its public key and nothing else: the subject is replaced by our CN and any
 * requested extensions (CA:TRUE, other EKUs, SANs) are ignored. The CSR is parsed with our own
 * bounded DER reader rather than forge's, so untrusted input never reaches forge's ASN.1 layer.
 */
export function publicKeyFromCsr(csrPem: string): KeyObject {
  const block = pemDecode(
    csrPem,
    ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'],
    'certificate signing request (CSR)',
  );
  let info: Buffer;
  let algorithm: string;
  let signature: Buffer;
  let publicKey: KeyObject;
  try {
    const outer = expectTag(read(block.der), TAG.SEQUENCE, 'CSR');
    if (outer.end !== block.der.length) throw invalidCsr('The CSR has trailing data after its end.');
    const [infoNode, algorithmNode, signatureNode] = children(outer);
    const infoFields = children(expectTag(infoNode, TAG.SEQUENCE, 'CertificationRequestInfo'));
    info = infoNode.raw;
    algorithm = readOid(children(expectTag(algorithmNode, TAG.SEQUENCE, 'signature algorithm'))[0]);
    const bits = expectTag(signatureNode, TAG.BIT_STRING, 'signature').content;
    if (bits[0] !== 0) throw invalidCsr('The CSR signature BIT STRING has unused bits.');
    signature = bits.subarray(1);
    publicKey = createPublicKey({ key: infoFields[2].raw, format: 'der', type: 'spki' });
  } catch (error) {
    if (error instanceof VpnChatopsError && error.code === 'INVALID_CSR') throw error;
    throw invalidCsr('The CSR could not be parsed; create it with `openssl req -new -newkey rsa:2048 -nodes`.', error);
  }
  assertRsaKey(publicKey, CLIENT_KEY_RULE, 'CSR key');
  const hash = RSA_SIGNATURES[algorithm];
  if (!hash) {
    throw invalidCsr(
      `The CSR is signed with ${algorithm}; sign it with sha256WithRSAEncryption (openssl req -sha256).`,
    );
  }
  if (!verify(hash, info, publicKey, signature)) {
    throw invalidCsr('The CSR signature does not verify: it was altered or signed with a different key.');
  }
  return publicKey;
}
