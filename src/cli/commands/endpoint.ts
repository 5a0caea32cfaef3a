import type { Command } from 'commander';
import { VpnChatopsError } from '../../domain/errors';
import {
  TlsCryptV2KeyDeps,
  TlsCryptV2KeyOutcome,
  TlsCryptV2KeyRequest,
  generateTlsCryptV2Key,
  importTlsCryptV2ServerKey,
} from '../../services/tls-crypt-v2-key';
import type { CliWiring } from '../../composition/cli';
import { Wiring, actor, out } from '../io';

interface KeyOptions {
  file?: string;
  force?: boolean;
}

/** The endpoint's server key file: --file, else tlsCryptV2ServerKeyFile from its VPN_ENDPOINTS entry. */
function serverKeyPath(cli: CliWiring, name: string, file: string | undefined): string {
  if (file !== undefined) return file;
  const endpoint = cli.config.VPN_ENDPOINTS.find((each) => each.type === 'openvpn' && each.name === name);
  if (endpoint?.type !== 'openvpn')
    throw new VpnChatopsError('INVALID_CONFIG', `No openvpn endpoint named "${name}" in VPN_ENDPOINTS.`);
  if (endpoint.tlsCryptV2ServerKeyFile === undefined)
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      `openvpn:${name} has no tlsCryptV2ServerKeyFile in VPN_ENDPOINTS: set it to the server's --tls-crypt-v2 key file, or pass --file.`,
    );
  return endpoint.tlsCryptV2ServerKeyFile;
}

const SAID: Record<TlsCryptV2KeyOutcome, string> = {
  stored: 'stored',
  replaced:
    'replaced: restart the server on it if it is not running it yet, then re-issue every profile (docs/self-hosted.md#rotating-the-server-key)',
  unchanged: 'already stored, unchanged',
};

function keyCommand(
  wiring: Wiring,
  run: (deps: TlsCryptV2KeyDeps, request: TlsCryptV2KeyRequest) => Promise<TlsCryptV2KeyOutcome>,
) {
  return async (name: string, options: KeyOptions) => {
    const cli = wiring();
    const keys = cli.tlsCryptV2Keys();
    const file = cli.serverKeyFile(serverKeyPath(cli, name, options.file));
    const outcome = await run(
      { keys, serverKeyFile: file, database: cli.withCheckedStores },
      { endpoint: `openvpn:${name}`, replace: options.force, actor: actor() },
    );
    out(`✔ openvpn:${name}: tls-crypt-v2 server key in ${file.location} and ${keys.location}: ${SAID[outcome]}`);
  };
}

export function addEndpointCommands(program: Command, wiring: Wiring): void {
  const endpoint = program.command('endpoint').description('self-hosted OpenVPN endpoints');
  const tlsCryptV2 = endpoint
    .command('tls-crypt-v2')
    .description(
      "an agent-served endpoint's tls-crypt-v2 server key: the server's file on its host, and the copy the bot wraps profiles' keys with (TLS_CRYPT_V2_SECRET_ID, else STATE_DIR)",
    );
  tlsCryptV2
    .command('import <endpoint>')
    .description("store the server's key file as it is (run on the VPN host)")
    .option('--file <path>', "the server's key file, instead of tlsCryptV2ServerKeyFile")
    .option('--force', 'replace a different stored key (a rotation: every profile must be re-issued)')
    .action(keyCommand(wiring, importTlsCryptV2ServerKey));
  tlsCryptV2
    .command('generate <endpoint>')
    .description('make a new server key, store it, and write it as the server key file (run on the VPN host)')
    .option('--file <path>', "the server's key file, instead of tlsCryptV2ServerKeyFile")
    .option('--force', 'replace an existing key (a rotation: restart the server, then re-issue every profile)')
    .action(keyCommand(wiring, generateTlsCryptV2Key));
}
