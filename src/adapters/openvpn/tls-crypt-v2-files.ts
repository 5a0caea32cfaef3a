import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { VpnChatopsError, messageOf } from '../../domain/errors';
import { parseCrl } from '../../pki/crl';
import { tlsCryptV2RefusalList } from '../../pki/tls-crypt-v2';

/** The refusal list `resources/tls-crypt-v2-verify.sh` reads: beside the CRL, written with it. */
export const refusalListFile = (crlFile: string): string => join(dirname(crlFile), 'tls-crypt-v2-refused');

/**
 * Every serial the CRL lists. The signature is the publisher's and the agent's to check (publish-crl, crl-sync)
 * before the CRL gets here; this only reads its entries.
 */
export function refusalListFor(crlPem: string): string {
  return tlsCryptV2RefusalList(parseCrl(crlPem).revocations.map((entry) => entry.serial));
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
