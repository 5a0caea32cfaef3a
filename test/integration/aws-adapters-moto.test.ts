import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { DescribeClientVpnEndpointsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import forge from 'node-forge';
import { AwsClientVpnEndpoint } from '../../src/adapters/aws-client-vpn/endpoint';
import { LambdaJobQueue, workerLambdaClient } from '../../src/adapters/aws-lambda/job-queue';
import { CloudWatchConnectionLog } from '../../src/adapters/cloudwatch-logs/connection-log';
import { cloudWatchMetricReader } from '../../src/adapters/cloudwatch-metrics/client';
import { CloudWatchFailureMetrics } from '../../src/adapters/cloudwatch-metrics/failure-metrics';
import { SecretsManagerCaStore } from '../../src/adapters/secrets-manager/ca-store';
import { PLACEHOLDER_KEY } from '../../src/adapters/secrets-manager/placeholder';
import { readSlackSecret } from '../../src/adapters/secrets-manager/slack-secret';
import {
  CA_STORE_SENDS,
  CLIENT_VPN_ENDPOINT_SENDS,
  CONNECTION_LOG_SENDS,
  FAILURE_METRICS_SENDS,
  JOB_QUEUE_SENDS,
  SLACK_SECRET_SENDS,
} from '../../src/adapters/sends';
import { CaMaterial, createCa } from '../../src/pki/ca';
import { MOTO_CREDENTIALS, MOTO_SERVER, Moto, startMoto } from '../helpers/moto';
import { describeWith } from '../helpers/tools';

const REGION = 'eu-west-1';

/**
 * The AWS adapters against moto_server, AWS's behaviour as moto models it: real SDK requests over HTTP,
 * real error codes (ResourceNotFoundException, ResourceExistsException). What moto cannot give (throttling,
 * access denied, timeouts) stays in the aws-sdk-client-mock unit tests. EC2 Client VPN is not implemented by
 * moto (NotImplementedError), so the endpoint's EC2 side is mocked here too.
 */
describeWith(
  { 'moto_server (Python 3.11; .ci/run checks for it)': MOTO_SERVER },
  'the AWS adapters against moto',
  () => {
    let moto: Moto;
    const sent: string[] = [];
    beforeAll(async () => {
      moto = await startMoto();
    });
    afterAll(() => moto?.stop());

    /** A client pointed at moto that records each request as the IAM action it needs. */
    function client<T extends { middlewareStack: { add: (...args: never[]) => void } }>(
      Client: new (config: object) => T,
      service: string,
    ): T {
      const instance = new Client({
        region: REGION,
        endpoint: moto.endpoint,
        credentials: MOTO_CREDENTIALS,
        maxAttempts: 1,
      });
      (instance.middlewareStack as unknown as { add: (middleware: unknown, options: object) => void }).add(
        (next: (args: unknown) => unknown, context: { commandName?: string }) => (args: unknown) => {
          const operation = (context.commandName ?? '').replace(/Command$/, '');
          // IAM authorizes Lambda's Invoke API as lambda:InvokeFunction.
          sent.push(
            service === 'lambda' && operation === 'Invoke' ? 'lambda:InvokeFunction' : `${service}:${operation}`,
          );
          return next(args);
        },
        { step: 'initialize', name: 'recordSends' },
      );
      return instance;
    }

    describe('Secrets Manager', () => {
      let material: CaMaterial;
      beforeAll(async () => {
        material = await createCa({ commonName: 'Moto Test CA' });
      });
      beforeEach(() => sent.splice(0));

      it('stores a CA once, refuses to replace it unasked, and replaces it when asked', async () => {
        const store = new SecretsManagerCaStore({
          secretId: 'test/ca-new',
          client: client(SecretsManagerClient, 'secretsmanager'),
        });
        expect(await store.load()).toBeUndefined();
        await store.save(material);
        expect(await store.load()).toEqual({ certPem: material.certPem, keyPem: material.keyPem });
        await expect(store.save(material)).rejects.toThrow(
          'A CA already exists in secret test/ca-new; refusing to replace it.',
        );
        const other = { ...material, certPem: material.certPem.replace(/\n$/, '\n\n') };
        await store.save(other, { overwrite: true });
        expect((await store.load())?.certPem).toBe(other.certPem);
        for (const action of sent) expect(CA_STORE_SENDS.save as readonly string[]).toContain(action);
      });

      it("fills the deployment's placeholder secret instead of refusing it", async () => {
        const secrets = client(SecretsManagerClient, 'secretsmanager');
        await secrets.send(
          new CreateSecretCommand({
            Name: 'test/ca-placeholder',
            SecretString: JSON.stringify({ [PLACEHOLDER_KEY]: 'fill me', filler: 'x' }),
          }),
        );
        const store = new SecretsManagerCaStore({ secretId: 'test/ca-placeholder', client: secrets });
        expect(await store.load()).toBeUndefined();
        await store.save(material);
        expect((await store.load())?.keyPem).toBe(material.keyPem);
      });

      it('reads the Slack secret, and says what is wrong with a missing or unfilled one without quoting it', async () => {
        const secrets = client(SecretsManagerClient, 'secretsmanager');
        await expect(readSlackSecret('test/slack-missing', secrets)).rejects.toThrow(
          /The Slack secret test\/slack-missing \(SLACK_SECRET_ID\) does not exist or has no value/,
        );
        await secrets.send(
          new CreateSecretCommand({
            Name: 'test/slack-placeholder',
            SecretString: JSON.stringify({ [PLACEHOLDER_KEY]: 'fill me' }),
          }),
        );
        await expect(readSlackSecret('test/slack-placeholder', secrets)).rejects.toThrow(/has not been filled in yet/);
        const value = { SLACK_BOT_TOKEN: 'xoxb-1-moto', SLACK_SIGNING_SECRET: 'moto-signing-secret' };
        await secrets.send(new CreateSecretCommand({ Name: 'test/slack', SecretString: JSON.stringify(value) }));
        expect(await readSlackSecret('test/slack', secrets)).toMatchObject(value);
        const read = sent.filter((action) => action !== 'secretsmanager:CreateSecret');
        expect(read.length).toBeGreaterThan(0);
        for (const action of read) expect(SLACK_SECRET_SENDS.read as readonly string[]).toContain(action);
      });
    });

    it('CloudWatch Logs: reads an endpoint connection log written in AWS format', async () => {
      sent.splice(0);
      const logs = client(CloudWatchLogsClient, 'logs');
      const group = '/aws/clientvpn/moto';
      await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
      await logs.send(
        new CreateLogStreamCommand({
          logGroupName: group,
          logStreamName: 'cvpn-endpoint-0123456789abcdef0-eu-west-1-2026/03/01-abc',
        }),
      );
      const lines = readFileSync(
        join(__dirname, '../fixtures/connection-logs/aws-client-vpn-connection-log.jsonl'),
        'utf8',
      )
        .split('\n')
        .filter(Boolean);
      const now = Date.now();
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: 'cvpn-endpoint-0123456789abcdef0-eu-west-1-2026/03/01-abc',
          logEvents: lines.map((message, i) => ({ timestamp: now - (lines.length - i) * 1000, message })),
        }),
      );
      sent.splice(0);
      const log = new CloudWatchConnectionLog({
        endpointId: 'cvpn-endpoint-0123456789abcdef0',
        region: REGION,
        logGroup: group,
        client: logs,
      });
      const read = await log.read(new Date(now - 365 * 86_400_000), new Date(now + 60_000));
      expect(read.events).toBe(lines.length);
      // The fixture holds malformed lines on purpose: only the parseable ones name certificates.
      const names = new Set(
        lines.flatMap((line) => {
          try {
            return [(JSON.parse(line) as Record<string, string>)['common-name']];
          } catch {
            return [];
          }
        }),
      );
      expect(read.attempts.length).toBeGreaterThan(0);
      for (const attempt of read.attempts) if (attempt.commonName) expect(names).toContain(attempt.commonName);
      expect(sent.length).toBeGreaterThan(0);
      for (const action of sent) expect(CONNECTION_LOG_SENDS.read as readonly string[]).toContain(action);
    });

    it("CloudWatch: reads an endpoint's AuthenticationFailures per 5 minutes, summed, and finds nothing for another endpoint", async () => {
      const cloudwatch = client(CloudWatchClient, 'cloudwatch');
      const id = 'cvpn-endpoint-0123456789abcdef0';
      const period = 5 * 60_000;
      const start = Math.floor(Date.now() / period) * period - 6 * period;
      const datum = (endpoint: string, minutes: number, value: number) => ({
        MetricName: 'AuthenticationFailures',
        Dimensions: [{ Name: 'Endpoint', Value: endpoint }],
        Timestamp: new Date(start + minutes * 60_000),
        Value: value,
        Unit: 'Count' as const,
      });
      // Synthetic points under Client VPN's own namespace: two in one period add up, another endpoint's stay apart.
      await cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'AWS/ClientVPN',
          MetricData: [datum(id, 1, 30), datum(id, 2, 12), datum(id, 11, 4), datum('cvpn-endpoint-other', 1, 99)],
        }),
      );
      sent.splice(0);
      const metrics = new CloudWatchFailureMetrics({
        endpointId: id,
        region: REGION,
        client: cloudWatchMetricReader(REGION, cloudwatch),
      });
      const counts = await metrics.authenticationFailures(new Date(start), new Date(start + 6 * period), period);
      // Which 5-minute period each sum falls in: CloudWatch labels a period by its start, moto by its first point.
      expect(counts.map(({ at, count }) => [Math.floor((at.getTime() - start) / period), count])).toEqual([
        [0, 42],
        [2, 4],
      ]);
      const none = new CloudWatchFailureMetrics({
        endpointId: 'cvpn-endpoint-none',
        region: REGION,
        client: cloudWatchMetricReader(REGION, cloudwatch),
      });
      expect(await none.authenticationFailures(new Date(start), new Date(start + 6 * period), period)).toEqual([]);
      expect(sent.length).toBeGreaterThan(0);
      for (const action of sent)
        expect(FAILURE_METRICS_SENDS.authenticationFailures as readonly string[]).toContain(action);
    });

    it('Lambda: the Slack function hands a job to the worker as an Event invocation, and names a worker that is not there', async () => {
      // moto checks the function's role in its IAM; the AWS SDK's IAM client is not a dependency, so the role is created over IAM's query API.
      const role = await fetch(moto.endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization:
            'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=moto',
        },
        body: new URLSearchParams({
          Action: 'CreateRole',
          Version: '2010-05-08',
          RoleName: 'worker',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          }),
        }),
      });
      const roleArn = /<Arn>([^<]+)<\/Arn>/.exec(await role.text())?.[1];
      expect(roleArn).toMatch(/^arn:aws:iam::\d{12}:role\/worker$/);
      // moto stores the code without running it here (no Docker): what this proves is the request and its 202, not the worker.
      await client(LambdaClient, 'lambda').send(
        new CreateFunctionCommand({
          FunctionName: 'vpn-chatops-worker',
          Runtime: 'nodejs24.x',
          Role: roleArn,
          Handler: 'index.handler',
          Code: { ZipFile: Buffer.from('not run by moto') },
        }),
      );
      sent.splice(0);
      const lambda = workerLambdaClient({ region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
      lambda.middlewareStack.add(
        (next, context) => (args) => {
          sent.push(
            context.commandName === 'InvokeCommand' ? 'lambda:InvokeFunction' : `lambda:${context.commandName}`,
          );
          return next(args);
        },
        { step: 'initialize', name: 'recordSends' },
      );
      await new LambdaJobQueue('vpn-chatops-worker', lambda).enqueue({ type: 'publish-crl', actorId: 'U0ADMIN' });
      await expect(
        new LambdaJobQueue('vpn-chatops-gone', lambda).enqueue({ type: 'publish-crl', actorId: 'U0ADMIN' }),
      ).rejects.toThrow(
        /Could not hand the job to the worker function vpn-chatops-gone \(ResourceNotFoundException: Function not found/,
      );
      expect(sent).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunction']);
      expect(JOB_QUEUE_SENDS.enqueue as readonly string[]).toContain('lambda:InvokeFunction');
    });

    it("ACM: doctor reads the endpoint's server certificate expiry (the endpoint itself is mocked: moto has no Client VPN)", async () => {
      sent.splice(0);
      const material = await createCa({ commonName: 'vpn.moto.test', days: 90 });
      const acm = client(ACMClient, 'acm');
      const { CertificateArn } = await acm.send(
        new ImportCertificateCommand({
          Certificate: Buffer.from(material.certPem),
          PrivateKey: Buffer.from(material.keyPem),
        }),
      );
      sent.splice(0);
      const ec2 = mockClient(EC2Client);
      try {
        ec2.on(DescribeClientVpnEndpointsCommand).resolves({
          ClientVpnEndpoints: [
            { ClientVpnEndpointId: 'cvpn-endpoint-0123456789abcdef0', ServerCertificateArn: CertificateArn },
          ],
        });
        const endpoint = new AwsClientVpnEndpoint({
          id: 'cvpn-endpoint-0123456789abcdef0',
          region: REGION,
          client: new EC2Client({ region: REGION }),
          acm,
        });
        const certificate = await endpoint.serverCertificate();
        expect(certificate.location).toBe(CertificateArn);
        expect(certificate.notAfter.toISOString()).toBe(
          forge.pki.certificateFromPem(material.certPem).validity.notAfter.toISOString(),
        );
      } finally {
        ec2.restore();
      }
      expect(sent).toEqual(['acm:DescribeCertificate']);
      expect(CLIENT_VPN_ENDPOINT_SENDS.serverCertificate as readonly string[]).toContain('acm:DescribeCertificate');
    });
  },
);
