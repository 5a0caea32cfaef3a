import { mkdir, mkdtemp, readFile, rename, rm, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { VpnChatopsError } from '../../domain/errors';
import type { CaMaterial } from '../../pki/ca';
import type { CaStore } from '../../ports';

/**
 * The CA under `<stateDir>/ca/`: `ca.crt` and `ca.key` (mode 0600). Both are written into a fresh
 * temporary folder that is renamed into place, so a crash never leaves a certificate without its key.
 */
export class LocalCaStore implements CaStore {
  readonly location: string;

  constructor(private readonly stateDir: string) {
    this.location = join(stateDir, 'ca');
  }

  async load(): Promise<CaMaterial | undefined> {
    const [certPem, keyPem] = await Promise.all([
      readFile(join(this.location, 'ca.crt'), 'utf8').catch(missing),
      readFile(join(this.location, 'ca.key'), 'utf8').catch(missing),
    ]);
    if (certPem === undefined && keyPem === undefined) return undefined;
    if (certPem === undefined || keyPem === undefined) {
      throw new VpnChatopsError(
        'STATE',
        `${this.location} holds only ${certPem === undefined ? 'ca.key' : 'ca.crt'}; restore the other file from a backup, or move the folder away to start a new CA.`,
      );
    }
    return { certPem, keyPem };
  }

  async save(material: CaMaterial, options: { overwrite?: boolean } = {}): Promise<void> {
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    const exists = await access(this.location).then(
      () => true,
      () => false,
    );
    if (exists && !options.overwrite) {
      throw new VpnChatopsError('STATE', `A CA already exists in ${this.location}; refusing to replace it.`);
    }
    const staging = await mkdtemp(join(this.stateDir, '.ca-'));
    try {
      await writeFile(join(staging, 'ca.key'), material.keyPem, { mode: 0o600, flag: 'wx' });
      await writeFile(join(staging, 'ca.crt'), material.certPem, { mode: 0o644, flag: 'wx' });
      if (exists) await rm(this.location, { recursive: true });
      await rename(staging, this.location);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  }
}

function missing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}
