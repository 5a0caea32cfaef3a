import { LocalCaStore } from '../adapters/local-files/ca-store';
import { SecretsManagerCaStore } from '../adapters/secrets-manager/ca-store';
import type { Config } from '../config';
import type { CaStore } from '../ports';
import { stateDir } from '../state';

export function caStoreFor(config: Config): CaStore {
  return config.CA_SECRET_ID
    ? new SecretsManagerCaStore({ secretId: config.CA_SECRET_ID, region: config.AWS_REGION })
    : new LocalCaStore(stateDir(config));
}
