import { VpnChatopsError, messageOf } from '../domain/errors';
import { checkTlsCryptV2ServerKey, generateTlsCryptV2ServerKey } from '../pki/tls-crypt-v2';
import type { AuditLog, DatabaseScope, ReplaceableFile, TlsCryptV2KeyStore } from '../ports';

/*
 * An agent-served endpoint's tls-crypt-v2 server key has two copies: the server's file on the VPN host, and the
 * stored one beside the CA that a bot away from the host (Lambda) wraps client keys with. These keep them equal.
 */

export interface TlsCryptV2KeyDeps {
  keys: TlsCryptV2KeyStore;
  serverKeyFile: ReplaceableFile;
  database: DatabaseScope<{ audit: AuditLog }>;
}

export interface TlsCryptV2KeyRequest {
  /** `openvpn:<name>`. */
  endpoint: string;
  /** Replace a different key already there: a rotation, after which every profile must be re-issued. */
  replace?: boolean;
  actor: string;
}

export type TlsCryptV2KeyOutcome = 'stored' | 'replaced' | 'unchanged';

const ROTATION = 'docs/self-hosted.md#rotating-the-server-key';

/** `vpnctl endpoint tls-crypt-v2 import`: the server's key file, as it is, becomes the stored copy. */
export async function importTlsCryptV2ServerKey(
  deps: TlsCryptV2KeyDeps,
  request: TlsCryptV2KeyRequest,
): Promise<TlsCryptV2KeyOutcome> {
  const { keys, serverKeyFile } = deps;
  const serverKey = await serverKeyFile.read();
  if (serverKey === undefined)
    throw new VpnChatopsError(
      'STATE',
      `${request.endpoint}: there is no tls-crypt-v2 server key at ${serverKeyFile.location}; make one with \`vpnctl endpoint tls-crypt-v2 generate\`. Nothing was changed.`,
    );
  assertServerKey(serverKey, serverKeyFile.location);
  return deps.database(async ({ audit }) => {
    const stored = await keys.load(request.endpoint);
    if (stored === serverKey) return 'unchanged';
    if (stored !== undefined && !request.replace)
      throw new VpnChatopsError(
        'STATE',
        `${request.endpoint}: ${keys.location} already holds a different tls-crypt-v2 server key, which every profile issued so far is wrapped by. Replacing it is a rotation (${ROTATION}): pass --force. Nothing was changed.`,
      );
    await keys.save(request.endpoint, serverKey);
    await record(audit, request, keys, { generated: false, replaced: stored !== undefined });
    return stored === undefined ? 'stored' : 'replaced';
  });
}

/**
 * `vpnctl endpoint tls-crypt-v2 generate`: a new key, stored first and then put in place as the server's file; if
 * that last step fails, the stored copy is put back, so both still hold the key the server runs.
 */
export async function generateTlsCryptV2Key(
  deps: TlsCryptV2KeyDeps,
  request: TlsCryptV2KeyRequest,
): Promise<TlsCryptV2KeyOutcome> {
  const { keys, serverKeyFile } = deps;
  return deps.database(async ({ audit }) => {
    const [file, stored] = await Promise.all([serverKeyFile.read(), keys.load(request.endpoint)]);
    const existing = [file !== undefined && serverKeyFile.location, stored !== undefined && keys.location].filter(
      Boolean,
    );
    if (existing.length > 0 && !request.replace)
      throw new VpnChatopsError(
        'STATE',
        `${request.endpoint}: a tls-crypt-v2 server key already exists in ${existing.join(' and ')}. To store the server's own key, use \`vpnctl endpoint tls-crypt-v2 import\`; to rotate it (${ROTATION}), pass --force. Nothing was changed.`,
      );
    const serverKey = generateTlsCryptV2ServerKey();
    const staged = await serverKeyFile.stage(serverKey);
    try {
      await keys.save(request.endpoint, serverKey);
    } catch (error) {
      await staged.discard();
      throw error;
    }
    try {
      await staged.commit();
    } catch (error) {
      await staged.discard();
      await restore(deps, request.endpoint, stored, error);
      throw error;
    }
    await record(audit, request, keys, { generated: true, replaced: existing.length > 0 });
    return existing.length > 0 ? 'replaced' : 'stored';
  });
}

/** The check's own message names the setting to fix; this names the file. It never quotes the key. */
function assertServerKey(serverKey: string, location: string): void {
  try {
    checkTlsCryptV2ServerKey(serverKey);
  } catch {
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      `${location} is not a tls-crypt-v2 server key (openvpn --genkey tls-crypt-v2-server writes one). Nothing was changed.`,
    );
  }
}

/** The server still runs the key it had: the stored copy goes back as it was, lest profiles be wrapped with another. */
async function restore(
  { keys, serverKeyFile }: TlsCryptV2KeyDeps,
  endpoint: string,
  stored: string | undefined,
  commitError: unknown,
): Promise<void> {
  try {
    if (stored === undefined) await keys.remove(endpoint);
    else await keys.save(endpoint, stored);
  } catch (error) {
    throw new VpnChatopsError(
      'STATE',
      `${endpoint}: the new tls-crypt-v2 server key could not be put in place at ${serverKeyFile.location} (${messageOf(commitError)}), and ${keys.location} could not be put back as it was (${messageOf(error)}): it now holds a key the server does not run. Once both work, store the server's own key again with \`vpnctl endpoint tls-crypt-v2 import ${endpoint.replace(/^openvpn:/, '')} --force\`.`,
      { cause: error },
    );
  }
}

/**
 * Written after the change, which is done by then: a failure here says so, lest the non-zero exit invite a second
 * --force rotation that would void every profile issued since this one.
 */
async function record(
  audit: AuditLog,
  request: TlsCryptV2KeyRequest,
  keys: TlsCryptV2KeyStore,
  details: { generated: boolean; replaced: boolean },
): Promise<void> {
  try {
    await audit.append({
      actor: request.actor,
      action: 'endpoint.tls-crypt-v2-key',
      target: request.endpoint,
      outcome: 'success',
      details: { ...details, store: keys.location },
    });
  } catch (error) {
    const done = details.generated ? 'a new server key is in place and stored' : 'the server key is stored';
    throw new VpnChatopsError(
      'STORE_UNAVAILABLE',
      `${request.endpoint}: ${done} in ${keys.location}, but its audit entry could not be written (${messageOf(error)}). The change is done: do not run the command again; record it by hand.`,
      { cause: error },
    );
  }
}
