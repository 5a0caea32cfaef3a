import { sign, verify } from 'node:crypto';
import { VpnChatopsError } from '../domain/errors';
import {
  REVOCATION_REASONS,
  REVOKING_REASONS,
  Revocation,
  RevocationReason,
  reasonFromCode,
  reasonOnFullCrl,
} from '../domain/revocation';
import { CertificateAuthority } from './ca';
import {
  TAG,
  bigintToBytes,
  children,
  expectTag,
  integer,
  oid,
  read,
  readOid,
  readTime,
  readUnsignedHex,
  sequence,
  time,
  tlv,
  tlvOf,
  unsignedInteger,
  type Node,
} from './der';
import { addDays, backdate } from './forge-signing';
import { pemDecode, pemEncode } from './pem';
import { normalizeSerial } from './serial';

/** AWS Client VPN's CRL quota; not adjustable. */
export const MAX_CRL_ENTRIES = 20_000;
export const CRL_DAYS = 180;

const OID = {
  sha256WithRSA: '1.2.840.113549.1.1.11',
  authorityKeyIdentifier: '2.5.29.35',
  crlNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
};
const HASH_BY_SIGNATURE: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};
const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

export interface BuildCrlOptions {
  ca: CertificateAuthority;
  /** The CRL Number: the caller's counter, strictly increasing per CA. */
  number: bigint;
  revocations: Revocation[];
  now?: Date;
  days?: number;
}

export interface BuiltCrl {
  pem: string;
  der: Buffer;
  number: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: number;
}

const extension = (id: string, value: Buffer) => sequence(oid(id), tlv(TAG.OCTET_STRING, value));
const SIGNATURE_ALGORITHM = sequence(oid(OID.sha256WithRSA), tlv(TAG.NULL, Buffer.alloc(0)));

/**
 * Per reason, the constant crlEntryExtensions bytes. RFC 5280 §5.3.1: `unspecified` is left out, not
 * written, and removeFromCRL (code 8) has no entry at all: it belongs in delta CRLs only.
 */
const REASON_EXTENSIONS = new Map<string, Buffer[]>(
  REVOKING_REASONS.map((reason) => {
    const code = REVOCATION_REASONS[reason];
    return [reason, code === 0 ? [] : [sequence(extension(OID.reasonCode, tlv(TAG.ENUMERATED, Buffer.from([code]))))]];
  }),
);

function entry(serial: Buffer, revocation: Revocation): Buffer {
  // A stored removeFromCRL still means revoked: with code 8 on a full CRL, OpenSSL 3 would let the certificate connect.
  const reason = REASON_EXTENSIONS.get(reasonOnFullCrl(revocation.reason));
  if (!reason) throw new VpnChatopsError('INVALID_CRL', `Unknown revocation reason "${revocation.reason}".`);
  return sequence(unsignedInteger(serial), time(revocation.revokedAt), ...reason);
}

export function buildCrl(options: BuildCrlOptions): BuiltCrl {
  const { ca, number, revocations } = options;
  if (revocations.length > MAX_CRL_ENTRIES) {
    throw new VpnChatopsError(
      'CRL_TOO_LARGE',
      `The CRL would list ${revocations.length.toLocaleString('en-US')} certificates; AWS Client VPN accepts at most ${MAX_CRL_ENTRIES.toLocaleString('en-US')}. ` +
        'Expired certificates leave the CRL on their own; to get under the limit sooner, shorten CERT_DAYS or move users to a new CA.',
    );
  }
  if (typeof number !== 'bigint' || number < 1n || bigintToBytes(number).length > 20) {
    throw new VpnChatopsError(
      'CRL_NUMBER',
      `CRL number ${String(number)} is invalid: it must be a positive integer of at most 20 octets.`,
    );
  }
  const seen = new Set<string>();
  const entries = revocations.map((revocation) => {
    const serial = normalizeSerial(revocation.serial);
    if (seen.has(serial))
      throw new VpnChatopsError('INVALID_CRL', `Serial ${serial} is listed twice; a CRL lists each certificate once.`);
    seen.add(serial);
    return entry(Buffer.from(serial, 'hex'), revocation);
  });
  const now = options.now ?? new Date();
  // A thisUpdate even a second in a verifier's future makes every connection fail ("CRL is not yet valid").
  const thisUpdate = backdate(now);
  const nextUpdate = addDays(new Date(Math.floor(now.getTime() / 1000) * 1000), options.days ?? CRL_DAYS);

  const extensions = tlv(
    TAG.CONTEXT_0,
    sequence(
      extension(OID.authorityKeyIdentifier, sequence(tlv(0x80, ca.keyId))),
      extension(OID.crlNumber, integer(number)),
    ),
  );
  const tbs = sequence(
    integer(1),
    SIGNATURE_ALGORITHM,
    ca.subjectDer,
    time(thisUpdate),
    time(nextUpdate),
    ...(entries.length ? [tlvOf(TAG.SEQUENCE, entries)] : []),
    extensions,
  );
  const signature = sign('sha256', tbs, ca.key);
  const der = sequence(tbs, SIGNATURE_ALGORITHM, tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), signature])));
  return { pem: pemEncode('X509 CRL', der), der, number, thisUpdate, nextUpdate, entries: revocations.length };
}

