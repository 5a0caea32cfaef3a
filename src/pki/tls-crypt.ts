import { randomBytes } from 'node:crypto';

/** An OpenVPN static key (2048 random bits), the format `openvpn --genkey tls-crypt` writes. */
export function generateTlsCryptKey(): string {
  const hex = randomBytes(256).toString('hex').match(/.{32}/g) ?? [];
  return ['-----BEGIN OpenVPN Static key V1-----', ...hex, '-----END OpenVPN Static key V1-----', ''].join('\n');
}
