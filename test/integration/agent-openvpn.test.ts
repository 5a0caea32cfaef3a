import { readFileSync } from 'node:fs';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import type { Agent } from '../../src/agent/agent';
import { AgentTableStores, createAgent } from '../../src/composition/agent';
import { loadConfig } from '../../src/config';
import { buildCrl, parseCrl } from '../../src/pki/crl';
import { systemClock, type VpnEndpoint } from '../../src/ports';
import { tlsCryptChecks } from '../../src/services/doctor-tls-crypt';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import {
  CONNECTED,
  RunningOpenVpn,
  TestVpn,
  freeTcpPort,
  prepareTestVpn,
  serverArgs,
  startOpenVpn,
} from '../helpers/openvpn';
import { certificateRecord } from '../helpers/records';
import { testCa } from '../helpers/ca';
import { HAS_TUN, OPENVPN, describeWith } from '../helpers/tools';
import {
  MemoryAgentRegistry,
  MemoryCrlDistribution,
  MemoryEndpointLease,
  MemorySessionKillQueue,
  MemoryShippedLog,
  RecordingLog,
} from '../helpers/agent-runtime-fakes';

const ENDPOINT = 'openvpn:agent';

/**
 * `vpnctl agent`'s runtime in-process against a real OpenVPN 2.6 server (management password,
 * --management-client-auth) and DynamoDB Local for certificates; the agent's own table ports are the
 * in-memory ones, driven the way the bot drives them.
 */
