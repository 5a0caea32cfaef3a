import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { VpnChatopsError } from '../domain/errors';
import { pemEncode } from './pem';
import { normalizeSerial } from './serial';

/*
 * OpenVPN's tls-crypt-v2 key formats (doc/tls-crypt-v2.txt in OpenVPN's sources), so that a profile gets its
 * client key without the openvpn binary on the issuing host (Lambda has none):
 *   server key = Ke (64 bytes, AES-256-CTR uses the first 32) || Ka (64 bytes, HMAC-SHA256 uses the first 32)
 *   WKc = T || AES-256-CTR(Ke, IV = first 16 bytes of T, Kc || metadata) || len,
 *   T = HMAC-SHA256(Ka, len || Kc || metadata), len = length of WKc, 16 bits big-endian
 *   client key = Kc (256 random bytes) || WKc
 * test/integration/tls-crypt-v2.test.ts checks both directions against the real openvpn.
 */
const SERVER_LABEL = 'OpenVPN tls-crypt-v2 server key';
const CLIENT_LABEL = 'OpenVPN tls-crypt-v2 client key';
const CLIENT_KEY_BYTES = 256;
const TAG_BYTES = 32;
/** Metadata type byte: user-supplied (OpenVPN's TLS_CRYPT_METADATA_TYPE_USER). */
const METADATA_USER = 0x00;
/** OpenVPN refuses metadata longer than this (TLS_CRYPT_V2_MAX_METADATA_LEN, type byte included). */
const MAX_METADATA = 733;
/** The metadata our keys carry: the certificate's serial, which is what the CRL and the refusal list name. */
const METADATA_PREFIX = 'serial:';

const invalid = (message: string) => new VpnChatopsError('INVALID_CONFIG', message);

/** The bytes of the `label` block; pem.ts's reader takes upper-case labels only, and OpenVPN's are mixed-case. */
function keyBytes(text: string, label: string): Buffer | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----\\r?\\n([A-Za-z0-9+/=\\s]*?)-----END ${label}-----`).exec(text);
  return match ? Buffer.from(match[1].replace(/\s/g, ''), 'base64') : undefined;
}

/** A new tls-crypt-v2 server key, as `openvpn --genkey tls-crypt-v2-server` writes it. */
export function generateTlsCryptV2ServerKey(): string {
  return pemEncode(SERVER_LABEL, randomBytes(128));
}

function serverKeyParts(serverKeyPem: string): { encrypt: Buffer; authenticate: Buffer } {
  const key = keyBytes(serverKeyPem, SERVER_LABEL);
  if (!key || key.length !== 128)
    throw invalid(
      `The tls-crypt-v2 server key is not a 128-byte "${SERVER_LABEL}" block (openvpn --genkey tls-crypt-v2-server).`,
    );
  return { encrypt: key.subarray(0, 32), authenticate: key.subarray(64, 96) };
}

/** Fails with the error wrapping would give, so a key that could not wrap is never stored. */
export function checkTlsCryptV2ServerKey(serverKeyPem: string): void {
  serverKeyParts(serverKeyPem);
}

/** The metadata that names a certificate in its client key. */
export function tlsCryptV2Metadata(serial: string): string {
  return `${METADATA_PREFIX}${normalizeSerial(serial)}`;
}

/** A client key for the certificate `serial`, wrapped by the server key so only that server can unwrap it. */
export function wrapTlsCryptV2ClientKey(serverKeyPem: string, serial: string): string {
  const { encrypt, authenticate } = serverKeyParts(serverKeyPem);
  const metadata = Buffer.concat([Buffer.from([METADATA_USER]), Buffer.from(tlsCryptV2Metadata(serial), 'ascii')]);
  if (metadata.length > MAX_METADATA) throw invalid('The tls-crypt-v2 metadata is longer than OpenVPN accepts.');
  const clientKey = randomBytes(CLIENT_KEY_BYTES);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(TAG_BYTES + CLIENT_KEY_BYTES + metadata.length + 2);
  const tag = createHmac('sha256', authenticate).update(length).update(clientKey).update(metadata).digest();
  const cipher = createCipheriv('aes-256-ctr', encrypt, tag.subarray(0, 16));
  const sealed = Buffer.concat([cipher.update(clientKey), cipher.update(metadata), cipher.final()]);
  return pemEncode(CLIENT_LABEL, Buffer.concat([clientKey, tag, sealed, length]));
}

/**
 * The metadata inside a client key, if `serverKeyPem` wrapped it: what the server's verify script would see.
 * OpenVPN does the unwrapping itself on the server; this is how a profile can be checked without one.
 */
export function unwrapTlsCryptV2Metadata(serverKeyPem: string, clientKeyPem: string): string | undefined {
  const { encrypt, authenticate } = serverKeyParts(serverKeyPem);
  const key = keyBytes(clientKeyPem, CLIENT_LABEL);
  if (!key) throw invalid(`The tls-crypt-v2 client key is not a "${CLIENT_LABEL}" block.`);
  const wrapped = key.subarray(CLIENT_KEY_BYTES);
  if (wrapped.length < TAG_BYTES + CLIENT_KEY_BYTES + 3 || wrapped.readUInt16BE(wrapped.length - 2) !== wrapped.length)
    throw invalid('The tls-crypt-v2 client key is truncated or not a client key.');
  const tag = wrapped.subarray(0, TAG_BYTES);
  const decipher = createDecipheriv('aes-256-ctr', encrypt, tag.subarray(0, 16));
  const plain = Buffer.concat([decipher.update(wrapped.subarray(TAG_BYTES, -2)), decipher.final()]);
  const expected = createHmac('sha256', authenticate).update(wrapped.subarray(-2)).update(plain).digest();
  if (!timingSafeEqual(expected, tag)) return undefined;
  if (!plain.subarray(0, CLIENT_KEY_BYTES).equals(key.subarray(0, CLIENT_KEY_BYTES))) return undefined;
  const metadata = plain.subarray(CLIENT_KEY_BYTES);
  return metadata[0] === METADATA_USER ? metadata.subarray(1).toString('latin1') : undefined;
}

/**
 * The serials the server's verify script refuses: every serial the CRL lists, in the canonical form the client
 * keys' metadata carries. Kept beside the CRL and updated whenever the CRL is written.
 */
export function tlsCryptV2Refusals(revokedSerials: Iterable<string>): string[] {
  return [...new Set([...revokedSerials].map(normalizeSerial))].sort();
}
