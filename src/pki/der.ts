/**
 * Just enough DER to write and read CRLs. node-forge has no CRL support and its generic ASN.1
 * layer works on binary strings, which costs most of the time budget for a 20,000-entry CRL;
 * Buffers keep the build linear and fast, and the reader hands back exact byte ranges (the
 * signed TBS part must be verified byte for byte, not re-encoded).
 */
export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0: 0xa0,
  CONTEXT_3: 0xa3,
} as const;

function headerLength(length: number): number {
  if (length < 0x80) return 2;
  let bytes = 0;
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes++;
  return 2 + bytes;
}

function writeHeader(target: Buffer, tag: number, length: number): number {
  target[0] = tag;
  if (length < 0x80) {
    target[1] = length;
    return 2;
  }
  const size = headerLength(length) - 2;
  target[1] = 0x80 | size;
  for (let i = size, n = length; i > 0; i--, n = Math.floor(n / 256)) target[1 + i] = n & 0xff;
  return 2 + size;
}

/** One allocation per element: a 20,000-entry CRL is about 100,000 elements. */
export function tlvOf(tag: number, parts: Buffer[]): Buffer {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = Buffer.allocUnsafe(headerLength(length) + length);
  let offset = writeHeader(out, tag, length);
  for (const part of parts) offset += part.copy(out, offset);
  return out;
}

export const tlv = (tag: number, content: Buffer): Buffer => tlvOf(tag, [content]);

export const sequence = (...items: Buffer[]): Buffer => tlvOf(TAG.SEQUENCE, items);

/** A non-negative INTEGER from its unsigned big-endian magnitude. */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const content =
    trimmed.length === 0 ? Buffer.from([0]) : trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
  return tlv(TAG.INTEGER, content);
}

export function bigintToBytes(value: bigint): Buffer {
  if (value < 0n) throw new RangeError('negative values are not encoded here');
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}

export const integer = (value: bigint | number): Buffer => unsignedInteger(bigintToBytes(BigInt(value)));

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [40 * parts[0] + parts[1]];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let n = Math.floor(part / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(TAG.OID, Buffer.from(bytes));
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always UTC with seconds. */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const rest =
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds()) +
    'Z';
  return year >= 1950 && year < 2050
    ? tlv(TAG.UTC_TIME, Buffer.from(pad(year % 100) + rest, 'ascii'))
    : tlv(TAG.GENERALIZED_TIME, Buffer.from(pad(year, 4) + rest, 'ascii'));
}

export interface Node {
  tag: number;
  /** The whole element, tag and length included: exactly the bytes that were signed. */
  raw: Buffer;
  content: Buffer;
  /** Offset just past this element in the buffer it was read from. */
  end: number;
}

/** Callers turn this into the error their input deserves (a bad CSR, a bad CRL). */
export class DerError extends Error {
  override name = 'DerError';
}

const malformed = (why: string) => new DerError(`malformed DER: ${why}`);

export function read(buffer: Buffer, offset = 0): Node {
  if (offset + 2 > buffer.length) throw malformed('truncated header');
  const tag = buffer[offset];
  if ((tag & 0x1f) === 0x1f) throw malformed('multi-byte tags are not used in X.509');
  let length = buffer[offset + 1];
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw malformed('unsupported length encoding');
    if (contentStart + count > buffer.length) throw malformed('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buffer[contentStart + i];
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > buffer.length) throw malformed('element runs past the end of the data');
  return { tag, raw: buffer.subarray(offset, end), content: buffer.subarray(contentStart, end), end };
}

export function children(node: Node): Node[] {
  const out: Node[] = [];
  for (let offset = 0; offset < node.content.length;) {
    const child = read(node.content, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

export function expectTag(node: Node, tag: number, what: string): Node {
  if (node.tag !== tag) throw malformed(`${what} has tag 0x${node.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return node;
}

export function readOid(node: Node): string {
  const bytes = expectTag(node, TAG.OID, 'OID').content;
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if (!(bytes[i] & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

function digits(bytes: Buffer, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = bytes[i] - 0x30;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), UTC with seconds, as RFC 5280 requires. */
export function readTime(node: Node): Date {
  const bytes = node.content;
  const yearDigits = node.tag === TAG.UTC_TIME ? 2 : node.tag === TAG.GENERALIZED_TIME ? 4 : 0;
  if (yearDigits === 0 || bytes.length !== yearDigits + 11 || bytes[bytes.length - 1] !== 0x5a)
    throw malformed(`bad time "${bytes.toString('latin1')}"`);
  let year = digits(bytes, 0, yearDigits);
  if (yearDigits === 2) year += year < 50 ? 2000 : 1900;
  const at = (k: number) => digits(bytes, yearDigits + 2 * k, 2);
  const time = Date.UTC(year, at(0) - 1, at(1), at(2), at(3), at(4));
  if (Number.isNaN(time)) throw malformed(`bad time "${bytes.toString('latin1')}"`);
  return new Date(time);
}

/** INTEGER content as unsigned upper-case hex in whole bytes, without a leading 00 byte. */
export function readUnsignedHex(node: Node): string {
  const content = expectTag(node, TAG.INTEGER, 'INTEGER').content;
  if (content.length === 0) throw malformed('empty INTEGER');
  if (content[0] & 0x80) throw malformed('negative INTEGER');
  return content
    .toString('hex')
    .replace(/^(00)+(?=..)/, '')
    .toUpperCase();
}