describeWith(
  {
    openvpn: OPENVPN !== undefined,
    '/dev/net/tun': HAS_TUN,
    'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined,
  },
  'vpnctl agent against a real OpenVPN server',
  () => {
    let vpn: TestVpn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let agent: Agent;
    let server: RunningOpenVpn;
    let serverArgsList: string[];
    const servers: RunningOpenVpn[] = [];
    const log = new RecordingLog();
    const table = {
      crlDistribution: new MemoryCrlDistribution(),
      sessionKills: new MemorySessionKillQueue(),
      agentRegistry: new MemoryAgentRegistry(),
      endpointLease: new MemoryEndpointLease(),
      shippedLog: new MemoryShippedLog(),
    } satisfies AgentTableStores;

    /** A client whose certificate is active in the table, so the agent's bridge lets it in (APPROVALS=off: the gate alone). */
    async function member(name: string, slackId: string) {
      const { issued, path } = await vpn.profileFor(name, slackId);
      await storesFor(db).certificates.create(
        certificateRecord({ serial: issued.serial, cn: issued.cn, slackId, notAfter: issued.notAfter }),
      );
      return { issued, path };
    }

    async function startServer(): Promise<RunningOpenVpn> {
      const started = startOpenVpn(serverArgsList);
      servers.push(started);
      await started.waitFor(CONNECTED);
      return started;
    }

    const connectedCount = () => log.at('info').filter((line) => line.includes('connected to the management')).length;

    beforeAll(async () => {
      [vpn, db] = await Promise.all([prepareTestVpn({ prefix: 'agent' }), testDatabase()]);
      const managementPort = await freeTcpPort();
      const passwordFile = vpn.file('management.pw', 'agent management secret\n');
      serverArgsList = serverArgs({
        port: vpn.port,
        ...vpn.files,
        extra: [
          '--management',
          '127.0.0.1',
          String(managementPort),
          passwordFile,
          '--management-client-auth',
          '--auth-user-pass-optional',
          '--hand-window',
          '30',
        ],
      });
      server = await startServer();
      const config = loadConfig({
        TABLE_NAME: db.tableName,
        DYNAMODB_ENDPOINT,
        CERT_DOMAIN: 'vpn.test',
        APPROVALS: 'off',
        SLACK_BOT_TOKEN: 'xoxb-agent-test',
        // Nothing listens here: admin alerts are logged, and their posts fail fast.
        SLACK_API_URL: 'http://127.0.0.1:9/api/',
        CA_CERT_FILE: vpn.files.ca,
        VPN_ENDPOINTS: JSON.stringify([
          {
            type: 'openvpn',
            name: 'agent',
            management: `127.0.0.1:${managementPort}`,
            managementPasswordFile: passwordFile,
            crlFile: vpn.files.crl,
            remote: vpn.remote,
            tlsCryptKeyFile: vpn.files.tlsCrypt,
          },
        ]),
      });
      agent = createAgent(config, db, table, {
        agentId: 'test-host:agent',
        log,
        intervalsMs: { crl: 200, kills: 200, heartbeat: 500 },
        reconnectBackoffMs: [100, 200, 400],
      });
      await agent.start();
      await eventually(() => agent.state()[0].answeringLogins, 'the agent answering logins');
    }, 60_000);

    afterAll(async () => {
      await agent?.stop();
      await Promise.all(servers.map((running) => running.stop()));
      await vpn?.stop();
      await db?.drop();
    }, 30_000);

    let alice: Awaited<ReturnType<typeof member>>;

    it('holds the lease, answers a login over the password-protected management interface, and beats', async () => {
      expect(table.endpointLease.holder(ENDPOINT)).toMatch(/^test-host:agent#/);
      alice = await member('Alice Example', 'U0ALICE');
      const client = vpn.startClient(alice.path);
      await client.waitFor(CONNECTED);
      expect(server.log()).toMatch(/MANAGEMENT: CMD 'client-auth-nt \d+ \d+'/);
      const beat = await eventually(
        async () =>
          (await table.agentRegistry.serving(ENDPOINT))?.endpoints[0].sessions.some(
            (s) => s.commonName === alice.issued.cn,
          )
            ? table.agentRegistry.beats.at(-1)
            : undefined,
        "a heartbeat listing Alice's session",
      );
      expect(beat).toMatchObject({
        agentId: 'test-host:agent',
        endpoints: [{ endpoint: ENDPOINT, health: { ok: true } }],
      });
      expect(beat.endpoints[0].tlsCryptKey).toBe(vpn.tlsCrypt);
    }, 40_000);

    it('probes its server with an unwrapped handshake, reports the silence in its heartbeat, and doctor shows it', async () => {
      const reported = await eventually(
        async () => (await table.agentRegistry.serving(ENDPOINT))?.endpoints[0].handshakeProbe,
        'a heartbeat with the tls-crypt probe',
      );
      expect(reported).toMatchObject({
        target: { host: '127.0.0.1', port: vpn.port, proto: 'udp' },
        result: { outcome: 'silent' },
      });
      expect(server.log()).toMatch(/tls-crypt unwrapping failed/);
      // The bot's side: doctor probes nothing itself and shows what the agent saw.
      const served = { key: ENDPOINT, kind: 'openvpn', clientConfiguration: async () => 'remote vpn.example.com 1194' };
      const [lines] = await Promise.all(
        tlsCryptChecks({ agents: table.agentRegistry, clock: systemClock }, [served as unknown as VpnEndpoint]),
      );
      expect(lines).toEqual([
        expect.objectContaining({
          status: 'pass',
          detail: expect.stringMatching(/ \(probed by agent test-host:agent on .* at /),
        }),
      ]);
    }, 30_000);

    it('(b) carries out a kill request: the live session ends and the kill is settled done', async () => {
      const session = (await table.agentRegistry.serving(ENDPOINT))!.endpoints[0].sessions.find(
        (s) => s.commonName === alice.issued.cn,
      )!;
      const [kill] = await table.sessionKills.request(
        ENDPOINT,
        [{ connectionId: session.connectionId, commonName: session.commonName }],
        'U0ADMIN',
        new Date(),
      );
      await eventually(
        async () => (await table.sessionKills.get(ENDPOINT, [kill.id]))[0].state === 'done',
        'the kill settled',
      );
      expect(server.log()).toMatch(new RegExp(`MANAGEMENT: CMD 'client-kill ${session.connectionId} HALT'`));
    }, 30_000);

    it('(a) writes a published CRL to the crl-verify file, and the server refuses the revoked client', async () => {
      const crl = buildCrl({
        ca: vpn.ca,
        number: 2n,
        revocations: [{ serial: alice.issued.serial, revokedAt: new Date(), reason: 'keyCompromise' }],
      });
      expect(await table.crlDistribution.publish(ENDPOINT, crl, new Date())).toBe(true);
      await eventually(() => table.crlDistribution.reports.find((r) => r.applied.number === '2'), 'CRL #2 applied');
      expect(readFileSync(vpn.files.crl, 'utf8')).toBe(crl.pem);

      const since = server.log().length;
      const retry = vpn.startClient(alice.path);
      await server.waitFor(/VERIFY ERROR: depth=0, error=certificate revoked/, { since });
      await retry.stop();

      // A CRL from another CA is refused and the good one stays.
      const foreign = buildCrl({ ca: await testCa('Someone Else CA'), number: 3n, revocations: [] });
      await table.crlDistribution.publish(ENDPOINT, foreign, new Date());
      await eventually(() => log.at('error').find((line) => line.includes('refused CRL #3')), 'the refusal logged');
      expect(parseCrl(readFileSync(vpn.files.crl, 'utf8')).number).toBe(2n);
    }, 40_000);

    it('(c) reconnects to the management interface after a server restart, and answers logins again', async () => {
      const before = connectedCount();
      await server.stop();
      await eventually(
        () => log.at('warn').find((line) => line.includes('lost the management connection')),
        'the lost connection noticed',
      );
      server = await startServer();
      await eventually(() => connectedCount() > before && agent.state()[0].answeringLogins, 'the reconnect', 20_000);

      const bob = await member('Bob Example', 'U0BOB');
      const client = vpn.startClient(bob.path);
      await client.waitFor(CONNECTED);
      expect(server.log()).toMatch(/MANAGEMENT: CMD 'client-auth-nt \d+ \d+'/);
    }, 60_000);
  },
);
