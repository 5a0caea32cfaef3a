import { randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAgentRegistry } from '../../src/adapters/dynamodb/agent-registry';
import { connectDatabase } from '../../src/adapters/dynamodb/client';
import { DynamoDbCrlDistribution } from '../../src/adapters/dynamodb/crl-distribution';
import { DynamoDbEndpointLease } from '../../src/adapters/dynamodb/endpoint-lease';
import { DynamoDbSessionKillQueue } from '../../src/adapters/dynamodb/session-kill-queue';
import { DynamoDbShippedLog } from '../../src/adapters/dynamodb/shipped-log';
import { TTL_ATTRIBUTE } from '../../src/adapters/dynamodb/table';
import type { ConnectionAttempt } from '../../src/domain/connection-log';
import { sleep } from '../../src/domain/time';
import { buildCrl } from '../../src/pki/crl';
import { carryOutKills } from '../../src/services/agent/session-kills';
import { randomSerial } from '../../src/pki/serial';
import type { AgentHeartbeat } from '../../src/ports';
import { FakeOpenVpnEndpoint, RecordingLog } from '../helpers/agent-runtime-fakes';
import { testCa } from '../helpers/ca';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { rejectionOf } from '../helpers/errors';
import { describeWith } from '../helpers/tools';

const HOUR = 3_600_000;
const endpointKey = () => `openvpn:agent-${randomBytes(4).toString('hex')}`;

describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'agent stores on DynamoDB Local', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(() => db.drop());

  const raw = async (pk: string, sk: string) =>
    (await db.doc.send(new GetCommand({ TableName: db.tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;

  describe('CRL distribution', () => {
    const crlOf = async (number: bigint, entries = 3, ca = 'Test VPN CA') => {
      const revocations = Array.from({ length: entries }, (_, i) => ({
        serial: randomSerial(),
        revokedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000),
        reason: 'keyCompromise' as const,
      }));
      return buildCrl({ ca: await testCa(ca), number, revocations }).pem;
    };

    it('round-trips a 20,000-entry CRL byte for byte, over several items written together', async () => {
      const crls = new DynamoDbCrlDistribution(db);
      const endpoint = endpointKey();
      const pem = await crlOf(7n, 20_000);
      expect(pem.length).toBeGreaterThan(1_000_000);
      const at = new Date('2026-12-04T10:00:00Z');

      expect(await crls.publish(endpoint, { number: 7n, pem }, at)).toBe(true);

      const newest = await crls.get(endpoint);
      expect(newest?.pem === pem).toBe(true);
      expect(newest).toMatchObject({ endpoint, number: '7', publishedAt: at });
      expect((await crls.get(endpoint, 7n))?.pem === pem).toBe(true);
      expect(await crls.get(endpoint, 6n)).toBeUndefined();
      expect(await crls.newest(endpoint)).toEqual({ number: '7', sha256: newest?.sha256 });
      expect(await crls.newest(endpointKey())).toBeUndefined();
      const manifest = await raw(`AGENT-CRL#${endpoint}`, `MANIFEST#${'7'.padStart(49, '0')}`);
      expect(manifest?.chunks).toBe(Math.ceil(pem.length / 300_000));
    });

    it('refuses a lower or equal number, takes the same CRL again as done, and moves on within a new CA', async () => {
      const crls = new DynamoDbCrlDistribution(db);
      const endpoint = endpointKey();
      const five = await crlOf(5n);
      const at = new Date();
      expect(await crls.publish(endpoint, { number: 5n, pem: five }, at)).toBe(true);

      expect(await crls.publish(endpoint, { number: 4n, pem: await crlOf(4n) }, at)).toBe(false);
      expect(await crls.publish(endpoint, { number: 5n, pem: await crlOf(5n) }, at)).toBe(false);
      expect(await crls.publish(endpoint, { number: 5n, pem: five }, at)).toBe(true);
      expect((await crls.get(endpoint))?.pem).toBe(five);

      // A new CA counts from 1 again: its first CRL must not be refused forever.
      const otherCa = await crlOf(1n, 1, 'Next VPN CA');
      expect(await crls.publish(endpoint, { number: 1n, pem: otherCa }, at)).toBe(true);
      expect((await crls.get(endpoint))?.pem).toBe(otherCa);
    });

    it('lets the highest of concurrent publishes win, whatever order they land in', async () => {
      const crls = new DynamoDbCrlDistribution(db);
      const endpoint = endpointKey();
      const numbers = [10n, 11n, 12n, 13n, 14n];
      const pems = await Promise.all(numbers.map((number) => crlOf(number)));
      const outcomes = await Promise.all(
        numbers.map((number, i) => crls.publish(endpoint, { number, pem: pems[i] }, new Date())),
      );
      expect(outcomes[outcomes.length - 1]).toBe(true);
      expect(await crls.get(endpoint)).toMatchObject({ number: '14', pem: pems[4] });
    });

    it('refuses a PEM whose number is not the one given, and writes nothing', async () => {
      const crls = new DynamoDbCrlDistribution(db);
      const endpoint = endpointKey();
      expect(await rejectionOf(crls.publish(endpoint, { number: 9n, pem: await crlOf(8n) }, new Date()))).toMatchObject(
        { code: 'INVALID_CRL', message: expect.stringContaining('carries number 8, not 9') },
      );
      expect(await crls.get(endpoint)).toBeUndefined();
    });

    it('returns nothing rather than part of a CRL when a chunk is missing or altered', async () => {
      const crls = new DynamoDbCrlDistribution(db);
      const endpoint = endpointKey();
      const pem = await crlOf(3n, 8_000);
      await crls.publish(endpoint, { number: 3n, pem }, new Date());
      const chunk = (i: number) => ({ pk: `AGENT-CRL#${endpoint}`, sk: `CHUNK#${'3'.padStart(49, '0')}#00${i}` });

      await db.doc.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: chunk(0),
          UpdateExpression: 'SET #text = :text',
          ExpressionAttributeNames: { '#text': 'text' },
          ExpressionAttributeValues: { ':text': pem.slice(0, 300_000).replace('A', 'B') },
        }),
      );
      expect(await crls.get(endpoint)).toBeUndefined();

      await db.doc.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: chunk(0),
          UpdateExpression: 'SET #text = :text',
          ExpressionAttributeNames: { '#text': 'text' },
          ExpressionAttributeValues: { ':text': pem.slice(0, 300_000) },
        }),
      );
      expect((await crls.get(endpoint))?.pem === pem).toBe(true);

      await db.doc.send(new DeleteCommand({ TableName: db.tableName, Key: chunk(1) }));
      expect(await crls.get(endpoint)).toBeUndefined();
      expect(await crls.get(endpoint, 3n)).toBeUndefined();
    });

    it('gives a superseded chunk set its expiry and keeps it readable; the newest never expires', async () => {
      const crls = new DynamoDbCrlDistribution(db);
      const endpoint = endpointKey();
      const first = await crlOf(1n);
      await crls.publish(endpoint, { number: 1n, pem: first }, new Date());
      const manifest = (n: string) => raw(`AGENT-CRL#${endpoint}`, `MANIFEST#${n.padStart(49, '0')}`);
      expect((await manifest('1'))?.[TTL_ATTRIBUTE]).toBeUndefined();

      const at = new Date();
      await crls.publish(endpoint, { number: 2n, pem: await crlOf(2n) }, at);
      expect((await manifest('1'))?.[TTL_ATTRIBUTE]).toBe(Math.ceil((at.getTime() + 14 * 86_400_000) / 1000));
      expect((await raw(`AGENT-CRL#${endpoint}`, `CHUNK#${'1'.padStart(49, '0')}#000`))?.[TTL_ATTRIBUTE]).toBeDefined();
      expect((await manifest('2'))?.[TTL_ATTRIBUTE]).toBeUndefined();
      expect((await crls.get(endpoint, 1n))?.pem).toBe(first);
    });

    it('records what the agent applied, one item per endpoint', async () => {
      const crls = new DynamoDbCrlDistribution(db);
      const endpoint = endpointKey();
      expect(await crls.applied(endpoint)).toBeUndefined();
      const applied = { number: '4', sha256: 'ab'.repeat(32), at: new Date(), agentId: 'vpn-host-1' };
      await crls.reportApplied(endpoint, applied);
      await crls.reportApplied(endpoint, { ...applied, number: '5' });
      expect(await crls.applied(endpoint)).toEqual({ ...applied, number: '5' });
    });
  });

  describe('session kills', () => {
    it('queues kills oldest first, once per pending session; a failure keeps it queued; settling ends it', async () => {
      const kills = new DynamoDbSessionKillQueue(db);
      const endpoint = endpointKey();
      const t0 = new Date('2026-12-04T10:00:00Z');
      const [first] = await kills.request(endpoint, [{ connectionId: '7', commonName: 'jane' }], 'U0ADMIN', t0);
      const [second] = await kills.request(endpoint, [{ connectionId: '9' }], 'U0ADMIN', new Date(t0.getTime() + 1000));
      expect(first).toMatchObject({ endpoint, connectionId: '7', commonName: 'jane', state: 'pending', attempts: 0 });

      const again = await kills.request(endpoint, [{ connectionId: '7' }], 'U0OTHER', new Date(t0.getTime() + 2000));
      expect(again.map((kill) => kill.id)).toEqual([first.id]);
      expect((await kills.pending(endpoint)).map((kill) => kill.id)).toEqual([first.id, second.id]);

      await kills.failed(first, 'management interface refused the connection', new Date());
      await kills.failed(first, 'still refused', new Date());
      const [failed] = await kills.pending(endpoint);
      expect(failed).toMatchObject({ id: first.id, state: 'pending', attempts: 2, lastError: 'still refused' });

      const settledAt = new Date('2026-12-04T10:00:05Z');
      await kills.settle(failed, { state: 'done' }, settledAt);
      await kills.settle(failed, { state: 'gone' }, new Date());
      expect((await kills.pending(endpoint)).map((kill) => kill.id)).toEqual([second.id]);
      expect(await kills.get(endpoint, [first.id, second.id, 'unknown'])).toEqual([
        expect.objectContaining({ id: first.id, state: 'done', settledAt, attempts: 2 }),
        expect.objectContaining({ id: second.id, state: 'pending' }),
      ]);
      expect(await raw(`KILLS#${endpoint}`, `KILL#${first.id}`)).toBeUndefined();
      const stored = await raw(`KILLS#${endpoint}`, `SETTLED#${first.id}`);
      expect(stored?.[TTL_ATTRIBUTE]).toBe(Math.ceil((settledAt.getTime() + 7 * 86_400_000) / 1000));

      await kills.failed(failed, 'too late', new Date());
      expect((await kills.get(endpoint, [first.id]))[0]).toMatchObject({ state: 'done', attempts: 2 });

      // OpenVPN reuses connection ids after a restart: a settled kill does not swallow the next request.
      const [later] = await kills.request(endpoint, [{ connectionId: '7' }], 'U0ADMIN', new Date());
      expect(later.id).not.toBe(first.id);
      expect((await kills.pending(endpoint)).map((kill) => kill.id)).toEqual([second.id, later.id]);
    });

    it('gives concurrent requests for one session the same kill', async () => {
      const kills = new DynamoDbSessionKillQueue(db);
      const endpoint = endpointKey();
      const requests = await Promise.all(
        Array.from({ length: 5 }, () => kills.request(endpoint, [{ connectionId: '42' }], 'U0ADMIN', new Date())),
      );
      expect(new Set(requests.map(([kill]) => kill.id)).size).toBe(1);
      expect(await kills.pending(endpoint)).toHaveLength(1);
    });

    it('reads only the pending kills: 1,000 settled ones beside a pending one cost the agent one item', async () => {
      const kills = new DynamoDbSessionKillQueue(db);
      const endpoint = endpointKey();
      const t0 = Date.UTC(2026, 11, 4, 10);
      for (let start = 0; start < 1_000; start += 50)
        await Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            const at = new Date(t0 + (start + i) * 1000);
            const [kill] = await kills.request(endpoint, [{ connectionId: String(start + i) }], 'U0ADMIN', at);
            await kills.settle(kill, { state: 'done' }, at);
          }),
        );
      const [waiting] = await kills.request(endpoint, [{ connectionId: 'last' }], 'U0ADMIN', new Date(t0 + 2_000_000));

      const scanned: number[] = [];
      const watched = connectDatabase({ tableName: db.tableName, endpoint: DYNAMODB_ENDPOINT });
      watched.doc.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          scanned.push((result.output as { ScannedCount?: number }).ScannedCount ?? 0);
          return result;
        },
        { step: 'initialize' },
      );
      try {
        expect((await new DynamoDbSessionKillQueue(watched).pending(endpoint)).map((kill) => kill.id)).toEqual([
          waiting.id,
        ]);
      } finally {
        watched.doc.destroy();
      }
      expect(scanned).toEqual([1]);
    }, 120_000);

    it('carries out a kill queued before settled kills moved out, and skips those an older agent settled in place', async () => {
      const kills = new DynamoDbSessionKillQueue(db);
      const endpoint = endpointKey();
      // Items exactly as the layout before wrote them: pending and settled kills both under KILL#.
      const legacy = (id: string, connectionId: string, state: string) =>
        db.doc.send(
          new PutCommand({
            TableName: db.tableName,
            Item: {
              pk: `KILLS#${endpoint}`,
              sk: `KILL#${id}`,
              id,
              endpoint,
              connectionId,
              commonName: 'gus-U0GUS.vpn.test',
              requestedBy: 'U0ADMIN',
              requestedAt: '2026-12-04T09:00:00.000Z',
              state,
              attempts: 0,
              ...(state !== 'pending' && { settledAt: '2026-12-04T09:00:02.000Z', [TTL_ATTRIBUTE]: 1_800_000_000 }),
            },
          }),
        );
      await legacy('2026-12-04T09:00:00.000Z-0000aaaa', '3', 'done');
      await legacy('2026-12-04T09:00:01.000Z-0000bbbb', '4', 'pending');
      const server = new FakeOpenVpnEndpoint(endpoint);
      server.sessions = [{ connectionId: '4', commonName: 'gus-U0GUS.vpn.test' }];

      const round = await carryOutKills({ kills, clock: { now: () => new Date() }, log: new RecordingLog() }, server);

      expect(round).toEqual({ done: ['2026-12-04T09:00:01.000Z-0000bbbb'], gone: [], failed: [] });
      expect(server.sessions).toEqual([]);
      expect(await kills.pending(endpoint)).toEqual([]);
      expect(await raw(`KILLS#${endpoint}`, 'KILL#2026-12-04T09:00:01.000Z-0000bbbb')).toBeUndefined();
      expect(
        (await kills.get(endpoint, ['2026-12-04T09:00:00.000Z-0000aaaa', '2026-12-04T09:00:01.000Z-0000bbbb'])).map(
          (kill) => kill.state,
        ),
      ).toEqual(['done', 'done']);
    });
  });

  describe('agent registry', () => {
    const heartbeat = (agentId: string, endpoint: string, at: Date, sessions = 1): AgentHeartbeat => ({
      agentId,
      host: `${agentId}.example.net`,
      version: '1.2.3',
      at,
      endpoints: [
        {
          endpoint,
          health: {
            ok: true,
            detail: 'management answered',
            management: {
              address: '/run/openvpn/mgmt.sock',
              transport: 'unix',
              passwordProtected: false,
              openToAllUsers: undefined,
            },
          },
          sessions: Array.from({ length: sessions }, (_, i) => ({
            connectionId: String(i),
            commonName: `user${i}-U0X.vpn.test`,
            clientIp: '10.8.0.6',
            connectedAt: new Date('2026-12-04T09:00:00Z'),
          })),
          clientConfiguration: 'remote vpn.example.net 1194 udp',
          tlsCryptKey: '-----BEGIN OpenVPN Static key V1-----',
          serverCertificate: { location: '/etc/openvpn/server.crt', notAfter: new Date('2027-12-04T00:00:00Z') },
          handshakeProbe: {
            at: new Date('2026-12-04T09:30:00Z'),
            target: { host: '127.0.0.1', port: 1194, proto: 'udp' },
            result: { outcome: 'answered', opcode: 8 },
          },
        },
      ],
    });

    it('keeps heartbeats, finds the newest one serving an endpoint, and lists agents', async () => {
      const agents = new DynamoDbAgentRegistry(db);
      const endpoint = endpointKey();
      const a = `agent-${randomBytes(3).toString('hex')}`;
      const b = `agent-${randomBytes(3).toString('hex')}`;
      const beatA = heartbeat(a, endpoint, new Date('2026-12-04T10:00:15Z'));
      await agents.beat(beatA);
      await agents.beat(heartbeat(b, endpoint, new Date('2026-12-04T10:00:00Z')));
      expect(await agents.serving(endpoint)).toEqual(beatA);
      expect(await agents.serving('openvpn:nobody')).toBeUndefined();
      expect((await agents.list()).map((agent) => agent.agentId)).toEqual(expect.arrayContaining([a, b]));

      // The pointed-to agent no longer reports the endpoint: the other one that does is found.
      await agents.beat({ ...beatA, at: new Date('2026-12-04T10:00:30Z'), endpoints: [] });
      expect((await agents.serving(endpoint))?.agentId).toBe(b);
    });

    it("keeps an endpoint's unhealthy-since and the agent's clock skew, and drops a skew no longer measured", async () => {
      const agents = new DynamoDbAgentRegistry(db);
      const endpoint = endpointKey();
      const beat = heartbeat(`agent-${randomBytes(3).toString('hex')}`, endpoint, new Date('2026-12-04T10:00:00Z'));
      const unhealthySince = new Date('2026-12-04T09:50:00Z');
      const down = {
        ...beat,
        clockSkewS: -61.5,
        endpoints: [{ ...beat.endpoints[0], health: { ok: false, detail: 'refused' }, unhealthySince }],
      };
      await agents.beat(down);
      expect(await agents.serving(endpoint)).toEqual(down);
      await agents.beat(beat);
      const read = await agents.serving(endpoint);
      expect(read).toEqual(beat);
      expect(read).not.toHaveProperty('clockSkewS');
      expect(read?.endpoints[0]).not.toHaveProperty('unhealthySince');
    });

    it('trims the sessions of a heartbeat to fit one item, and says the list was truncated', async () => {
      const agents = new DynamoDbAgentRegistry(db);
      const endpoint = endpointKey();
      const small = endpointKey();
      const big = heartbeat(`agent-${randomBytes(3).toString('hex')}`, endpoint, new Date(), 0);
      const sessions = Array.from({ length: 2_500 }, (_, i) => ({
        connectionId: String(100_000 + i),
        // An Easy-RSA import keeps its CNs: 64 characters, most of them two bytes in UTF-8, as DynamoDB counts them.
        commonName: `Александра-Преображенская-Константиновна-${String(i).padStart(6, '0')}`.padEnd(64, 'я'),
        clientIp: `2001:0db8:ffff:ffff:ffff:ffff:ffff:${i.toString(16).padStart(4, '0')}`,
        connectedAt: new Date('2026-12-04T09:00:00Z'),
      }));
      expect(sessions[0].commonName).toHaveLength(64);
      const few = sessions
        .slice(0, 3)
        .map((session) => ({ ...session, connectionId: `small-${session.connectionId}` }));
      big.endpoints = [
        { ...big.endpoints[0], sessions },
        { ...big.endpoints[0], endpoint: small, sessions: few },
      ];

      await agents.beat(big);

      const [stored, other] = (await agents.serving(endpoint))!.endpoints;
      expect(stored.sessionsTruncated).toBe(true);
      expect(stored.sessions.length).toBeGreaterThan(1_000);
      expect(stored.sessions.length).toBeLessThan(sessions.length);
      expect(stored.sessions).toEqual(sessions.slice(0, stored.sessions.length));
      // The smaller endpoint's list is whole: trimming takes from the longest list.
      expect(other).toMatchObject({ endpoint: small, sessions: few });
      expect(other.sessionsTruncated).toBeUndefined();
    });

    it('flips silent once each way, and a heartbeat leaves it for the check to clear', async () => {
      const agents = new DynamoDbAgentRegistry(db);
      const agentId = `agent-${randomBytes(3).toString('hex')}`;
      expect(await agents.markSilent(agentId, true)).toBe(false);
      await agents.beat(heartbeat(agentId, endpointKey(), new Date()));
      expect(await agents.markSilent(agentId, false)).toBe(false);
      expect(await agents.markSilent(agentId, true)).toBe(true);
      expect(await agents.markSilent(agentId, true)).toBe(false);
      await agents.beat(heartbeat(agentId, endpointKey(), new Date()));
      expect(await agents.markSilent(agentId, false)).toBe(true);
      expect(await agents.markSilent(agentId, false)).toBe(false);
    });

    it('flips an alert flag once each way: of two runners raising it together, one wins', async () => {
      const agents = new DynamoDbAgentRegistry(db);
      const subject = `endpoint#${endpointKey()}`;
      expect(await agents.markAlerted(subject, false)).toBe(false);
      const raised = await Promise.all([agents.markAlerted(subject, true), agents.markAlerted(subject, true)]);
      expect(raised.filter(Boolean)).toHaveLength(1);
      expect(await agents.markAlerted(subject, true)).toBe(false);
      expect(await agents.markAlerted(subject, false)).toBe(true);
      expect(await agents.markAlerted(subject, false)).toBe(false);
      // A flag is no heartbeat: the agents' list, which refuses any item it cannot read as one, still reads.
      await expect(agents.list()).resolves.toEqual(expect.any(Array));
    });
  });

  describe('endpoint lease', () => {
    it('lets exactly one of two agents hold it, renews for the holder, and hands it over once it lapses', async () => {
      const lease = new DynamoDbEndpointLease(db);
      const endpoint = endpointKey();
      const won = await Promise.all([
        lease.acquire(endpoint, 'agent-a', 60_000),
        lease.acquire(endpoint, 'agent-b', 60_000),
      ]);
      expect(won.filter(Boolean)).toHaveLength(1);
      const [holder, other] = won[0] ? ['agent-a', 'agent-b'] : ['agent-b', 'agent-a'];
      expect(await lease.acquire(endpoint, holder, 60_000)).toBe(true);
      await lease.release(endpoint, other);
      expect(await lease.acquire(endpoint, other, 60_000)).toBe(false);

      // A holder that stops renewing: its lease lapses and the standby takes over.
      expect(await lease.acquire(endpoint, holder, 1)).toBe(true);
      await sleep(20);
      expect(await lease.acquire(endpoint, other, 60_000)).toBe(true);
      expect(await lease.acquire(endpoint, holder, 60_000)).toBe(false);

      await lease.release(endpoint, other);
      expect(await lease.acquire(endpoint, holder, 60_000)).toBe(true);
    });
  });

  describe('shipped log', () => {
    const hour = new Date('2026-12-04T10:00:00Z');
    const attempt = (at: number, overrides: Partial<ConnectionAttempt> = {}): ConnectionAttempt => ({
      at,
      status: 'failed',
      reason: 'certificate-revoked',
      commonName: 'jane-U0JANE.vpn.test',
      sourceIp: '203.0.113.7',
      ...overrides,
    });

    it('merges the hours of a window and says the log was shipped', async () => {
      const log = new DynamoDbShippedLog(db);
      const endpoint = endpointKey();
      const ten = hour.getTime();
      await log.ship(endpoint, hour, { attempts: [attempt(ten + 1000)], events: 3, malformed: 1, ignored: 1 });
      // Re-shipped as the hour grows: the later shipment replaces the earlier one.
      await log.ship(endpoint, new Date(ten + 5 * 60_000), {
        attempts: [attempt(ten + 1000), attempt(ten + 2000, { status: 'successful', reason: undefined })],
        events: 5,
        malformed: 1,
        ignored: 2,
      });
      await log.ship(endpoint, new Date(ten + HOUR), {
        attempts: [attempt(ten + HOUR + 10)],
        events: 1,
        malformed: 0,
        ignored: 0,
      });
      await log.ship(endpoint, new Date(ten + 2 * HOUR), {
        attempts: [attempt(ten + 2 * HOUR)],
        events: 1,
        malformed: 0,
        ignored: 0,
      });

      const read = await log.read(endpoint, hour, new Date(ten + 2 * HOUR));
      expect(read.attempts.map((a) => a.at)).toEqual([ten + 1000, ten + 2000, ten + HOUR + 10]);
      expect(read).toMatchObject({ events: 6, malformed: 1, ignored: 2, unrecognisedFields: new Set() });
      expect(read.truncated).toBeUndefined();
      expect(read.notes).toEqual([expect.stringContaining('vpnctl agent')]);

      const wider = await log.read(endpoint, new Date(ten - 2 * HOUR), new Date(ten + HOUR));
      expect(wider.notes).toEqual([expect.any(String), expect.stringContaining('nothing for 2 of the 3 hours')]);
    });

    it('keeps the newest attempts of an hour too large for one item, and says so', async () => {
      const log = new DynamoDbShippedLog(db);
      const endpoint = endpointKey();
      const start = hour.getTime();
      // Random names and addresses compress badly: far more than one item holds.
      const attempts = Array.from({ length: 40_000 }, (_, i) =>
        attempt(start + i * 50, {
          commonName: randomBytes(12).toString('hex'),
          sourceIp: `198.51.${i % 256}.${randomBytes(1)[0]}`,
        }),
      );
      await log.ship(endpoint, hour, { attempts, events: 40_000, malformed: 0, ignored: 0 });

      const read = await log.read(endpoint, hour, new Date(start + HOUR));
      expect(read.attempts.length).toBeGreaterThan(0);
      expect(read.attempts.length).toBeLessThan(40_000);
      expect(read.attempts[read.attempts.length - 1].at).toBe(start + 39_999 * 50);
      expect(read.truncated).toMatch(
        new RegExp(`kept the newest ${read.attempts.length.toLocaleString('en-US')} of 40,000 attempts`),
      );
    });
  });
});
