import { chmod, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TlsCryptV2KeyStore } from '../../ports';

const STAGED = /^\.[0-9a-f]{16}\.tmp$/;
/** Older than any save still writing: a staged file this old was left by one that crashed. */
const STALE_AFTER_MS = 60_000;

/**
 * The tls-crypt-v2 server keys under `<stateDir>/tls-crypt-v2/`, one file per endpoint (mode 0600), for a bot that
 * keeps its CA under STATE_DIR too. Each is written beside its place and renamed into it: never half a key.
 */
export class LocalTlsCryptV2Keys implements TlsCryptV2KeyStore {
  readonly location: string;

  constructor(stateDir: string) {
    this.location = join(stateDir, 'tls-crypt-v2');
  }

  async load(endpointKey: string): Promise<string | undefined> {
    try {
      return await readFile(this.file(endpointKey), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async save(endpointKey: string, serverKeyPem: string): Promise<void> {
    await this.prepareFolder();
    const staging = join(this.location, `.${randomBytes(8).toString('hex')}.tmp`);
    try {
      await writeFile(staging, serverKeyPem, { mode: 0o600, flag: 'wx' });
      await rename(staging, this.file(endpointKey));
    } catch (error) {
      await rm(staging, { force: true });
      throw error;
    }
  }

  async remove(endpointKey: string): Promise<void> {
    await rm(this.file(endpointKey), { force: true });
  }

  /**
   * mkdir's mode applies only to a folder it creates: one made before, by hand or with a wider umask, is narrowed
   * here, as it holds server keys. Staged files a crash left between write and rename hold keys too.
   */
  private async prepareFolder(): Promise<void> {
    await mkdir(this.location, { recursive: true, mode: 0o700 });
    if (((await stat(this.location)).mode & 0o777) !== 0o700) await chmod(this.location, 0o700);
    const staleBefore = Date.now() - STALE_AFTER_MS;
    for (const name of (await readdir(this.location)).filter((entry) => STAGED.test(entry))) {
      const staged = join(this.location, name);
      if ((await stat(staged)).mtimeMs < staleBefore) await rm(staged, { force: true });
    }
  }

  /** An endpoint's name is free text in VPN_ENDPOINTS: encoded, it can never name a path outside the folder. */
  private file(endpointKey: string): string {
    return join(this.location, `${encodeURIComponent(endpointKey.replace(/^openvpn:/, ''))}.key`);
  }
}
