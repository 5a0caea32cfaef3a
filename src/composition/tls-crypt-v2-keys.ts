import { readFile } from 'node:fs/promises';
import { LocalTlsCryptV2Keys } from '../adapters/local-files/tls-crypt-v2-keys';
import { SecretsManagerTlsCryptV2Keys } from '../adapters/secrets-manager/tls-crypt-v2-keys';
import type { Config } from '../config';
import type { TlsCryptV2KeyStore } from '../ports';
import { stateDir } from '../state';

/** Where the agent-served endpoints' tls-crypt-v2 server keys are kept: beside the CA, as caStoreFor decides for it. */
export function tlsCryptV2KeysFor(config: Config): TlsCryptV2KeyStore {
  return config.TLS_CRYPT_V2_SECRET_ID
    ? new SecretsManagerTlsCryptV2Keys({ secretId: config.TLS_CRYPT_V2_SECRET_ID, region: config.AWS_REGION })
    : new LocalTlsCryptV2Keys(stateDir(config));
}

/**
 * npm start's own server: the bot reaches it through its agent like any other, so it reads the stored copy of the
 * server key; this keeps that copy the same as the key file the server was started with.
 */
export async function storeLocalTlsCryptV2Key(
  config: Config,
  endpointName: string,
  serverKeyFile: string,
): Promise<void> {
  const keys = tlsCryptV2KeysFor(config);
  const endpointKey = `openvpn:${endpointName}`;
  const serverKey = await readFile(serverKeyFile, 'utf8');
  if ((await keys.load(endpointKey)) !== serverKey) await keys.save(endpointKey, serverKey);
}
