import { VpnChatopsError } from './errors';

/**
 * The certificate CN binds a certificate to a Slack member:
 *   <name-slug>[.<device>]--<tag>-<SLACKID>.<CERT_DOMAIN>
 * The Slack ID is whatever follows the last `-` once the domain is stripped, so name slugs and
 * device labels may themselves contain `-`: the ID always comes last and never contains one.
 *
 * The tag is new for every certificate. AWS Client VPN tells the connect handler only the CN, so a
 * re-issue for the same device must not bear the CN of the certificate it follows: a revoked (stolen)
 * certificate would otherwise be judged by its successor's record until the CRL reaches the endpoint.
 * Slugs never contain `--`, so the tag is told apart from a name or device; CNs issued before tags
 * (`<name-slug>[.<device>]-<SLACKID>.<CERT_DOMAIN>`) still decode.
 */
export const MAX_CN_LENGTH = 64;
export const MAX_DEVICE_LENGTH = 24;
export const CN_TAG_LENGTH = 5;

const SLACK_ID = /^[UW][A-Z0-9]{2,}$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
/** What a person may type as a device label before it is slugged: letters, digits, space, `_ . -`. */
const DEVICE_INPUT = /^[\p{L}\p{N} _.-]{1,64}$/u;
const SLUG_PART = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const TAG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const TAG = new RegExp(`^[${TAG_ALPHABET}]{${CN_TAG_LENGTH}}$`);
const TAG_BEFORE_ID = new RegExp(`--[${TAG_ALPHABET}]{${CN_TAG_LENGTH}}(?=-[UW][A-Z0-9]{2,}\\.)`);

export interface CnParts {
  slackId: string;
  nameSlug: string;
  device?: string;
  /** Absent on CNs issued before tags. */
  tag?: string;
}

export interface CnInput {
  displayName: string;
  slackId: string;
  domain: string;
  device?: string;
  /** Makes the CN this certificate's own (see cnTag); without it, the CN has the shape issued before tags. */
  tag?: string;
}

const invalidInput = (message: string) => new VpnChatopsError('INVALID_CN_INPUT', message);

/** ASCII slug: accents folded, everything else outside [a-z0-9] becomes a single `-`. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function isSlackId(value: string): boolean {
  return SLACK_ID.test(value);
}

export function assertCertDomain(domain: string): string {
  if (!DOMAIN.test(domain)) {
    throw invalidInput(
      `CERT_DOMAIN "${domain}" is not a lower-case DNS name (letters, digits, '-' and '.'), e.g. vpn.example.com.`,
    );
  }
  return domain;
}

export function normalizeDevice(device: string): string {
  const trimmed = device.trim();
  if (!DEVICE_INPUT.test(trimmed)) {
    throw invalidInput(
      'A device label may use letters, digits, spaces, "_", "." and "-" (at most 64 characters), e.g. "work-laptop".',
    );
  }
  const slug = slugify(trimmed).slice(0, MAX_DEVICE_LENGTH).replace(/-+$/, '');
  if (!slug) throw invalidInput(`The device label "${trimmed}" has no letters or digits; try e.g. "laptop".`);
  return slug;
}

/** A CN tag from random bytes (at least CN_TAG_LENGTH of them): the caller owns the randomness. */
export function cnTag(random: Uint8Array): string {
  if (random.length < CN_TAG_LENGTH) throw invalidInput(`A CN tag needs ${CN_TAG_LENGTH} random bytes.`);
  return Array.from(random.subarray(0, CN_TAG_LENGTH), (byte) => TAG_ALPHABET[byte % TAG_ALPHABET.length]).join('');
}

/**
 * The CN without its tag: the same for every certificate of one member's device (and the CN itself
 * for a CN issued before tags), so "one live certificate per device" can be held without holding the CN.
 */
export function untaggedCn(cn: string): string {
  return cn.replace(TAG_BEFORE_ID, '');
}

export function encodeCn(input: CnInput): string {
  if (!isSlackId(input.slackId)) {
    throw invalidInput(
      `"${input.slackId}" is not a Slack member ID (U or W followed by capital letters and digits, e.g. U012ABCDEF).`,
    );
  }
  if (input.tag !== undefined && !TAG.test(input.tag)) throw invalidInput(`"${input.tag}" is not a CN tag.`);
  const domain = assertCertDomain(input.domain);
  const tail = `${input.tag ? `--${input.tag}` : ''}-${input.slackId}.${domain}`;
  // The tag takes room a long device label had before tags: shorten the label, leaving the name one character.
  const device =
    input.device === undefined
      ? undefined
      : normalizeDevice(input.device)
          .slice(0, Math.max(0, MAX_CN_LENGTH - tail.length - 2))
          .replace(/-+$/, '');
  const suffix = `${device === undefined ? '' : `.${device}`}${tail}`;
  const room = MAX_CN_LENGTH - suffix.length;
  if (room < 1 || device === '') {
    throw invalidInput(
      `A CN for ${input.slackId} in ${domain} cannot fit in ${MAX_CN_LENGTH} characters; use a shorter CERT_DOMAIN or device label.`,
    );
  }
  const nameSlug = (slugify(input.displayName) || 'user').slice(0, room).replace(/-+$/, '');
  return `${nameSlug}${suffix}`;
}

export function decodeCn(cn: string, domain: string): CnParts {
  const invalid = (why: string) =>
    new VpnChatopsError('INVALID_CN', `"${cn.slice(0, 80)}" is not a vpn-chatops certificate name: ${why}.`);
  if (cn.length > MAX_CN_LENGTH) throw invalid(`longer than ${MAX_CN_LENGTH} characters`);
  const tail = `.${domain}`;
  if (!cn.endsWith(tail)) throw invalid(`it does not end in .${domain}`);
  const rest = cn.slice(0, -tail.length);
  const dash = rest.lastIndexOf('-');
  if (dash <= 0) throw invalid('no "-<SlackID>" part');
  const slackId = rest.slice(dash + 1);
  if (!isSlackId(slackId)) throw invalid(`"${slackId}" is not a Slack member ID`);
  const tagged = rest.slice(0, dash);
  const tagAt = tagged.lastIndexOf('--');
  const tag = tagAt === -1 ? undefined : tagged.slice(tagAt + 2);
  if (tag !== undefined && !TAG.test(tag)) throw invalid(`"${tag}" is not a CN tag`);
  const head = tagAt === -1 ? tagged : tagged.slice(0, tagAt);
  const dot = head.indexOf('.');
  const nameSlug = dot === -1 ? head : head.slice(0, dot);
  const device = dot === -1 ? undefined : head.slice(dot + 1);
  if (!SLUG_PART.test(nameSlug)) throw invalid('the name part is not a slug');
  if (device !== undefined && !SLUG_PART.test(device)) throw invalid('the device part is not a slug');
  return { slackId, nameSlug, ...(device !== undefined && { device }), ...(tag !== undefined && { tag }) };
}
