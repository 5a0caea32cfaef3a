import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VpnChatopsError, messageOf } from '../../domain/errors';
import { parseCrl } from '../../pki/crl';
import { tlsCryptV2Refusals } from '../../pki/tls-crypt-v2';
import type { ReplaceableFile } from '../../ports';

/**
 * The refusal list `resources/tls-crypt-v2-verify.sh` reads, beside the CRL: a folder with one empty file per
 * refused serial. The script runs once per handshake attempt, flood included, and a file's existence is a shell
 * builtin test; a line in one file would need a grep (a second exec: 2.8 ms of server CPU per attempt instead of
 * 2.0 in the tls-crypt-v2-drop bench) and asking `openssl crl` would parse the whole CRL on every attempt.
 */
export const refusalListDir = (crlFile: string): string => join(dirname(crlFile), 'tls-crypt-v2-refused');

const SERIAL_FILE = /^[0-9A-F]+$/;

/**
 * Make the folder list exactly what `crlPem` lists. Each serial's file is created or removed on its own, so every
 * serial is refused or admitted as a whole, and the caller writes the CRL after: a serial the CRL lists is refused
 * here first. The signature is the publisher's and the agent's to check (publish-crl, crl-sync) before this.
 */
export async function syncRefusals(crlFile: string, crlPem: string): Promise<void> {
  const dir = refusalListDir(crlFile);
  const wanted = new Set(tlsCryptV2Refusals(parseCrl(crlPem).revocations.map((entry) => entry.serial)));
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const present = new Set((await readdir(dir)).filter((name) => SERIAL_FILE.test(name)));
  for (const serial of wanted)
    if (!present.has(serial)) await writeFile(join(dir, serial), '', { mode: 0o644, flag: 'w' });
  for (const serial of present) if (!wanted.has(serial)) await unlink(join(dir, serial));
}

/** The server key, read where the issuer runs; a clear error names the setting when it cannot be. */
export async function readTlsCryptV2ServerKey(file: string, endpointKey: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new VpnChatopsError(
      'ENDPOINT',
      `${endpointKey}: could not read the tls-crypt-v2 server key ${file} (${messageOf(error)}): the host that issues profiles needs it to wrap each profile's client key (tlsCryptV2ServerKeyFile, docs/self-hosted.md)`,
      { cause: error },
    );
  }
}

/**
 * The server's own key file on the VPN host (mode 0600, as OpenVPN reads it as root). A new key is staged beside it
 * and renamed over it only once its stored copy is written, so the two never disagree after a failure.
 */
export function serverKeyFile(file: string): ReplaceableFile {
  return {
    location: file,
    async read() {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async stage(text) {
      const staged = join(dirname(file), `.${basename(file)}.${randomBytes(8).toString('hex')}`);
      await writeFile(staged, text, { mode: 0o600, flag: 'wx' });
      return { commit: () => rename(staged, file), discard: () => rm(staged, { force: true }) };
    },
  };
}
