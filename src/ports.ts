import type { CaMaterial } from './pki/ca';

/** Where the CA certificate and key live: Secrets Manager in AWS, a 0600 file locally. Nothing else holds the key. */
export interface CaStore {
  /** A human-readable location for messages, e.g. a path or a secret id. */
  readonly location: string;
  load(): Promise<CaMaterial | undefined>;
  /** Refuses to replace an existing CA unless `overwrite` is set: losing a CA key orphans every certificate. */
  save(material: CaMaterial, options?: { overwrite?: boolean }): Promise<void>;
}
