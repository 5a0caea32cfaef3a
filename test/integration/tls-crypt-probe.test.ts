import { OpenVpnHandshakeProbe } from '../../src/adapters/openvpn/handshake-probe';
import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { freeTcpPort } from '../../src/adapters/dynamodb/local-server';
import { systemClock } from '../../src/ports';
import type { Check } from '../../src/services/doctor';
import { tlsCryptChecks } from '../../src/services/doctor-tls-crypt';
import {
  CONNECTED,
  RunningOpenVpn,
  TestVpn,
  freeUdpPort,
  prepareTestVpn,
  serverArgs,
  startOpenVpn,
} from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith } from '../helpers/tools';

const probe = new OpenVpnHandshakeProbe();

function endpointAt(vpn: TestVpn, remote: string): OpenVpnEndpoint {
  return new OpenVpnEndpoint({
    name: 'probe',
    management: '127.0.0.1:1',
    crlFile: vpn.files.crl,
    remote,
    caPem: vpn.ca.certPem,
  });
}

async function check(vpn: TestVpn, remote: string): Promise<Check> {
  const [lines] = await Promise.all(
    tlsCryptChecks({ handshake: probe, clock: systemClock }, [endpointAt(vpn, remote)]),
  );
  expect(lines).toHaveLength(1);
  return lines[0];
}

describeWith(
  { openvpn: OPENVPN !== undefined, '/dev/net/tun': HAS_TUN },
  'doctor proves tls-crypt is enforced, with an unwrapped handshake to a real OpenVPN 2.6 server',
  () => {
    let guarded: TestVpn;
    let open: TestVpn;
    let openServer: RunningOpenVpn | undefined;

    beforeAll(async () => {
      [guarded, open] = await Promise.all([
        prepareTestVpn({ prefix: 'probe-tls-crypt' }),
        prepareTestVpn({ prefix: 'probe-open' }),
      ]);
      await guarded.start();
      // The same server without --tls-crypt: any client reaches its TLS.
      const args = serverArgs({ port: open.port, ...open.files });
      const at = args.indexOf('--tls-crypt');
      args.splice(at, 2);
      openServer = startOpenVpn(args);
      await openServer.waitFor(CONNECTED);
    }, 60_000);
    afterAll(async () => {
      await openServer?.stop();
      await Promise.all([guarded?.stop(), open?.stop()]);
    });

    it('a server with tls-crypt stays silent: ✅, and its log shows the packet dropped before TLS', async () => {
      const line = await check(guarded, guarded.remote);
      expect(line).toMatchObject({ name: 'openvpn:probe: tls-crypt enforced', status: 'pass' });
      expect(line.detail).toContain(`got no answer from 127.0.0.1:${guarded.port}/udp`);
      await guarded.server.waitFor(/tls-crypt unwrapping failed/);
    });

    it('a server without tls-crypt answers with P_CONTROL_HARD_RESET_SERVER_V2: ❌ with the fix', async () => {
      const line = await check(open, open.remote);
      expect(line.status).toBe('fail');
      expect(line.detail).toContain(`127.0.0.1:${open.port}/udp answered a handshake that carried no tls-crypt key`);
      expect(line.detail).toContain('P_CONTROL_HARD_RESET_SERVER_V2');
      expect(line.fix).toMatch(/^Add `tls-crypt .*tls-crypt-v2 .*"tlsCryptKeyFile"/);
    });

    it('over TCP too: a server with tls-crypt hangs up or stays silent (✅), one without answers (❌)', async () => {
      const tcpArgs = async (vpn: TestVpn, tlsCrypt: boolean) => {
        const port = await freeTcpPort();
        const args = serverArgs({ port, ...vpn.files, extra: ['--proto', 'tcp4-server'] });
        if (!tlsCrypt) args.splice(args.indexOf('--tls-crypt'), 2);
        return { port, args };
      };
      const [withKey, without] = await Promise.all([tcpArgs(guarded, true), tcpArgs(open, false)]);
      const servers = [startOpenVpn(withKey.args), startOpenVpn(without.args)];
      try {
        await Promise.all(servers.map((server) => server.waitFor(CONNECTED)));
        const silent = await check(guarded, `127.0.0.1 ${withKey.port} tcp`);
        expect(silent.status).toBe('pass');
        expect(silent.detail).toContain(`got no answer from 127.0.0.1:${withKey.port}/tcp`);
        const answered = await check(open, `127.0.0.1 ${without.port} tcp`);
        expect(answered.status).toBe('fail');
        expect(answered.detail).toContain('P_CONTROL_HARD_RESET_SERVER_V2');
      } finally {
        await Promise.all(servers.map((server) => server.stop()));
      }
    }, 60_000);

    it('a port where nothing listens is not proven (port unreachable), never a ✅', async () => {
      const udp = await check(guarded, `127.0.0.1 ${await freeUdpPort()} udp`);
      expect(udp.status).toBe('warn');
      expect(udp.detail).toMatch(/^not proven: nothing listens at 127\.0\.0\.1:\d+\/udp \(port unreachable\)/);
      const tcp = await check(guarded, `127.0.0.1 ${await freeTcpPort()} tcp`);
      expect(tcp.status).toBe('warn');
      expect(tcp.detail).toMatch(/^not proven: nothing listens at 127\.0\.0\.1:\d+\/tcp/);
    });

    it('an address that is not this host is not probed: probe from the VPN host via the agent', async () => {
      const line = await check(guarded, '192.0.2.10 1194 udp');
      expect(line.status).toBe('warn');
      expect(line.detail).toBe(
        'not checked: 192.0.2.10:1194/udp is not on this host, and only a server on this host is probed',
      );
      expect(line.fix).toMatch(/^Probe from the VPN host via the agent/);
    });
  },
);
