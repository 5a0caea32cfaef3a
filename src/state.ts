import { resolve } from 'node:path';
import type { Config } from './config';
import { VpnChatopsError } from './domain/errors';
import { CertificateAuthority, loadCa } from './pki/ca';
import type { CaStore } from './ports';

/**
 * Where state lives and how the CA is loaded: small enough for `npm start` to use before it loads
 * the rest of the composition root (AWS SDK clients, Bolt), while DynamoDB Local's JVM boots.
 */

/** Local mode: no AWS settings at all, so state lives under STATE_DIR. */
export const isLocalMode = (config: Config) => !config.AWS_REGION && !config.CA_SECRET_ID;

export const DEFAULT_LOCAL_DYNAMODB = 'http://127.0.0.1:8000';

export function stateDir(config: Config): string {
  return resolve(config.STATE_DIR);
}

export async function loadCaFrom(store: CaStore): Promise<CertificateAuthority> {
  const material = await store.load();
  if (!material) {
    throw new VpnChatopsError(
      'STATE',
      `No CA in ${store.location} yet: run \`vpnctl ca init\` (new CA) or \`vpnctl ca import-easyrsa <dir>\` (existing Easy-RSA PKI).`,
    );
  }
  try {
    return loadCa(material);
  } catch (error) {
    if (!(error instanceof VpnChatopsError)) throw error;
    throw new VpnChatopsError(error.code, `The CA in ${store.location} is unusable: ${error.message}`, {
      cause: error,
    });
  }
}
