/**
 * The client configuration a self-hosted OpenVPN endpoint hands out: the counterpart of what AWS's
 * ExportClientVpnClientConfiguration returns. `remote` is "host port [proto]" as in VPN_ENDPOINTS.
 */
export function openvpnClientBase(options: { remote: string; caPem: string }): string {
  const [host, port = '1194', proto = 'udp'] = options.remote.trim().split(/\s+/);
  return [
    'client',
    'dev tun',
    `proto ${proto}`,
    `remote ${host} ${port}`,
    'resolv-retry infinite',
    'nobind',
    'persist-key',
    'persist-tun',
    'remote-cert-tls server',
    'verb 3',
    '<ca>',
    options.caPem.trim(),
    '</ca>',
    '',
  ].join('\n');
}