export interface ParsedCrl {
  der: Buffer;
  issuer: string;
  issuerDer: Buffer;
  number?: bigint;
  authorityKeyId?: string;
  thisUpdate: Date;
  nextUpdate?: Date;
  revocations: Revocation[];
  signatureAlgorithm: string;
  /** Present when a CA was given: signature valid and issuer bytes equal to the CA subject. */
  signedBy?: { signatureValid: boolean; issuerMatches: boolean };
}

function formatName(name: Node): string {
  return children(name)
    .flatMap((rdn) => children(rdn))
    .map((attribute) => {
      const [type, value] = children(attribute);
      const id = readOid(type);
      return `${ATTRIBUTE_NAMES[id] ?? id}=${value.content.toString(value.tag === 0x1e ? 'utf16le' : 'utf8')}`;
    })
    .join(', ');
}

function parseExtensions(node: Node | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!node) return out;
  for (const ext of children(expectTag(node, TAG.SEQUENCE, 'extensions'))) {
    const parts = children(ext);
    out.set(readOid(parts[0]), parts[parts.length - 1].content);
  }
  return out;
}

const REASON_CODE_OID = oid(OID.reasonCode);

/** The revoked list is most of a large CRL: walk it without building per-entry arrays. */
function parseEntries(list: Node): Revocation[] {
  const out: Revocation[] = [];
  const bytes = list.content;
  for (let offset = 0; offset < bytes.length;) {
    const entry = expectTag(read(bytes, offset), TAG.SEQUENCE, 'revoked entry');
    offset = entry.end;
    const serial = read(entry.content, 0);
    const date = read(entry.content, serial.end);
    let reason: RevocationReason = 'unspecified';
    if (date.end < entry.content.length) {
      for (const ext of children(read(entry.content, date.end))) {
        const parts = children(ext);
        if (parts[0].raw.equals(REASON_CODE_OID))
          reason = reasonFromCode(
            expectTag(read(parts[parts.length - 1].content), TAG.ENUMERATED, 'reason').content[0],
          );
      }
    }
    out.push({ serial: readUnsignedHex(serial), revokedAt: readTime(date), reason });
  }
  return out;
}

/**
 * Parse a CRL. With `entries: false` the revoked list is skipped (its count is still unknown then):
 * enough to read the number and dates of a 20,000-entry CRL cheaply.
 */
export function parseCrl(
  input: string | Buffer,
  ca?: Pick<CertificateAuthority, 'x509' | 'subjectDer'>,
  options: { entries?: boolean } = {},
): ParsedCrl {
  const der = typeof input === 'string' ? pemDecode(input, ['X509 CRL'], 'CRL').der : input;
  try {
    const outer = expectTag(read(der), TAG.SEQUENCE, 'CRL');
    if (outer.end !== der.length) throw new VpnChatopsError('INVALID_CRL', 'The CRL has trailing data after its end.');
    const [tbsNode, algorithmNode, signatureNode] = children(outer);
    const fields = children(expectTag(tbsNode, TAG.SEQUENCE, 'TBSCertList'));
    let index = fields[0].tag === TAG.INTEGER ? 1 : 0;
    index++; // inner signature algorithm
    const issuerNode = fields[index++];
    const thisUpdate = readTime(fields[index++]);
    let nextUpdate: Date | undefined;
    if (fields[index]?.tag === TAG.UTC_TIME || fields[index]?.tag === TAG.GENERALIZED_TIME)
      nextUpdate = readTime(fields[index++]);
    const list = fields[index]?.tag === TAG.SEQUENCE ? fields[index++] : undefined;
    const revocations = list && options.entries !== false ? parseEntries(list) : [];
    const extensions = parseExtensions(fields[index]?.tag === TAG.CONTEXT_0 ? children(fields[index])[0] : undefined);

    const numberDer = extensions.get(OID.crlNumber);
    const akiDer = extensions.get(OID.authorityKeyIdentifier);
    const keyIdNode = akiDer ? children(read(akiDer)).find((node) => node.tag === 0x80) : undefined;
    const signatureAlgorithm = readOid(children(algorithmNode)[0]);
    const signature = expectTag(signatureNode, TAG.BIT_STRING, 'signature').content.subarray(1);

    const parsed: ParsedCrl = {
      der,
      issuer: formatName(issuerNode),
      issuerDer: issuerNode.raw,
      thisUpdate,
      nextUpdate,
      revocations,
      signatureAlgorithm,
    };
    if (numberDer) parsed.number = BigInt(`0x${readUnsignedHex(read(numberDer))}`);
    if (keyIdNode) parsed.authorityKeyId = keyIdNode.content.toString('hex');
    if (ca) {
      const hash = HASH_BY_SIGNATURE[signatureAlgorithm];
      parsed.signedBy = {
        signatureValid: hash !== undefined && verify(hash, tbsNode.raw, ca.x509.publicKey, signature),
        issuerMatches: issuerNode.raw.equals(ca.subjectDer),
      };
    }
    return parsed;
  } catch (error) {
    if (error instanceof VpnChatopsError) throw error;
    const why = error instanceof Error ? ` (${error.message})` : '';
    throw new VpnChatopsError(
      'INVALID_CRL',
      `The CRL could not be parsed: it is truncated or not an X.509 CRL${why}.`,
      { cause: error },
    );
  }
}
