import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { ManagementClient } from '../../src/adapters/openvpn/management';
import { availability } from '../../src/services/doctor-endpoint';
import { CONNECTED, RunningOpenVpn, TestVpn, freeTcpPort, prepareTestVpn } from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith } from '../helpers/tools';

/**
 * The management interface guarded the two ways OpenVPN 2.6 offers, against the real server: a
 * password (`--management host port pw-file`) and a Unix socket (`--management path unix`).
 */
describeWith(
  { openvpn: OPENVPN !== undefined, '/dev/net/tun': HAS_TUN },
  'a guarded OpenVPN management interface (real OpenVPN 2.6)',
  () => {
    const PASSWORD = 'correct horse battery staple';

    /** What doctor says about one endpoint's management interface. */
    const accessCheck = async (endpoint: OpenVpnEndpoint) =>
      (await availability(endpoint)).find((check) => check.name === `${endpoint.key}: management access`);

    const endpointFor = (vpn: TestVpn, management: string, managementPasswordFile?: string) =>
      new OpenVpnEndpoint({
        name: 'guarded',
        management,
        managementPasswordFile,
        crlFile: vpn.files.crl,
        remote: vpn.remote,
        caPem: vpn.ca.certPem,
        timeoutMs: 5000,
      });

    let vpnWithPassword: TestVpn;
    let address: string;
    let passwordFile: string;
    let client: RunningOpenVpn;

    beforeAll(async () => {
      vpnWithPassword = await prepareTestVpn({ prefix: 'mgmt-password' });
      passwordFile = vpnWithPassword.file('management.pw', `${PASSWORD}\n`);
      const port = await freeTcpPort();
      address = `127.0.0.1:${port}`;
      await vpnWithPassword.start(['--management', '127.0.0.1', String(port), passwordFile]);
      const { path } = await vpnWithPassword.profileFor('Alice Example', 'U0ALICE');
      client = vpnWithPassword.startClient(path);
      await client.waitFor(CONNECTED);
    }, 60_000);
    afterAll(async () => {
      await vpnWithPassword?.stop();
    });

    it('gives the password from managementPasswordFile, and doctor sees the interface is guarded', async () => {
      const endpoint = endpointFor(vpnWithPassword, address, passwordFile);
      const sessions = await endpoint.listSessions();
      expect(sessions.map((session) => session.commonName)).toEqual([expect.stringContaining('U0ALICE')]);
      const health = await endpoint.health();
      expect(health.ok).toBe(true);
      expect(health.management).toEqual({ address, transport: 'tcp', passwordProtected: true });
      expect(await accessCheck(endpoint)).toEqual({
        name: 'openvpn:guarded: management access',
        status: 'pass',
        detail: `${address} asks for a password`,
      });
    });

    it('refuses a wrong password with an error naming the file and the fix, and changes nothing', async () => {
      const wrongFile = join(vpnWithPassword.dir.path, 'wrong.pw');
      writeFileSync(wrongFile, 'not the password\n', { mode: 0o600 });
      const wrong = endpointFor(vpnWithPassword, address, wrongFile);
      const [sessionId] = (await endpointFor(vpnWithPassword, address, passwordFile).listSessions()).map(
        (session) => session.connectionId,
      );

      await expect(wrong.terminateSessions([sessionId])).rejects.toThrow(
        `openvpn:guarded: OpenVPN management interface at ${address} did not accept the password in ${wrongFile}: it must hold, on its first line, the password in the file the server's --management line names`,
      );
      const health = await wrong.health();
      expect(health.ok).toBe(false);
      expect(health.detail).toContain(`did not accept the password in ${wrongFile}`);
      expect(health.management).toBeUndefined();

      // The session is still there, and the right password still works: one wrong try locks nobody out.
      expect(
        (await endpointFor(vpnWithPassword, address, passwordFile).listSessions()).map(
          (session) => session.connectionId,
        ),
      ).toEqual([sessionId]);
      expect(client.process.exitCode).toBeNull();
    });

    it('says which setting to add when the server asks for a password and none is configured', async () => {
      await expect(endpointFor(vpnWithPassword, address).listSessions()).rejects.toThrow(
        `OpenVPN management interface at ${address} asks for a password: set "managementPasswordFile" for this endpoint in VPN_ENDPOINTS to a file holding it`,
      );
      await expect(
        endpointFor(vpnWithPassword, address, join(vpnWithPassword.dir.path, 'missing.pw')).listSessions(),
      ).rejects.toThrow(
        /Cannot read the management password file .*missing\.pw .*check "managementPasswordFile" in VPN_ENDPOINTS/,
      );
      // A server that is down is reported as down, not as a password file it never asked for.
      const down = `127.0.0.1:${await freeTcpPort()}`;
      await expect(
        endpointFor(vpnWithPassword, down, join(vpnWithPassword.dir.path, 'missing.pw')).listSessions(),
      ).rejects.toThrow(`${down} refused the connection`);
    });

    describe('over a Unix socket', () => {
      let vpn: TestVpn;
      let socket: string;

      beforeAll(async () => {
        vpn = await prepareTestVpn({ prefix: 'mgmt-unix' });
        socket = join(vpn.dir.path, 'mgmt.sock');
        await vpn.start(['--management', socket, 'unix']);
      }, 60_000);
      afterAll(async () => {
        await vpn?.stop();
      });

      it('talks to the server through unix:/path, and doctor trusts the socket only while its permissions keep other users out', async () => {
        chmodSync(socket, 0o700);
        const endpoint = endpointFor(vpn, `unix:${socket}`);
        expect(await endpoint.listSessions()).toEqual([]);
        const management = await ManagementClient.connect(`unix:${socket}`);
        try {
          expect((await management.command('pid'))[0]).toMatch(/^SUCCESS: pid=\d+$/);
          expect(management.passwordProtected).toBe(false);
        } finally {
          await management.close();
        }
        expect(await accessCheck(endpoint)).toMatchObject({
          status: 'pass',
          detail: `the socket unix:${socket} asks for no password; its file permissions guard it`,
        });

        chmodSync(socket, 0o777);
        expect(await accessCheck(endpoint)).toMatchObject({
          status: 'warn',
          detail: expect.stringContaining('lets every local user connect, and asks for no password'),
        });
      });

      it('says how to start the server when nothing listens on the socket', async () => {
        await expect(endpointFor(vpn, `unix:${socket}.absent`).listSessions()).rejects.toThrow(
          `OpenVPN management interface at unix:${socket}.absent is not listening: is the server running with --management ${socket}.absent unix?`,
        );
      });
    });

    describe('on a TCP port without a password', () => {
      let vpn: TestVpn;
      let open: string;

      beforeAll(async () => {
        vpn = await prepareTestVpn({ prefix: 'mgmt-open' });
        const port = await freeTcpPort();
        open = `127.0.0.1:${port}`;
        await vpn.start(['--management', '127.0.0.1', String(port)]);
      }, 60_000);
      afterAll(async () => {
        await vpn?.stop();
      });

      it('works, and doctor warns that anyone who reaches it can approve logins', async () => {
        const endpoint = endpointFor(vpn, open);
        expect((await endpoint.health()).management).toEqual({
          address: open,
          transport: 'tcp',
          passwordProtected: false,
        });
        expect(await accessCheck(endpoint)).toEqual({
          name: 'openvpn:guarded: management access',
          status: 'warn',
          detail: `${open} takes commands without a password: anyone who can reach it (every local user on the host) can approve any login (client-auth-nt, bypassing Slack) or end any session`,
          fix: expect.stringContaining('set "managementPasswordFile" to it in VPN_ENDPOINTS, or use a Unix socket'),
        });
      });
    });
  },
);
