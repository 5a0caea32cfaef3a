import { randomBytes } from 'node:crypto';
import { VpnChatopsError } from '../domain/errors';

/**
 * 128 random bits with the top bit cleared: positive as an ASN.1 INTEGER, 127 bits of CSPRNG
 * entropy (RFC 5280 asks for at least 64 bits in practice; CA/B BR 7.1), never zero, at most 16 octets.
 */
export function randomSerial(): string {
  for (;;) {
    const bytes = randomBytes(16);
    bytes[0] &= 0x7f;
    if (bytes[0] !== 0) return normalizeSerial(bytes.toString('hex'));
  }
}

/**
 * Canonical serial form, as OpenSSL and Easy-RSA's index.txt print it: upper-case hex in whole bytes, no leading 00
 * byte.
 */
export function normalizeSerial(serial: string): string {
  const hex = serial.trim().replace(/^0x/i, '').replace(/:/g, '');
  if (!/^[0-9a-fA-F]{1,40}$/.test(hex)) {
    throw new VpnChatopsError(
      'INVALID_CRL',
      `"${serial.slice(0, 60)}" is not a certificate serial (hex, at most 20 octets).`,
    );
  }
  const digits = hex.replace(/^0+(?=.)/, '').toUpperCase();
  return digits.length % 2 ? `0${digits}` : digits;
}

/** The serial's unsigned big-endian magnitude. */
export function serialBytes(serial: string): Buffer {
  return Buffer.from(normalizeSerial(serial), 'hex');
}

/** forge writes a hex serial as-is into the INTEGER; prefix 00 where the top bit would make it negative. */
export function serialToForgeHex(serial: string): string {
  const bytes = serialBytes(serial);
  return (bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes).toString('hex');
}
