import { VpnChatopsError } from '../domain/errors';

export function pemEncode(label: string, der: Buffer): string {
  const body = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

export interface PemBlock {
  label: string;
  der: Buffer;
  text: string;
}

export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(BLOCK)].map((match) => ({
    label: match[1],
    text: `${match[0]}\n`,
    der: Buffer.from(match[2].replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'),
  }));
}

/** The first block with one of `labels`, or a clear error naming what was expected. */
export function pemDecode(text: string, labels: string[], what: string): PemBlock {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new VpnChatopsError(
      'INVALID_PEM',
      `The ${what} is empty; paste the PEM text that starts with -----BEGIN ${labels[0]}-----.`,
    );
  }
  const block = pemBlocks(text).find((candidate) => labels.includes(candidate.label));
  if (!block || block.der.length === 0) {
    throw new VpnChatopsError(
      'INVALID_PEM',
      `The ${what} is not PEM: expected a block starting with -----BEGIN ${labels.join('----- or -----BEGIN ')}-----.`,
    );
  }
  return block;
}
