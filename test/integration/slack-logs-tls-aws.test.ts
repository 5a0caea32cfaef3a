import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { MOTO_CREDENTIALS, MOTO_SERVER, Moto, startMoto } from '../helpers/moto';
import { describeWith } from '../helpers/tools';

type Reply = { text?: string; blocks?: unknown[] };

const REGION = 'eu-west-1';
const ENDPOINT_ID = 'cvpn-endpoint-0123456789abcdef0';
const PERIOD_MS = 5 * 60_000;
/** What the worker's CloudWatch clients read from the environment, pointed at moto for this file only. */
const AWS_ENV = [
  'AWS_ENDPOINT_URL_CLOUDWATCH',
  'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
] as const;

describeWith(
  {
    'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined,
    'moto_server (Python 3.11; .ci/run checks for it)': MOTO_SERVER,
  },
  '/vpn logs tls on AWS Client VPN through the real Bolt app: the metric first, from CloudWatch (moto)',
  () => {
    let bot: TestBot;
    let moto: Moto;
    const saved = new Map(AWS_ENV.map((name) => [name, process.env[name]]));
    let spikeAt: Date;

    beforeAll(async () => {
      moto = await startMoto();
      process.env.AWS_ENDPOINT_URL_CLOUDWATCH = moto.endpoint;
      process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = moto.endpoint;
      process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
      const config = { region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS, maxAttempts: 1 };
      const start = Math.floor(Date.now() / PERIOD_MS) * PERIOD_MS - 12 * PERIOD_MS;
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
      // An empty connection log: AWS logs none of these failed certificate handshakes.
      await new CloudWatchLogsClient(config).send(new CreateLogGroupCommand({ logGroupName: '/aws/clientvpn/bot' }));
      bot = await testBot({
        env: {
          VPN_ENDPOINTS: JSON.stringify([
            { type: 'aws-client-vpn', id: ENDPOINT_ID, region: REGION, logGroup: '/aws/clientvpn/bot' },
          ]),
        },
      });
    });
    afterAll(async () => {
      await bot?.close();
      await moto?.stop();
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it('shows where AuthenticationFailures spiked above a log that has none of them', async () => {
      await bot.command('U0ADMIN', 'logs tls 2');
      const reply = await eventually(
        () => bot.slack.responses('U0ADMIN').find((post) => (post.body as Reply).text?.startsWith('TLS negotiation')),
        'the TLS report',
      );
      const blocks = JSON.stringify((reply.body as Reply).blocks);
      const minute = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');
      const end = new Date(spikeAt.getTime() + PERIOD_MS).toISOString().slice(11, 16);
      expect(blocks).toContain('*The metric first*');
      expect(blocks).toContain(
        `📈 aws-client-vpn:${ENDPOINT_ID}: 112 authentication failures, spiking ${minute(spikeAt)}–${end} UTC (90)`,
      );
    });
  },
);
