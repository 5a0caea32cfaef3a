import { createPrivateKey, generateKeyPair, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { VpnChatopsError } from '../domain/errors';
import { pemDecode } from './pem';

const generateKeyPairAsync = promisify(generateKeyPair);

/** AWS Client VPN accepts RSA-1024 and RSA-2048 only, and current OpenVPN refuses 1024: so 2048. */
export const CLIENT_KEY_BITS = 2048;

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Native key generation on the libuv pool, so a busy worker keeps answering while primes are found. */
export async function generateRsaKeyPair(bits = CLIENT_KEY_BITS): Promise<KeyPair> {
  return generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
}

const KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'EC PRIVATE KEY'];

/** PKCS#1 or PKCS#8, plain or passphrase-encrypted. */
export function loadPrivateKey(pem: string, passphrase?: string, what = 'private key'): KeyObject {
  const block = pemDecode(pem, KEY_LABELS, what);
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.text);
  if (encrypted && !passphrase) {
    throw new VpnChatopsError('WRONG_PASSPHRASE', `The ${what} is encrypted; supply its passphrase.`);
  }
  try {
    return createPrivateKey(
      encrypted ? { key: block.text, format: 'pem', passphrase } : { key: block.text, format: 'pem' },
    );
  } catch (error) {
    if (encrypted) {
      throw new VpnChatopsError('WRONG_PASSPHRASE', `Could not decrypt the ${what}: the passphrase is wrong.`, {
        cause: error,
      });
    }
    throw new VpnChatopsError('INVALID_PEM', `The ${what} PEM could not be read; is it truncated or not a key?`, {
      cause: error,
    });
  }
}

export interface RsaRequirement {
  minBits: number;
  maxBits: number;
}

export const CLIENT_KEY_RULE: RsaRequirement = { minBits: CLIENT_KEY_BITS, maxBits: CLIENT_KEY_BITS };
export const CA_KEY_RULE: RsaRequirement = { minBits: 2048, maxBits: 4096 };

export function assertRsaKey(key: KeyObject, rule: RsaRequirement, what: string): void {
  const type = key.asymmetricKeyType;
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (type !== 'rsa' || bits === undefined) {
    throw new VpnChatopsError(
      'UNSUPPORTED_KEY',
      `The ${what} is ${type?.toUpperCase() ?? 'an unknown type'}; AWS Client VPN accepts RSA keys only. Use an RSA-${rule.minBits} key.`,
    );
  }
  if (bits < rule.minBits || bits > rule.maxBits) {
    const wanted = rule.minBits === rule.maxBits ? `${rule.minBits}` : `${rule.minBits} to ${rule.maxBits}`;
    throw new VpnChatopsError('UNSUPPORTED_KEY', `The ${what} is RSA-${bits}; it must be RSA-${wanted} bits.`);
  }
}

export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}
