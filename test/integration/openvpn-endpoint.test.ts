import { statSync } from 'node:fs';
import { join } from 'node:path';
import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { ManagementClient } from '../../src/adapters/openvpn/management';
import type { VpnSession } from '../../src/ports';
import { buildCrl } from '../../src/pki/crl';
import { CONNECTED, ManagedTestVpn, RunningOpenVpn, freeTcpPort, prepareTestVpn } from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith } from '../helpers/tools';

describeWith(
  { openvpn: OPENVPN !== undefined, '/dev/net/tun': HAS_TUN },
  'OpenVpnEndpoint against a real OpenVPN 2.6 server',
  () => {
    let vpn: ManagedTestVpn;
    let server: RunningOpenVpn;
    let endpoint: OpenVpnEndpoint;
    const crlFile = () => vpn.files.crl;

    /** A profile built from what the endpoint hands out. */
    const profileFor = (name: string, slackId: string) => vpn.profileFor(name, slackId, { from: endpoint });

    /** A client that stays connected until the suite ends (or a test stops it). */
    async function connectedClient(profile: string): Promise<RunningOpenVpn> {
      const client = vpn.startClient(profile);
      await client.waitFor(CONNECTED);
      return client;
    }

    /** Try once and wait for the server's verdict; the client is stopped either way. */
    async function refused(profile: string, verdict: RegExp): Promise<string> {
      const before = server.log().length;
      const client = vpn.startClient(profile);
      try {
        await server.waitFor(verdict, { since: before });
        // Give a wrongly accepted client the chance to finish before we look.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return client.log();
      } finally {
        await client.stop();
      }
    }

    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    /** The sessions as soon as `connectionId` is no longer among them (bounded). */
    async function sessionsOnceGone(connectionId: string, timeoutMs = 10_000): Promise<VpnSession[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const sessions = await endpoint.listSessions();
        if (!sessions.some((session) => session.connectionId === connectionId)) return sessions;
        if (Date.now() > deadline)
          throw new Error(`session ${connectionId} still listed after ${timeoutMs} ms: ${JSON.stringify(sessions)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    beforeAll(async () => {
      vpn = await prepareTestVpn({ prefix: 'openvpn-endpoint', management: true, initialCrl: false });
      endpoint = new OpenVpnEndpoint({
        name: 'test',
        management: vpn.management,
        crlFile: crlFile(),
        remote: vpn.remote,
        caPem: vpn.ca.certPem,
        tlsCryptKeyFile: vpn.files.tlsCrypt,
      });
      // OpenVPN will not start without its crl-verify file, so the first CRL goes in through the adapter too.
      await endpoint.importCrl(buildCrl({ ca: vpn.ca, number: 1n, revocations: [] }).pem);
      server = await vpn.start();
    }, 60_000);

    afterAll(async () => {
      await vpn?.stop();
    });

    it('lists a connected client by CN and kills its session by Client ID', async () => {
      const jane = await profileFor('Jane Doe', 'U0JANE');
      const client = await connectedClient(jane.path);

      const sessions = await endpoint.listSessions();
      const session = sessions.find((candidate) => candidate.commonName === jane.issued.cn);
      expect(session).toEqual({
        connectionId: expect.stringMatching(/^\d+$/),
        commonName: jane.issued.cn,
        clientIp: '127.0.0.1',
        connectedAt: expect.any(Date),
      });
      expect(Math.abs(session!.connectedAt!.getTime() - Date.now())).toBeLessThan(60_000);

      const clientLogBefore = client.log().length;
      const serverLogBefore = server.log().length;
      // An unknown id gets an ERROR reply, which must not stop the kill that follows it.
      expect(await endpoint.terminateSessions(['999999', session!.connectionId])).toEqual([session!.connectionId]);
      await server.waitFor(
        new RegExp(
          `MANAGEMENT: CMD 'client-kill ${session!.connectionId} HALT'[\\s\\S]*SENT CONTROL \\[${escape(jane.issued.cn)}\\]: 'HALT'`,
        ),
        { since: serverLogBefore },
      );
      // HALT makes the client exit instead of reconnecting; the server drops the session after its delayed exit.
      await client.waitFor(/server-pushed-halt\] received, process exiting/, { since: clientLogBefore });
      const after = await sessionsOnceGone(session!.connectionId);
      expect(after.filter((candidate) => candidate.commonName === jane.issued.cn)).toHaveLength(0);
      await client.stop();
    }, 30_000);

    it('revokes through importCrl: the revoked client is refused, another still connects, exportCrl reads it back', async () => {
      const bob = await profileFor('Bob Leaver', 'U0BOB');
      const alice = await profileFor('Alice', 'U0ALICE');
      const crl = buildCrl({
        ca: vpn.ca,
        number: 2n,
        revocations: [{ serial: bob.issued.serial, revokedAt: new Date(), reason: 'affiliationChanged' }],
      });

      await endpoint.importCrl(crl.pem);

      expect(await endpoint.exportCrl()).toEqual({ pem: crl.pem, status: 'active' });
      expect(statSync(crlFile()).mode & 0o777).toBe(0o644);
      expect(await refused(bob.path, /VERIFY ERROR: depth=0, error=certificate revoked/)).not.toMatch(CONNECTED);
      const client = await connectedClient(alice.path);
      expect(client.log()).toMatch(CONNECTED);
      await client.stop();
    }, 30_000);

    it('is healthy while the management interface answers and the CRL file exists', async () => {
      const health = await endpoint.health();
      expect(health).toEqual({
        ok: true,
        detail: expect.stringMatching(
          /management interface at 127\.0\.0\.1:\d+ answers \(pid=\d+\); CRL file .* is present/,
        ),
        management: { address: vpn.management, transport: 'tcp', passwordProtected: false },
      });
    });

    it('is unhealthy, saying why, when nothing listens on the management port or the CRL file is missing', async () => {
      const missingCrl = join(vpn.dir.path, 'missing-crl.pem');
      const closed = new OpenVpnEndpoint({
        name: 'closed',
        management: `127.0.0.1:${await freeTcpPort()}`,
        crlFile: missingCrl,
        remote: '127.0.0.1 1194',
        caPem: vpn.ca.certPem,
      });
      const health = await closed.health();
      expect(health.ok).toBe(false);
      expect(health.detail).toMatch(
        /refused the connection: is the server running with --management 127\.0\.0\.1 \d+\?/,
      );
      expect(health.detail).toContain(`CRL file ${missingCrl} is missing`);
    });

    it('waits, and times out clearly, while another management client holds the interface', async () => {
      const holder = await ManagementClient.connect(vpn.management);
      try {
        const impatient = new OpenVpnEndpoint({
          name: 'test',
          management: vpn.management,
          crlFile: crlFile(),
          remote: '127.0.0.1 1194',
          caPem: vpn.ca.certPem,
          timeoutMs: 1000,
        });
        const health = await impatient.health();
        expect(health.ok).toBe(false);
        expect(health.detail).toMatch(
          /no >INFO: banner within 1000 ms: OpenVPN serves one management client at a time/,
        );
      } finally {
        await holder.close();
      }
      expect((await endpoint.health()).ok).toBe(true);
    });
  },
);
