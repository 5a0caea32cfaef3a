import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretsManagerCaStore } from '../../src/adapters/secrets-manager/ca-store';
import { buildProgram } from '../../src/cli/main';
import { cliWiring } from '../../src/composition/cli';
import { createAdmin } from '../../src/composition/worker';
import { loadConfig } from '../../src/config';
import { unwrapTlsCryptV2Metadata } from '../../src/pki/tls-crypt-v2';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { MOTO_CREDENTIALS, MOTO_SERVER, Moto, startMoto } from '../helpers/moto';
import { CONNECTED, RunningOpenVpn, TestVpn, prepareTestVpn, serverArgs, startOpenVpn } from '../helpers/openvpn';
import { HAS_TUN, OPENVPN, describeWith } from '../helpers/tools';

const REGION = 'us-east-1';
const CA_SECRET = 'e2e/ca';
const KEY_SECRET = 'e2e/tls-crypt-v2';
/** A line only a TLS handshake writes: the server checked a client certificate. */
const TLS_STARTED = /VERIFY (OK|ERROR): depth=0/;

/**
 * The deployed shape: the bot on Lambda (worker composition, CA and tls-crypt-v2 key in Secrets Manager, here moto),
 * an OpenVPN 2.6 server it never reaches, and the key imported on the VPN host by vpnctl. The bot's side has no
 * key file: the path in VPN_ENDPOINTS exists only on the host.
 */
