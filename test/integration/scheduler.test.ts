import { join } from 'node:path';
import { createAlarmHandler } from '../../src/composition/alarms-lambda';
import { schedulerHandler } from '../../src/adapters/aws-lambda/scheduler';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import { loadConfig } from '../../src/config';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { caMaterial } from '../../src/pki/ca';
import { createAdmin } from '../../src/composition/worker';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { ACTION } from '../../src/slack/ids';
import { testCa } from '../helpers/ca';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { botEnv } from '../helpers/slack';
import { describeWith, tempDir } from '../helpers/tools';

const DAY = 86_400_000;

interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [field: string]: unknown;
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the scheduler and alarm functions',
  () => {
    let slack: SlackStandIn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let dir: ReturnType<typeof tempDir>;

    /** The scheduler handler for one OpenVPN endpoint whose CRL file is `crlFile`, and the lines it logs. */
    function scheduler(crlFile: string) {
      const endpoints = JSON.stringify([
        { type: 'openvpn', name: 'office', management: '127.0.0.1:9', crlFile, remote: '127.0.0.1 1194 udp' },
      ]);
      const config = loadConfig(
        botEnv(slack, db.tableName, dir.path, { ADMIN_CHANNEL_ID: 'C0VPNADMINS', VPN_ENDPOINTS: endpoints }),
      );
      const lines: string[] = [];
      const handler = schedulerHandler(
        async () => (await createAdmin(config, db)).admin,
        (line) => lines.push(line),
      );
      return { handler, metrics: () => lines.map((line) => JSON.parse(line) as EmfLine) };
    }

    beforeAll(async () => {
      [slack, db] = await Promise.all([startSlackStandIn(), testDatabase()]);
      dir = tempDir('scheduler');
      await new LocalCaStore(dir.path).save(caMaterial(await testCa()));
    });
    afterAll(async () => {
      await slack?.stop();
      await db?.drop();
      dir?.remove();
    });

    it('runs the daily job and publishes the CRL days left, read back from the endpoint, as EMF', async () => {
      const { handler, metrics } = scheduler(join(dir.path, 'crl.pem'));
      const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      let result;
      try {
        result = await handler({ task: 'daily' });
      } finally {
        spy.mockRestore();
      }
      // No CRL yet: renewed at once. The management interface is closed, so the sweep reports instead of throwing.
      expect(result.renewals).toEqual([{ endpoint: 'openvpn:office', action: 'renewed', daysLeft: undefined }]);
      expect(result.sessions[0].error).toBeDefined();
      const [perEndpoint, overall] = metrics();
      for (const line of [perEndpoint, overall]) {
        expect(line._aws.CloudWatchMetrics).toEqual([
          {
            Namespace: 'VpnChatops',
            Dimensions: [expect.arrayContaining(['Function'])],
            Metrics: [{ Name: 'CrlDaysLeft', Unit: 'None' }],
          },
        ]);
        // Every dimension and metric named in the directive is a top-level member (the EMF rule).
        for (const name of [...line._aws.CloudWatchMetrics[0].Dimensions[0], 'CrlDaysLeft'])
          expect(line[name]).toBeDefined();
        expect(line.CrlDaysLeft).toBeGreaterThan(179.9);
        expect(line.CrlDaysLeft).toBeLessThanOrEqual(180);
      }
      expect(perEndpoint).toMatchObject({ Function: 'local', Endpoint: 'openvpn:office' });
      expect(overall._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Function']]);
      expect(slack.messages('C0VPNADMINS')).toEqual([]);
    });

    it('alerts the admin channel and reports 0 days when no CRL can be published', async () => {
      const { handler, metrics } = scheduler(join(dir.path, 'no-such-folder', 'crl.pem'));
      const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        await handler({ task: 'daily' });
      } finally {
        spy.mockRestore();
      }
      expect(metrics().map((line) => line.CrlDaysLeft)).toEqual([0, 0]);
      const [alert] = slack.messages('C0VPNADMINS');
      expect(alert.text).toMatch(/^🚨 The CRL on openvpn:office is missing or unreadable .*vpnctl crl publish/);
    });

    it('sends expiry reminders with a Renew button from the same daily run, once each', async () => {
      const { handler } = scheduler(join(dir.path, 'crl.pem'));
      const now = Date.now();
      await storesFor(db).certificates.create({
        serial: '5C4EDD1E0001',
        cn: 'alice-example.laptop-U0ALICE.vpn.test',
        slackId: 'U0ALICE',
        device: 'laptop',
        status: 'active',
        issuedAt: new Date(now - 360 * DAY),
        notBefore: new Date(now - 360 * DAY),
        notAfter: new Date(now + 5 * DAY),
        source: 'issued',
        issuedBy: 'test',
      });
      const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const first = await handler({ task: 'daily' });
        expect(first.reminders).toEqual({ sent: 1, failed: 0 });
        expect(first.problems).toEqual([]);
        expect((await handler({ task: 'daily' })).reminders).toEqual({ sent: 0, failed: 0 });
      } finally {
        spy.mockRestore();
      }
      const reminders = slack
        .messages('DU0ALICE')
        .filter((message) => JSON.stringify(message.blocks).includes(ACTION.renew));
      expect(reminders).toHaveLength(1);
      expect(JSON.stringify(reminders[0].blocks)).toContain('"value":"5C4EDD1E0001"');
    });

    it('refuses an event that names no known task, before touching anything', async () => {
      let started = 0;
      const handler = schedulerHandler(async () => {
        started++;
        throw new Error('not reached');
      });
      await expect(handler({ task: 'reboot' })).rejects.toThrow(
        'The scheduler was invoked with "reboot"; expected {"task": one of daily, agents, expiry, floods, offboarding}.',
      );
      await expect(handler('nonsense')).rejects.toThrow('invoked with null');
      expect(started).toBe(0);
    });

    it('posts CloudWatch alarm notifications from SNS to the admin channel', async () => {
      const config = loadConfig(botEnv(slack, db.tableName, dir.path, { ADMIN_CHANNEL_ID: 'C0ALARMS' }));
      const handler = createAlarmHandler(async () => config);
      const alarm = {
        AlarmName: 'vpn-chatops-crl-days-left',
        AlarmDescription: 'The live CRL expires in fewer than 14 days. <!channel>',
        NewStateValue: 'ALARM',
        NewStateReason: 'Threshold Crossed: 1 datapoint [6.5] was less than the threshold (14.0).',
      };
      await handler({
        Records: [
          { Sns: { Message: JSON.stringify(alarm) } },
          { Sns: { Message: JSON.stringify({ ...alarm, NewStateValue: 'OK' }) } },
          { Sns: { Message: 'hello from an SNS test' } },
        ],
      });
      const posted = slack.messages('C0ALARMS').map((m) => JSON.stringify(m.blocks));
      expect(posted).toHaveLength(3);
      expect(posted[0]).toMatch(
        /:rotating_light: \*vpn-chatops-crl-days-left\* is in ALARM.*fewer than 14 days\. &lt;!channel&gt;.*datapoint \[6\.5\]/,
      );
      expect(posted[0]).not.toContain('<!channel>');
      expect(posted[1]).toMatch(/:white_check_mark: \*vpn-chatops-crl-days-left\* is OK again/);
      expect(posted[2]).toMatch(/VPN bot notification.*hello from an SNS test/);
    });

    it('refuses to start without ADMIN_CHANNEL_ID, and starts once it can', async () => {
      let config = loadConfig(botEnv(slack, db.tableName, dir.path));
      const handler = createAlarmHandler(async () => config);
      const event = { Records: [{ Sns: { Message: 'ping' } }] };
      await expect(handler(event)).rejects.toThrow('ADMIN_CHANNEL_ID is not set: alarms have nowhere to go in Slack.');
      config = loadConfig(botEnv(slack, db.tableName, dir.path, { ADMIN_CHANNEL_ID: 'C0LATER' }));
      await handler(event);
      expect(slack.messages('C0LATER')).toHaveLength(1);
    });
  },
);
