import { ACMClient, ACMServiceException, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import {
  DescribeClientVpnEndpointsCommand,
  EC2Client,
  EC2ServiceException,
  ExportClientVpnClientCertificateRevocationListCommand,
  type ClientVpnEndpoint,
} from '@aws-sdk/client-ec2';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClientVpnEndpoint } from '../../src/adapters/aws-client-vpn/endpoint';
import { connectDatabase } from '../../src/adapters/dynamodb/client';
import { freeTcpPort } from '../../src/adapters/dynamodb/local-server';
import { DynamoDbProbe } from '../../src/adapters/dynamodb/probe';
import { SlackWebProbe } from '../../src/adapters/slack-web/probe';
import { BOT_SCOPES } from '../../src/adapters/slack-web/scopes';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { VpnChatopsError } from '../../src/domain/errors';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { buildCrl, parseCrl } from '../../src/pki/crl';
import { Check, DoctorDeps, runDoctor, worst } from '../../src/services/doctor';
import { testCa } from '../helpers/ca';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';
import { serviceWorld } from '../helpers/world';

const DAY = 86_400_000;
const START = new Date('2027-01-04T10:00:00Z');
const byName = (checks: Check[], name: string) => {
  const found = checks.find((check) => check.name === name);
  if (!found) throw new Error(`no check named "${name}" in: ${checks.map((check) => check.name).join(', ')}`);
  return found;
};

type World = Awaited<ReturnType<typeof serviceWorld>>;

describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'doctor', () => {
  describe('the live CRL of an OpenVPN endpoint, read back from its file', () => {
    let world: World;
    const clock = { now: START };
    const doctor = () => world.admin.doctor({ database: new DynamoDbProbe(world.db), requiredScopes: BOT_SCOPES });
    beforeEach(async () => {
      clock.now = START;
      world = await serviceWorld({ clock: { now: () => clock.now } });
    });
    afterEach(() => world.close());

    it('seed 000: a CRL 10 days from nextUpdate that nobody renews is a failure with the exact fix, and the fix clears it', async () => {
      await world.admin.publishAll('U0ADMIN');
      const nextUpdate = parseCrl((await world.inner.exportCrl()).pem!, world.ca).nextUpdate!;
      // 170 days pass and the daily job never runs: the previous admin left, nobody knew it had to.
      clock.now = new Date(START.getTime() + 170 * DAY);
      const checks = await doctor();
      expect(byName(checks, 'openvpn:test: CRL expiry')).toEqual({
        name: 'openvpn:test: CRL expiry',
        status: 'fail',
        detail: `expires in ${((nextUpdate.getTime() - clock.now.getTime()) / DAY).toFixed(1)} days (nextUpdate ${nextUpdate.toISOString().replace('.000Z', 'Z')}) and nobody has renewed it; when it expires every VPN connection is refused.`,
        fix: 'Run `vpnctl crl publish` now (or press Publish now under `/vpn crl`), then find out why the daily job did not renew it: it renews at 30 days left.',
      });
      expect(byName(checks, 'openvpn:test: CRL expiry').detail).toMatch(/^expires in 10\.0 days/);
      // The rest of the CRL is fine: signed by us, the one we published, far from the quota.
      expect(
        ['CRL signature', 'CRL vs last publish', 'CRL size'].map(
          (what) => byName(checks, `openvpn:test: ${what}`).status,
        ),
      ).toEqual(['pass', 'pass', 'pass']);
      expect(worst(checks)).toBe('fail');
      // `/vpn crl`, the App Home and `vpnctl crl status` agree that this is a failure, not a mere warning.
      const [health] = await world.admin.crlStatuses();
      expect(health).toMatchObject({
        health: 'fail',
        problems: [expect.stringMatching(/^10\.0 days left and nobody has renewed it: run `vpnctl crl publish` now/)],
      });

      await world.admin.publishAll('U0ADMIN');
      const after = byName(await doctor(), 'openvpn:test: CRL expiry');
      expect(after.status).toBe('pass');
      expect(after.detail).toMatch(/^180\.0 days left/);
    });

    it('an expired CRL says every connection is refused', async () => {
      await world.admin.publishAll('U0ADMIN');
      clock.now = new Date(START.getTime() + 181 * DAY);
      const expiry = byName(await doctor(), 'openvpn:test: CRL expiry');
      expect(expiry.status).toBe('fail');
      expect(expiry.detail).toMatch(
        /^EXPIRED \(nextUpdate .*\): every VPN connection is refused until a new CRL is imported\./,
      );
    });

    it('renewal that is due but not overdue is a warning that the daily job handles', async () => {
      await world.admin.publishAll('U0ADMIN');
      clock.now = new Date(START.getTime() + 155 * DAY);
      const expiry = byName(await doctor(), 'openvpn:test: CRL expiry');
      expect(expiry).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(/^expires in 25\.0 days .*renewal is due$/),
      });
      expect(expiry.fix).toBe(
        'Nothing to do if the daily job runs: it renews the CRL on its next run (`vpnctl crl publish` renews it now).',
      );
      expect((await world.admin.crlStatuses())[0].health).toBe('warn');
    });

    it('no CRL at all is a failure', async () => {
      expect(byName(await doctor(), 'openvpn:test: CRL')).toEqual({
        name: 'openvpn:test: CRL',
        status: 'fail',
        detail: 'the endpoint has no CRL',
        fix: 'Run `vpnctl crl publish` to put one there.',
      });
    });

    it('a CRL from another CA fails the signature check', async () => {
      await world.admin.publishAll('U0ADMIN');
      await world.inner.importCrl(buildCrl({ ca: await testCa('Some other CA'), number: 99n, revocations: [] }).pem);
      const signature = byName(await doctor(), 'openvpn:test: CRL signature');
      expect(signature).toMatchObject({
        status: 'fail',
        detail: 'the live CRL is issued by CN=Some other CA, not our CA: our revocations are not on it',
      });
    });

    it('an older CRL put back on the endpoint fails: revoked certificates may connect', async () => {
      await world.admin.publishAll('U0ADMIN');
      const first = (await world.inner.exportCrl()).pem!;
      await world.admin.publishAll('U0ADMIN');
      await world.inner.importCrl(first);
      const versus = byName(await doctor(), 'openvpn:test: CRL vs last publish');
      expect(versus).toMatchObject({
        status: 'fail',
        detail: 'the endpoint holds #1, older than our last publish #2: certificates revoked since may still connect',
      });
    });

    it('counts the entries against the 20,000 quota', async () => {
      const revocations = Array.from({ length: 16_500 }, (_, i) => ({
        serial: (i + 1).toString(16).toUpperCase().padStart(6, '0'),
        revokedAt: START,
        reason: 'unspecified' as const,
      }));
      await world.inner.importCrl(buildCrl({ ca: world.ca, number: 5n, revocations, now: START }).pem);
      expect(byName(await doctor(), 'openvpn:test: CRL size')).toMatchObject({
        status: 'warn',
        detail: '16,500 of 20,000 entries (the AWS quota)',
      });
    });

    it('reports the management interface that does not answer, and the checks that passed', async () => {
      await world.admin.publishAll('U0ADMIN');
      const checks = await doctor();
      expect(byName(checks, 'openvpn:test: endpoint')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('127.0.0.1:9'),
        fix: 'Start the OpenVPN server with the --management address and --crl-verify file that VPN_ENDPOINTS names.',
      });
      expect(byName(checks, 'CA certificate')).toMatchObject({
        status: 'pass',
        detail: expect.stringMatching(/^CN=Test VPN CA, valid until /),
      });
      expect(byName(checks, 'DynamoDB')).toMatchObject({
        status: 'pass',
        detail: `DynamoDB table ${world.db.tableName} at ${DYNAMODB_ENDPOINT} answers`,
      });
      // Without Slack there is nothing to compare the clock with, and nobody to remind: warnings, not failures.
      expect(byName(checks, 'Slack token').status).toBe('warn');
      expect(byName(checks, 'Clock').status).toBe('warn');
      // Every line that is not a pass carries its fix; passes carry none.
      expect(checks.filter((check) => (check.status === 'pass') === Boolean(check.fix))).toEqual([]);
    });
  });

  describe('an AWS Client VPN endpoint (EC2 and ACM through aws-sdk-client-mock)', () => {
    const ID = 'cvpn-endpoint-0123456789abcdef0';
    const KEY = `aws-client-vpn:${ID}`;
    const ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
    const ec2 = mockClient(EC2Client);
    const acm = mockClient(ACMClient);
    let db: Awaited<ReturnType<typeof testDatabase>>;
    const now = START;

    const describes = (extra: Partial<ClientVpnEndpoint> = {}) =>
      ec2.on(DescribeClientVpnEndpointsCommand).resolves({
        ClientVpnEndpoints: [
          {
            ClientVpnEndpointId: ID,
            Status: { Code: 'available' },
            ServerCertificateArn: ARN,
            ClientConnectOptions: {
              Enabled: true,
              LambdaFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:AWSClientVPN-vpn-chatops',
              Status: { Code: 'applied' },
            },
            ...extra,
          },
        ],
      });
    const denied = (Service: typeof EC2ServiceException | typeof ACMServiceException, name: string) =>
      new Service({ name, $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not authorized' });

    async function doctor(policy: Partial<DoctorDeps['policy']> = {}) {
      const endpoint = new AwsClientVpnEndpoint({
        id: ID,
        region: 'eu-west-1',
        client: new EC2Client({ region: 'eu-west-1' }),
        acm: new ACMClient({ region: 'eu-west-1' }),
        retry: { sleep: async () => undefined },
      });
      return runDoctor({
        ca: await testCa(),
        crlState: storesFor(db).crlState,
        endpoints: [endpoint],
        clock: { now: () => now },
        policy: { renewBeforeDays: 30, publishMode: 'immediate', certDays: 365, ...policy },
        database: new DynamoDbProbe(db),
        requiredScopes: BOT_SCOPES,
      });
    }

    beforeAll(async () => {
      db = await testDatabase();
    });
    afterAll(() => db.drop());
    beforeEach(async () => {
      ec2.reset();
      acm.reset();
      describes();
      acm.on(DescribeCertificateCommand, { CertificateArn: ARN }).resolves({
        Certificate: {
          CertificateArn: ARN,
          Subject: 'CN=vpn.example.com',
          NotAfter: new Date(now.getTime() + 400 * DAY),
          Status: 'ISSUED',
        },
      });
      // Seed 000 on AWS: the CRL imported 170 days ago by hand, never renewed.
      const stale = buildCrl({
        ca: await testCa(),
        number: 7n,
        revocations: [],
        now: new Date(now.getTime() - 170 * DAY),
      });
      ec2
        .on(ExportClientVpnClientCertificateRevocationListCommand, { ClientVpnEndpointId: ID })
        .resolves({ CertificateRevocationList: stale.pem, Status: { Code: 'active' } });
    });

    it('seed 000: the stale CRL fails with the fix; endpoint, connect handler and server certificate pass', async () => {
      const checks = await doctor();
      expect(byName(checks, `${KEY}: CRL expiry`)).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(
          /^expires in 10\.0 days \(nextUpdate .*\) and nobody has renewed it; when it expires every VPN connection is refused\.$/,
        ),
        fix: 'Run `vpnctl crl publish` now (or press Publish now under `/vpn crl`), then find out why the daily job did not renew it: it renews at 30 days left.',
      });
      expect(byName(checks, `${KEY}: CRL vs last publish`)).toMatchObject({
        status: 'warn',
        detail: 'the endpoint holds #7, but we never published to it',
      });
      expect(byName(checks, `${KEY}: endpoint`)).toMatchObject({
        status: 'pass',
        detail: expect.stringContaining('is available'),
      });
      expect(byName(checks, `${KEY}: connect handler`)).toEqual({
        name: `${KEY}: connect handler`,
        status: 'pass',
        detail: 'AWSClientVPN-vpn-chatops is attached',
      });
      expect(byName(checks, `${KEY}: server certificate`)).toMatchObject({
        status: 'pass',
        detail: 'CN=vpn.example.com, valid until 2028-02-08T10:00:00Z (400.0 days)',
      });
      expect(ec2.commandCalls(ExportClientVpnClientCertificateRevocationListCommand)).toHaveLength(1);
    });

    it('names the missing permission when the CRL cannot be read back', async () => {
      ec2
        .on(ExportClientVpnClientCertificateRevocationListCommand)
        .rejects(denied(EC2ServiceException, 'UnauthorizedOperation'));
      expect(byName(await doctor(), `${KEY}: CRL`)).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^missing permission ec2:ExportClientVpnClientCertificateRevocationList \(/),
        fix: 'Grant ec2:ExportClientVpnClientCertificateRevocationList to the IAM role the bot and vpnctl run as.',
      });
    });

    it('names acm:DescribeCertificate when the server certificate cannot be read', async () => {
      acm.on(DescribeCertificateCommand).rejects(denied(ACMServiceException, 'AccessDeniedException'));
      const checks = await doctor();
      expect(byName(checks, `${KEY}: server certificate`)).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^missing permission acm:DescribeCertificate /),
        fix: 'Grant acm:DescribeCertificate to the IAM role the bot and vpnctl run as.',
      });
      // One missing grant does not hide the other checks.
      expect(byName(checks, `${KEY}: connect handler`).status).toBe('pass');
    });

    it('a server certificate a week from expiry fails', async () => {
      acm.on(DescribeCertificateCommand).resolves({
        Certificate: { NotAfter: new Date(now.getTime() + 7 * DAY), Status: 'ISSUED', Subject: 'CN=vpn.example.com' },
      });
      expect(byName(await doctor(), `${KEY}: server certificate`)).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('7.0 days left, then no client can connect'),
        fix: expect.stringContaining(`re-import it into ACM (${ARN})`),
      });
    });

    it('a missing connect handler warns, and fails in window mode; a wrongly named one fails', async () => {
      describes({ ClientConnectOptions: { Enabled: false } });
      expect(byName(await doctor(), `${KEY}: connect handler`).status).toBe('warn');
      expect(byName(await doctor({ publishMode: 'window' }), `${KEY}: connect handler`).status).toBe('fail');
      describes({
        ClientConnectOptions: {
          Enabled: true,
          LambdaFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:vpn-connect',
          Status: { Code: 'applied' },
        },
      });
      expect(byName(await doctor(), `${KEY}: connect handler`)).toMatchObject({
        status: 'fail',
        fix: "Attach a Lambda function whose name starts with AWSClientVPN- (the deployment's connect handler).",
      });
    });

    it('an endpoint waiting for a subnet is not available', async () => {
      describes({ Status: { Code: 'pending-associate' } });
      expect(byName(await doctor(), `${KEY}: endpoint`)).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('is pending-associate'),
        fix: expect.stringContaining('target network (subnet) associated'),
      });
    });
  });

  describe('DynamoDB', () => {
    it('passes on a reachable table and says what is wrong otherwise', async () => {
      const db = await testDatabase();
      try {
        await expect(new DynamoDbProbe(db).probe()).resolves.toBe(
          `DynamoDB table ${db.tableName} at ${DYNAMODB_ENDPOINT} answers`,
        );
      } finally {
        await db.drop();
      }
      const missing = connectDatabase({ tableName: 'no-such-table', endpoint: DYNAMODB_ENDPOINT });
      await expect(new DynamoDbProbe(missing).probe()).rejects.toThrow(
        `DynamoDB table no-such-table at ${DYNAMODB_ENDPOINT} does not exist: create it`,
      );
      missing.doc.destroy();
      const nowhere = connectDatabase({
        tableName: 'vpn-chatops',
        endpoint: `http://127.0.0.1:${await freeTcpPort()}`,
      });
      await expect(new DynamoDbProbe(nowhere).probe()).rejects.toThrow(
        /is not reachable .*Check DYNAMODB_ENDPOINT \/ AWS_REGION and credentials/,
      );
      nowhere.doc.destroy();
    });

    it('names dynamodb:GetItem when the role may not read the table', async () => {
      const db = connectDatabase({ tableName: 'vpn-chatops', region: 'eu-west-1' });
      mockClient(db.doc)
        .on(GetCommand)
        .rejects(
          Object.assign(new Error('User is not authorized to perform: dynamodb:GetItem'), {
            name: 'AccessDeniedException',
            $metadata: { httpStatusCode: 400 },
          }),
        );
      const checks = await runDoctor({
        crlState: storesFor(db).crlState,
        endpoints: [],
        clock: { now: () => new Date() },
        policy: { renewBeforeDays: 30, publishMode: 'immediate', certDays: 365 },
        database: new DynamoDbProbe(db),
        requiredScopes: BOT_SCOPES,
      });
      expect(byName(checks, 'DynamoDB')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^missing permission dynamodb:GetItem /),
        fix: 'Grant dynamodb:GetItem to the IAM role the bot and vpnctl run as.',
      });
      db.doc.destroy();
    });
  });

  describe('Slack and the clock (the Slack stand-in)', () => {
    let slack: SlackStandIn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    beforeAll(async () => {
      [slack, db] = await Promise.all([
        startSlackStandIn({
          scopes: BOT_SCOPES.filter((scope) => scope !== 'usergroups:read' && scope !== 'files:write'),
        }),
        testDatabase(),
      ]);
    });
    afterAll(async () => {
      await slack.stop();
      await db.drop();
    });
    const run = (probe: SlackWebProbe, offsetMs = 0) =>
      runDoctor({
        crlState: storesFor(db).crlState,
        endpoints: [],
        clock: { now: () => new Date(Date.now() + offsetMs) },
        policy: { renewBeforeDays: 30, publishMode: 'immediate', certDays: 365 },
        database: new DynamoDbProbe(db),
        slack: probe,
        time: probe,
        requiredScopes: BOT_SCOPES,
      });

    it('a valid token missing scopes: the token passes, the scopes fail naming each one', async () => {
      const checks = await run(new SlackWebProbe({ token: slack.token, apiUrl: slack.apiUrl }));
      expect(byName(checks, 'Slack token')).toEqual({
        name: 'Slack token',
        status: 'pass',
        detail: 'valid: bot user UBOT in vpn-chatops local',
      });
      expect(byName(checks, 'Slack scopes')).toMatchObject({
        status: 'fail',
        detail:
          'missing files:write, usergroups:read (the token has commands, chat:write, im:write, reactions:read, users:read)',
        fix: "Add files:write, usergroups:read to the app's bot token scopes (manifest.yml lists them all), reinstall the app, and update SLACK_BOT_TOKEN if it changed.",
      });
      expect(byName(checks, 'Clock')).toMatchObject({
        status: 'pass',
        detail: `within 1 s of Slack (127.0.0.1:${slack.port})`,
      });
    });

    it('a refused token fails with the fix', async () => {
      const checks = await run(new SlackWebProbe({ token: 'xoxb-revoked', apiUrl: slack.apiUrl }));
      expect(byName(checks, 'Slack token')).toMatchObject({
        status: 'fail',
        detail:
          'Slack refused SLACK_BOT_TOKEN (invalid_auth): reinstall the app to the workspace and set the new xoxb- token.',
      });
      expect(checks.some((check) => check.name === 'Slack scopes')).toBe(false);
    });

    it('a clock 45 s off warns and one 10 minutes off fails', async () => {
      const probe = new SlackWebProbe({ token: slack.token, apiUrl: slack.apiUrl });
      expect(byName(await run(probe, 45_000), 'Clock')).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(/^4[4-6] s ahead of Slack/),
      });
      const tenMinutes = byName(await run(probe, -600_000), 'Clock');
      expect(tenMinutes).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^(599|600|601) s behind Slack .*refuse requests signed 5 minutes off/),
        fix: 'Turn on time synchronisation (NTP), e.g. `timedatectl set-ntp true`.',
      });
    });
  });

  describe('a CA that cannot be loaded', () => {
    it('fails the CA check and still checks the rest', async () => {
      const db = await testDatabase();
      try {
        const checks = await runDoctor({
          caError: new VpnChatopsError('STATE', 'No CA in /tmp/x yet'),
          crlState: storesFor(db).crlState,
          endpoints: [],
          clock: { now: () => new Date() },
          policy: { renewBeforeDays: 30, publishMode: 'immediate', certDays: 365 },
          database: new DynamoDbProbe(db),
          requiredScopes: BOT_SCOPES,
        });
        expect(checks.map((check) => [check.name, check.status])).toEqual([
          ['CA certificate', 'fail'],
          ['DynamoDB', 'pass'],
          ['Slack token', 'warn'],
          ['Clock', 'warn'],
        ]);
        expect(byName(checks, 'CA certificate')).toMatchObject({
          detail: 'No CA in /tmp/x yet',
          fix: 'Create one with `vpnctl ca init`, or import the existing PKI with `vpnctl ca import-easyrsa <dir>`.',
        });
        const denied = new VpnChatopsError(
          'STATE',
          'Not allowed to call secretsmanager:GetSecretValue on secret vpn-ca',
          { permission: 'secretsmanager:GetSecretValue' },
        );
        const secret = await runDoctor({
          caError: denied,
          crlState: storesFor(db).crlState,
          endpoints: [],
          clock: { now: () => new Date() },
          policy: { renewBeforeDays: 30, publishMode: 'immediate', certDays: 365 },
          database: new DynamoDbProbe(db),
          requiredScopes: BOT_SCOPES,
        });
        expect(byName(secret, 'CA certificate')).toMatchObject({
          status: 'fail',
          detail: expect.stringMatching(/^missing permission secretsmanager:GetSecretValue /),
          fix: 'Grant secretsmanager:GetSecretValue to the IAM role the bot and vpnctl run as.',
        });
      } finally {
        await db.drop();
      }
    });
  });
});
