import { OpenVpnConnectBridge } from '../../src/adapters/openvpn/connect-bridge';
import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { ManagementClient } from '../../src/adapters/openvpn/management';
import { ConnectDecision, ConnectRequest, deny } from '../../src/domain/approval';
import { encodeCn } from '../../src/domain/cn';
import { CONNECTED, ManagedTestVpn, RunningOpenVpn, prepareTestVpn } from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith } from '../helpers/tools';

const SLOW_DECISION_MS = 2000;
/** Quotes and a line break, which must not break the client-deny command. */
const DENY_MESSAGE = 'Bob\'s login was "denied"\nby the owner';

describeWith(
  { openvpn: OPENVPN !== undefined, '/dev/net/tun': HAS_TUN },
  'OpenVpnConnectBridge against a real OpenVPN 2.6 server with --management-client-auth',
  () => {
    let vpn: ManagedTestVpn;
    let server: RunningOpenVpn;
    let management: ManagementClient;
    let bridge: OpenVpnConnectBridge;
    let endpoint: OpenVpnEndpoint;
    const requests: ConnectRequest[] = [];
    /** When each CN's decision was asked for (ms since epoch). */
    const asked = new Map<string, number>();
    const logged: string[] = [];
    const cn = (name: string, slackId: string) => encodeCn({ displayName: name, slackId, domain: 'vpn.test' });
    const JANE = cn('Jane Doe', 'U0JANE');
    const BOB = cn('Bob Denied', 'U0BOB');
    const CAROL = cn('Carol Slow', 'U0CAROL');
    const DAVE = cn('Dave', 'U0DAVE');

    async function decide(request: ConnectRequest): Promise<ConnectDecision> {
      requests.push(request);
      asked.set(request.commonName, Date.now());
      if (request.commonName === CAROL) await new Promise((resolve) => setTimeout(resolve, SLOW_DECISION_MS));
      if (request.commonName === JANE || request.commonName === CAROL || request.commonName === DAVE)
        return { allow: true, reason: 'approved', message: '' };
      return deny('denied-by-owner', DENY_MESSAGE);
    }

    /** Issue a certificate for `name`/`slackId` (whose CN is `cn(name, slackId)`) and return its profile's path. */
    async function profileFor(name: string, slackId: string): Promise<string> {
      return (await vpn.profileFor(name, slackId)).path;
    }

    const startClient = (profile: string): RunningOpenVpn => vpn.startClient(profile);

    async function decisionStarted(commonName: string, timeoutMs = 20_000): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = asked.get(commonName);
        if (at !== undefined) return at;
        if (Date.now() > deadline)
          throw new Error(
            `no decision was asked for ${commonName} within ${timeoutMs} ms:\n${server.log().slice(-3000)}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    async function sessionsWithout(commonName: string, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while ((await endpoint.listSessions()).some((session) => session.commonName === commonName)) {
        if (Date.now() > deadline) throw new Error(`${commonName} still listed after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    beforeAll(async () => {
      vpn = await prepareTestVpn({ prefix: 'openvpn-connect-bridge', management: true });
      // Without --auth-user-pass-optional, --management-client-auth makes OpenVPN demand a username and
      // password ("Auth Username/Password was not provided by peer") before it asks the management client.
      server = await vpn.start(['--management-client-auth', '--auth-user-pass-optional']);
      management = await ManagementClient.connect(vpn.management);
      bridge = new OpenVpnConnectBridge({
        management,
        endpointId: 'openvpn:test',
        decide,
        log: (message) => logged.push(message),
      });
      bridge.start();
      endpoint = new OpenVpnEndpoint({
        name: 'test',
        management: vpn.management,
        crlFile: vpn.files.crl,
        remote: vpn.remote,
        caPem: vpn.ca.certPem,
        shared: management,
      });
    }, 60_000);

    afterAll(async () => {
      bridge?.stop();
      await management?.close();
      await vpn?.stop();
    });

    it('asks decide with the client details OpenVPN reports, and lets an allowed client in', async () => {
      const client = startClient(await profileFor('Jane Doe', 'U0JANE'));
      await client.waitFor(CONNECTED);
      expect(requests.find((request) => request.commonName === JANE)).toEqual({
        connectionId: expect.stringMatching(/^\d+$/),
        endpointId: 'openvpn:test',
        commonName: JANE,
        publicIp: '127.0.0.1',
        platform: 'linux',
        platformVersion: expect.any(String),
        clientVersion: expect.stringMatching(/^2\.6\./),
      });
      expect(server.log()).toMatch(/MANAGEMENT: CMD 'client-auth-nt \d+ \d+'/);
    }, 30_000);

    it('refuses a denied client, which sees AUTH_FAILED with the sanitized message', async () => {
      const client = startClient(await profileFor('Bob Denied', 'U0BOB'));
      const log = await client.waitFor(/AUTH_FAILED/);
      expect(log).toContain("AUTH_FAILED,Bob's login was denied by the owner");
      expect(log).not.toMatch(CONNECTED);
      expect(server.log()).toMatch(/denied-by-owner/);
      await client.stop();
    }, 30_000);

    it('decides clients concurrently: a slow approval completes after its delay while another client is decided meanwhile', async () => {
      const carol = startClient(await profileFor('Carol Slow', 'U0CAROL'));
      const daveProfile = await profileFor('Dave', 'U0DAVE');
      const carolAsked = await decisionStarted(CAROL);

      const dave = startClient(daveProfile);
      await dave.waitFor(CONNECTED);
      expect(Date.now() - carolAsked).toBeLessThan(SLOW_DECISION_MS);
      expect(carol.log()).not.toMatch(CONNECTED);

      await carol.waitFor(CONNECTED);
      expect(Date.now() - carolAsked).toBeGreaterThanOrEqual(SLOW_DECISION_MS);
      const idOf = (commonName: string) => requests.find((request) => request.commonName === commonName)!.connectionId;
      expect(server.log()).toMatch(
        new RegExp(`CMD 'client-auth-nt ${idOf(DAVE)} \\d+'[\\s\\S]*CMD 'client-auth-nt ${idOf(CAROL)} \\d+'`),
      );
    }, 40_000);

    it('lets an OpenVpnEndpoint list sessions and check health over the connection the bridge holds', async () => {
      const sessions = await endpoint.listSessions();
      for (const commonName of [JANE, CAROL, DAVE]) {
        expect(sessions.find((session) => session.commonName === commonName)).toEqual({
          connectionId: requests.find((request) => request.commonName === commonName)!.connectionId,
          commonName,
          clientIp: '127.0.0.1',
          connectedAt: expect.any(Date),
        });
      }
      // OpenVPN lists a denied client in CLIENT_LIST until it tears the instance down, about 5 s after AUTH_FAILED.
      await sessionsWithout(BOB, 15_000);
      expect(await endpoint.health()).toEqual({
        ok: true,
        detail: expect.stringMatching(/answers \(pid=\d+\)/),
        management: { address: vpn.management, transport: 'tcp', passwordProtected: false },
      });
      expect(logged).toEqual([]);
    }, 30_000);
  },
);