describeWith(
  {
    openvpn: OPENVPN !== undefined,
    '/dev/net/tun': HAS_TUN,
    'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined,
    'moto_server (Python 3.11; .ci/run checks for it)': MOTO_SERVER,
  },
  'tls-crypt-v2 profiles issued on Lambda for an agent-served server',
  () => {
    let vpn: TestVpn;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let moto: Moto;
    let server: RunningOpenVpn | undefined;
    let hostKeyFile: string;
    const SDK_SETTINGS = ['AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
    const saved = SDK_SETTINGS.map((name) => [name, process.env[name]] as const);

    const endpoint = () => ({
      type: 'openvpn',
      name: 'office',
      management: '127.0.0.1:7505',
      crlFile: '/etc/openvpn/server/crl/crl.pem',
      remote: vpn.remote,
      tlsCryptV2ServerKeyFile: hostKeyFile,
      servedBy: 'agent',
    });
    const aws = (keySecret: string) => ({
      AWS_REGION: REGION,
      DYNAMODB_ENDPOINT,
      TABLE_NAME: db.tableName,
      CERT_DOMAIN: 'vpn.test',
      CA_SECRET_ID: CA_SECRET,
      TLS_CRYPT_V2_SECRET_ID: keySecret,
      SLACK_BOT_TOKEN: 'xoxb-e2e',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
    });
    /** What the worker function builds (composition/worker.ts), with VPN_ENDPOINTS naming a path it does not have. */
    const lambdaAdmin = async (keySecret = KEY_SECRET) => {
      const lambdaSide = { ...endpoint(), tlsCryptV2ServerKeyFile: '/nonexistent/on/lambda/tc2-server.key' };
      return (await createAdmin(loadConfig({ ...aws(keySecret), VPN_ENDPOINTS: JSON.stringify([lambdaSide]) }), db))
        .admin;
    };
    /** `vpnctl …` on the VPN host, in-process: the same program and wiring as bin/vpnctl.js. */
    const vpnctlOnHost = (args: string[]) =>
      buildProgram(() =>
        cliWiring(loadConfig({ ...aws(KEY_SECRET), VPN_ENDPOINTS: JSON.stringify([endpoint()]) })),
      ).parseAsync(args, { from: 'user' });

    async function startServer(): Promise<void> {
      server = startOpenVpn(serverArgs({ port: vpn.port, ...vpn.files, control: ['--tls-crypt-v2', hostKeyFile] }));
      await server.waitFor(CONNECTED);
    }

    async function connects(profile: string): Promise<void> {
      const client = vpn.startClient(profile);
      try {
        await client.waitFor(CONNECTED);
      } finally {
        await client.stop();
      }
    }

    beforeAll(async () => {
      vpn = await prepareTestVpn({ prefix: 'e2e-tlscv2-lambda' });
      db = await testDatabase();
      moto = await startMoto();
      // The SDK's own settings, as on Lambda: the adapters build their clients from the configuration alone.
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
        AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      });
      await new SecretsManagerCaStore({ secretId: CA_SECRET, region: REGION }).save({
        certPem: vpn.ca.certPem,
        keyPem: vpn.ca.key.export({ type: 'pkcs8', format: 'pem' }).toString(),
      });
      // The host's key from the real openvpn, imported as an operator would.
      hostKeyFile = join(vpn.dir.path, 'tc2-server.key');
      execFileSync(OPENVPN!, ['--genkey', 'tls-crypt-v2-server', hostKeyFile]);
      await vpnctlOnHost(['endpoint', 'tls-crypt-v2', 'import', 'office']);
      await startServer();
    }, 60_000);
    afterAll(async () => {
      for (const [name, value] of saved)
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      await server?.stop();
      await vpn?.stop();
      await moto?.stop();
      await db?.drop();
    });

    it("issues a profile whose own key the server unwraps, from the stored copy of the host's key", async () => {
      const admin = await lambdaAdmin();
      const { profile, record } = await admin.issue({ slackId: 'U0ALICE', displayName: 'Alice', actor: 'U0ADMIN' });
      expect(profile).toMatch(/<tls-crypt-v2>\n-----BEGIN OpenVPN tls-crypt-v2 client key-----/);
      expect(unwrapTlsCryptV2Metadata(readFileSync(hostKeyFile, 'utf8'), profile)).toBe(`serial:${record.serial}`);
      await connects(vpn.file('alice.ovpn', profile));
      const audit = await storesFor(db).audit.query({ target: 'openvpn:office' });
      expect(audit.map((entry) => [entry.action, entry.details?.store])).toEqual([
        ['endpoint.tls-crypt-v2-key', `secretsmanager:${KEY_SECRET}`],
      ]);
    }, 60_000);

    it('refuses to issue when no key is stored, and writes no certificate', async () => {
      const admin = await lambdaAdmin('e2e/tls-crypt-v2-never-imported');
      await expect(admin.issue({ slackId: 'U0BOB', displayName: 'Bob', actor: 'U0ADMIN' })).rejects.toThrow(
        'openvpn:office: the server requires tls-crypt-v2 (tlsCryptV2ServerKeyFile) and no copy of its server key is stored in secretsmanager:e2e/tls-crypt-v2-never-imported, so no profile can be issued for it: run `vpnctl endpoint tls-crypt-v2 import office` on the VPN host',
      );
      expect(await storesFor(db).certificates.byUser('U0BOB')).toEqual([]);
    }, 60_000);

    it('rotates with vpnctl: profiles wrapped by the old key are dropped before TLS, new ones connect', async () => {
      const before = await (await lambdaAdmin()).issue({ slackId: 'U0KIM', displayName: 'Kim', actor: 'U0ADMIN' });
      const old = vpn.file('kim-before.ovpn', before.profile);
      await connects(old);

      await vpnctlOnHost(['endpoint', 'tls-crypt-v2', 'generate', 'office', '--force']);
      await server!.stop();
      await startServer();

      const since = server!.log().length;
      const refused = vpn.startClient(old);
      try {
        await server!.waitFor(/client key authentication error/, { since });
      } finally {
        await refused.stop();
      }
      expect(server!.log().slice(since)).not.toMatch(TLS_STARTED);

      const after = await (await lambdaAdmin()).issue({ slackId: 'U0LEE', displayName: 'Lee', actor: 'U0ADMIN' });
      await connects(vpn.file('lee-after.ovpn', after.profile));
    }, 120_000);
  },
);
