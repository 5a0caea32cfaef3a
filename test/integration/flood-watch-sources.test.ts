import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchConnectionLog } from '../../src/adapters/cloudwatch-logs/connection-log';
import { DynamoDbFloodStateStore } from '../../src/adapters/dynamodb/flood-state-store';
import { OpenVpnConnectionLog } from '../../src/adapters/openvpn/connection-log';
import { MINUTE_MS } from '../../src/domain/time';
import type { FloodAlert } from '../../src/ports';
import { watchFloods } from '../../src/services/flood-watch';
import { floodAlertMessage } from '../../src/slack/views/flood-alert';
import { assertWithinSlackLimits } from '../../src/slack/views/limits';
import { awsFixtureLines } from '../helpers/connection-logs';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { MOTO_CREDENTIALS, MOTO_SERVER, Moto, startMoto } from '../helpers/moto';
import { describeWith, tempDir } from '../helpers/tools';

const FIXTURES = join(__dirname, '..', 'fixtures');
const STAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /;
const two = (n: number) => String(n).padStart(2, '0');
/** OpenVPN's `--log` timestamp: local time. */
const openvpnStamp = (at: number) => {
  const d = new Date(at);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} `;
};

/**
 * One refusal as the real server logged it (test/fixtures/tls/<name>.log: its lines after start-up, up to the
 * client's re-send), written again at `at` for `peer`.
 */
function capturedRefusal(name: string): (at: number, peer: string) => string[] {
  const lines = readFileSync(join(FIXTURES, 'tls', `${name}.log`), 'utf8').split('\n');
  const started = lines.findIndex((line) => line.includes('Initialization Sequence Completed'));
  const peer = /127\.0\.0\.1:\d+/.exec(lines.slice(started).join('\n'))![0];
  const first = STAMP.exec(lines[started + 1])![0];
  // The verify script's own line carries no timestamp: it belongs to the refusal around it.
  const resend = lines.findIndex((line, i) => i > started && STAMP.test(line) && !line.startsWith(first));
  const refusal = lines.slice(started + 1, resend);
  return (at, to) => refusal.map((line) => line.replace(STAMP, openvpnStamp(at)).replaceAll(peer, to));
}

/** `count` refusals from `ip`, a minute apart, each from a new port as a client restarting after a drop does. */
const flood = (refusal: (at: number, peer: string) => string[], ip: string, count: number, start: number) =>
  Array.from({ length: count }, (_, i) => ({
    at: start + i * MINUTE_MS,
    lines: refusal(start + i * MINUTE_MS, `${ip}:${30_000 + i}`),
  }));

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the flood watch on tls-crypt-v2 refusals, as a real OpenVPN 2.6 server logs them',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    const dir = tempDir('flood-tlscv2');
    beforeAll(async () => {
      db = await testDatabase();
    });
    afterAll(async () => {
      await db?.drop();
      dir.remove();
    });

    it('alerts on a flood of revoked keys, of keys from another server and of clients with no key, all dropped before TLS', async () => {
      const now = Date.now();
      const logFile = join(dir.path, 'openvpn.log');
      // Interleaved in time, as one server log holds them.
      const refusals = [
        ...flood(capturedRefusal('tls-crypt-v2-revoked'), '203.0.113.7', 50, now - 55 * MINUTE_MS + 1000),
        ...flood(capturedRefusal('tls-crypt-v2-foreign-key'), '198.51.100.20', 40, now - 45 * MINUTE_MS),
        ...flood(capturedRefusal('tls-crypt-v2-no-key'), '192.0.2.44', 31, now - 35 * MINUTE_MS),
      ].sort((a, b) => a.at - b.at);
      writeFileSync(logFile, `${refusals.flatMap((refusal) => refusal.lines).join('\n')}\n`);
      const told: FloodAlert[] = [];
      const report = await watchFloods({
        sources: [new OpenVpnConnectionLog({ name: 'office', logFile })],
        state: new DynamoDbFloodStateStore(db),
        alerts: { flood: async (alert) => void told.push(alert) },
        clock: { now: () => new Date(now) },
      });
      expect(report.alerted).toEqual([{ endpoint: 'openvpn:office', kind: 'started' }]);
      expect(told[0]).toMatchObject({ kind: 'started', selfHosted: true, ratePerHour: 121, failingNames: [] });
      expect(told[0].sources).toEqual(
        expect.arrayContaining([
          { ip: '203.0.113.7', failedPerHour: 50, droppedBeforeTls: true },
          { ip: '198.51.100.20', failedPerHour: 40, droppedBeforeTls: true },
          { ip: '192.0.2.44', failedPerHour: 31, droppedBeforeTls: true },
        ]),
      );
      const view = floodAlertMessage(told[0]);
      assertWithinSlackLimits('message', view);
      expect(view.text).toContain('3 addresses flooding with 121 failed handshakes an hour');
      expect(JSON.stringify(view.blocks)).toContain('The server already drops these at the first packet');
    });
  },
);

describeWith(
  {
    'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined,
    'moto_server (Python 3.11; .ci/run checks for it)': MOTO_SERVER,
  },
  'the flood watch on an AWS Client VPN connection log in CloudWatch (moto)',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let moto: Moto;
    beforeAll(async () => {
      [db, moto] = await Promise.all([testDatabase(), startMoto()]);
    });
    afterAll(async () => {
      await Promise.all([db?.drop(), moto?.stop()]);
    });

    it('alerts with the source, the rate and AWS’s advice, from failed attempts in AWS’s documented format', async () => {
      const logs = new CloudWatchLogsClient({
        region: 'eu-west-1',
        endpoint: moto.endpoint,
        credentials: MOTO_CREDENTIALS,
        maxAttempts: 1,
      });
      const group = '/aws/clientvpn/flood';
      const stream = 'cvpn-endpoint-0123456789abcdef0-eu-west-1-flood';
      await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
      // The fixture's refused attempt (a connect handler that said no), repeated by one device every 80 seconds.
      const refused = JSON.parse(awsFixtureLines().find((line) => line.includes('"client-connect-failed"'))!) as Record<
        string,
        string
      >;
      const now = Date.now();
      const awsTime = (at: number) => new Date(at).toISOString().slice(0, 19).replace('T', ' ');
      const logEvents = Array.from({ length: 40 }, (_, i) => {
        const at = now - 55 * MINUTE_MS + i * 80_000;
        const message = JSON.stringify({
          ...refused,
          'connection-id': `cvpn-connection-f100d${String(i).padStart(12, '0')}`,
          'connection-start-time': awsTime(at),
          'connection-last-update-time': awsTime(at),
          'device-ip': '203.0.113.66',
          port: String(40_000 + i),
        });
        return { timestamp: at + 5000, message };
      });
      await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents }));

      const told: FloodAlert[] = [];
      const report = await watchFloods({
        sources: [
          new CloudWatchConnectionLog({
            endpointId: 'cvpn-endpoint-0123456789abcdef0',
            region: 'eu-west-1',
            logGroup: group,
            client: logs,
          }),
        ],
        state: new DynamoDbFloodStateStore(db),
        alerts: { flood: async (alert) => void told.push(alert) },
        clock: { now: () => new Date(now) },
      });
      expect(report).toMatchObject({
        watched: ['aws-client-vpn:cvpn-endpoint-0123456789abcdef0'],
        alerted: [{ endpoint: 'aws-client-vpn:cvpn-endpoint-0123456789abcdef0', kind: 'started' }],
        problems: [],
      });
      expect(told[0]).toMatchObject({
        kind: 'started',
        selfHosted: false,
        ratePerHour: 40,
        sources: [{ ip: '203.0.113.66', failedPerHour: 40, droppedBeforeTls: false }],
        failingNames: [{ commonName: refused['common-name'], failed: 40, topReason: 'client-connect-failed' }],
      });
      const view = floodAlertMessage(told[0]);
      assertWithinSlackLimits('message', view);
      expect(JSON.stringify(view.blocks)).toContain('AWS Client VPN cannot use tls-crypt');
    });
  },
);
