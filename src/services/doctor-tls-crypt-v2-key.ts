import type { VpnEndpoint } from '../ports';
import { Check, guard } from './doctor-check';

/**
 * A server that requires tls-crypt-v2 drops every profile issued without its key: say so before anyone asks for one.
 */
export function tlsCryptV2KeyCheck(endpoint: VpnEndpoint): Promise<Check[]> {
  const read = endpoint.tlsCryptV2ServerKey?.bind(endpoint);
  if (!read) return Promise.resolve([]);
  const name = `${endpoint.key}: tls-crypt-v2 server key`;
  const fix = `On the VPN host: \`vpnctl endpoint tls-crypt-v2 import ${endpoint.key.replace(/^openvpn:/, '')}\` (docs/self-hosted.md#per-client-keys-tls-crypt-v2).`;
  return guard(name, fix, async () =>
    (await read()) === undefined
      ? []
      : { name, status: 'pass', detail: 'readable where profiles are issued: each profile gets its own client key' },
  );
}
