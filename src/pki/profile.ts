import { VpnChatopsError } from '../domain/errors';
import { pemBlocks } from './pem';
import { checkPortableProfile } from './portable-profile';

export interface ProfileInput {
  /** The endpoint's client configuration: AWS's ExportClientVpnClientConfiguration text or a local server's. */
  base: string;
  certPem: string;
  /** The private key to inline; or, when the member made the key themselves (CSR), `keyFile` names it. */
  keyPem?: string;
  keyFile?: string;
  /** Self-hosted OpenVPN only: AWS Client VPN does not support tls-crypt. */
  tlsCryptKey?: string;
  /** Self-hosted OpenVPN with per-client keys: this profile's own tls-crypt-v2 client key (pki/tls-crypt-v2.ts). */
  tlsCryptV2Key?: string;
}

const invalid = (message: string) => new VpnChatopsError('INVALID_PROFILE', message);

/** Inline blocks and file references that our blocks replace; two sources for one credential confuse clients. */
const CREDENTIAL_BLOCKS = ['cert', 'key'];
/**
 * Replaced only when we bring our own tls-crypt key; otherwise the base's own stays, or the client could not connect.
 */
const TLS_BLOCKS = ['tls-crypt', 'tls-auth', 'tls-crypt-v2'];
const REPLACED_DIRECTIVES = /^\s*(cert|key|pkcs12|tls-crypt|tls-auth|tls-crypt-v2|key-direction)(\s|$)/;

function singlePem(text: string, labels: string[], what: string): string {
  const blocks = pemBlocks(text).filter((block) => labels.includes(block.label));
  if (blocks.length !== 1) throw invalid(`The ${what} must be exactly one PEM block (${labels.join(' or ')}).`);
  return blocks[0].text.trim();
}

export function assembleProfile(input: ProfileInput): string {
  const base = input.base.replace(/\r\n?/g, '\n');
  if (!/^\s*remote\s+\S+/m.test(base)) {
    throw invalid('The endpoint configuration has no `remote` line; export it again from the endpoint.');
  }
  if (!/<ca>[\s\S]*-----BEGIN CERTIFICATE-----[\s\S]*<\/ca>/.test(base) && !/^\s*ca\s+\S+/m.test(base)) {
    throw invalid('The endpoint configuration has no <ca> block, so clients could not verify the server.');
  }
  const cert = singlePem(input.certPem, ['CERTIFICATE'], 'client certificate');
  if ((input.keyPem === undefined) === (input.keyFile === undefined))
    throw invalid('A profile needs exactly one of a private key or a key file name.');
  if (input.keyFile !== undefined && !/^[\w.-]{1,128}$/.test(input.keyFile))
    throw invalid(`"${input.keyFile}" is not a plain key file name.`);

  if (input.tlsCryptKey !== undefined && input.tlsCryptV2Key !== undefined)
    throw invalid('A profile carries a tls-crypt key or a tls-crypt-v2 client key, not both.');
  const replacing = input.tlsCryptKey !== undefined || input.tlsCryptV2Key !== undefined;
  let text = base;
  for (const tag of [...CREDENTIAL_BLOCKS, ...(replacing ? TLS_BLOCKS : [])])
    text = text.replace(new RegExp(`<${tag}>[\\s\\S]*?</${tag}>\\n?`, 'g'), '');
  const lines = text.split('\n').filter((line) => {
    const match = REPLACED_DIRECTIVES.exec(line);
    if (!match) return true;
    // Keep the base's tls-* lines and blocks unless we bring our own tls-crypt key.
    return !(['cert', 'key', 'pkcs12'].includes(match[1]) || replacing);
  });
  const blocks = [`<cert>\n${cert}\n</cert>`];
  if (input.keyPem !== undefined) {
    blocks.push(`<key>\n${singlePem(input.keyPem, ['PRIVATE KEY', 'RSA PRIVATE KEY'], 'client private key')}\n</key>`);
  } else {
    blocks.push(
      `# The private key never left your computer: keep ${input.keyFile} next to this file.\nkey ${input.keyFile}`,
    );
  }
  if (input.tlsCryptKey !== undefined) {
    if (!/-----BEGIN OpenVPN Static key V1-----[\s\S]+-----END OpenVPN Static key V1-----/.test(input.tlsCryptKey)) {
      throw invalid('The tls-crypt key is not an OpenVPN static key (openvpn --genkey tls-crypt).');
    }
    blocks.push(`<tls-crypt>\n${input.tlsCryptKey.trim()}\n</tls-crypt>`);
  }
  if (input.tlsCryptV2Key !== undefined) {
    if (
      !/^-----BEGIN OpenVPN tls-crypt-v2 client key-----\n[A-Za-z0-9+/=\n]+-----END OpenVPN tls-crypt-v2 client key-----$/.test(
        input.tlsCryptV2Key.trim(),
      )
    )
      throw invalid('The tls-crypt-v2 key is not an OpenVPN tls-crypt-v2 client key.');
    blocks.push(`<tls-crypt-v2>\n${input.tlsCryptV2Key.trim()}\n</tls-crypt-v2>`);
  }
  const profile = `${lines.join('\n').trimEnd()}\n${blocks.join('\n')}\n`;
  // Every profile must import on a phone too (only a CSR profile's own key file is allowed).
  checkPortableProfile(profile, { keyFile: input.keyFile });
  return profile;
}
