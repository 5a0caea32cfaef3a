import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { join } from 'node:path';
import { awsFixtureLines } from '../helpers/connection-logs';
import { MOTO_CREDENTIALS, MOTO_SERVER, Moto, startMoto } from '../helpers/moto';
import { describeWith, run, tempDir } from '../helpers/tools';

const BIN = join(__dirname, '..', '..', 'bin', 'vpnctl.js');
const REGION = 'eu-west-1';
const ENDPOINT_ID = 'cvpn-endpoint-0123456789abcdef0';
const PERIOD_MS = 5 * 60_000;

describeWith(
  { 'moto_server (Python 3.11; .ci/run checks for it)': MOTO_SERVER },
  'vpnctl logs on AWS Client VPN, the real binary against moto: the metric first, as /vpn logs',
  () => {
    let moto: Moto;
    const dir = tempDir('vpnctl-logs-aws');
    /** The period that spikes: 90 failures against 2 in each of the others. */
    let spikeAt: Date;
    const vpnctl = (args: string[]) =>
      run(process.execPath, [BIN, ...args], {
        cwd: dir.path,
        timeoutMs: 60_000,
        env: {
          PATH: process.env.PATH,
          HOME: dir.path,
          STATE_DIR: join(dir.path, 'state'),
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
          AWS_REGION: REGION,
          VPN_ENDPOINTS: JSON.stringify([
            { type: 'aws-client-vpn', id: ENDPOINT_ID, region: REGION, logGroup: '/aws/clientvpn/cli' },
          ]),
        },
      });

    beforeAll(async () => {
      moto = await startMoto();
      const config = { region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS, maxAttempts: 1 };
      const now = Date.now();
      const start = Math.floor(now / PERIOD_MS) * PERIOD_MS - 12 * PERIOD_MS;
      spikeAt = new Date(start + 8 * PERIOD_MS);
      await new CloudWatchClient(config).send(
        new PutMetricDataCommand({
          Namespace: 'AWS/ClientVPN',
          MetricData: Array.from({ length: 12 }, (_, i) => ({
            MetricName: 'AuthenticationFailures',
            Dimensions: [{ Name: 'Endpoint', Value: ENDPOINT_ID }],
            Timestamp: new Date(start + i * PERIOD_MS + 60_000),
            Value: i === 8 ? 90 : 2,
            Unit: 'Count' as const,
          })),
        }),
      );
      // A connection log for the same window: one refused attempt of the documented format.
      const logs = new CloudWatchLogsClient(config);
      await logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/clientvpn/cli' }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: '/aws/clientvpn/cli', logStreamName: ENDPOINT_ID }));
      const refused = JSON.parse(awsFixtureLines().find((line) => line.includes('"client-connect-failed"'))!) as Record<
        string,
        string
      >;
      const at = spikeAt.getTime() + 60_000;
      const stamp = new Date(at).toISOString().slice(0, 19).replace('T', ' ');
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: '/aws/clientvpn/cli',
          logStreamName: ENDPOINT_ID,
          logEvents: [
            {
              timestamp: at,
              message: JSON.stringify({
                ...refused,
                'connection-start-time': stamp,
                'connection-last-update-time': stamp,
              }),
            },
          ],
        }),
      );
    });
    afterAll(async () => {
      await moto?.stop();
      dir.remove();
    });

    const spikeLine = () => {
      const minute = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');
      const end = new Date(spikeAt.getTime() + PERIOD_MS).toISOString().slice(11, 16);
      return `  ↑ aws-client-vpn:${ENDPOINT_ID}: 112 authentication failures, spiking ${minute(spikeAt)}–${end} UTC (90)`;
    };

    it('--tls prints where AuthenticationFailures spiked above the failures the log has', async () => {
      const result = await vpnctl(['logs', '--tls', '--hours', '2']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n');
      expect(lines[0]).toMatch(/^TLS negotiation failures, last 2 hours \(/);
      expect(lines.slice(1, 3)).toEqual([
        'The metric first (AWS logs no failed certificate handshake; `vpnctl doctor` checks the CRL):',
        spikeLine(),
      ]);
      expect(result.stdout).toContain(`✔ aws-client-vpn:${ENDPOINT_ID}: 1 attempts, 0 successful, 1 failed`);
    });

    it('plain `vpnctl logs` too, and --json carries the windows beside the report', async () => {
      const plain = await vpnctl(['logs', '--hours', '2']);
      expect(plain.code).toBe(0);
      expect(plain.stdout.split('\n').slice(1, 3)).toEqual([
        'The metric first (AWS logs no failed certificate handshake; `vpnctl doctor` checks the CRL):',
        spikeLine(),
      ]);
      const json = await vpnctl(['logs', '--tls', '--json', '--hours', '2']);
      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout) as {
        failureWindows: { endpoint: string; search: { total: number; spikes: { from: string; failures: number }[] } }[];
      };
      expect(report.failureWindows).toEqual([
        expect.objectContaining({
          endpoint: `aws-client-vpn:${ENDPOINT_ID}`,
          search: expect.objectContaining({
            total: 112,
            spikes: [expect.objectContaining({ from: spikeAt.toISOString(), failures: 90 })],
          }),
        }),
      ]);
    });
  },
);
