import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { buildAgentBundle } from '../../infra/agent-bundle';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith, run, tempDir } from '../helpers/tools';

/** Required inside the AWS SDK's try/catch, for an optional native signer; absent is the SDK's normal case. */
const OPTIONAL = ['@aws-sdk/signature-v4-crt'];

describe('the agent bundle (npm run build → dist/vpnctl-agent.cjs)', () => {
  let dir: ReturnType<typeof tempDir>;
  let bundle: string;

  beforeAll(async () => {
    // A directory with nothing around it: no node_modules for Node to find, as on a fresh VPN host.
    dir = tempDir('agent-bundle');
    bundle = await buildAgentBundle(join(dir.path, 'vpnctl-agent.cjs'));
  }, 120_000);
  afterAll(() => dir?.remove());

  it('requires nothing but Node built-ins', () => {
    const required = [...readFileSync(bundle, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]);
    const outside = [...new Set(required)].filter(
      (name) => !builtinModules.includes(name.replace(/^node:/, '')) && !OPTIONAL.includes(name),
    );
    expect(outside).toEqual([]);
  });

  const env = () => ({
    PATH: process.env.PATH,
    HOME: dir.path,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });

  it('runs the vpnctl CLI from a directory without node_modules', async () => {
    const help = await run(process.execPath, [bundle, '--help'], { cwd: dir.path, env: env(), timeoutMs: 60_000 });
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: vpnctl /);
    expect(help.stdout).toMatch(/\n {2}doctor /);
  });

  it("says which version it is without a package.json beside it: the version its agent's heartbeat reports", async () => {
    const version = await run(process.execPath, [bundle, '--version'], {
      cwd: dir.path,
      env: env(),
      timeoutMs: 60_000,
    });
    const { version: packaged } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect([version.code, version.stderr, version.stdout.trim()]).toEqual([0, '', packaged]);
  });

  it('carries the agent command, as the systemd unit runs it', async () => {
    const help = await run(process.execPath, [bundle, 'agent', '--help'], {
      cwd: dir.path,
      env: env(),
      timeoutMs: 60_000,
    });
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(/^Usage: vpnctl agent /);
    expect(help.stdout).toContain('--endpoint <name>');
  });

  describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'against a table', () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    beforeAll(async () => {
      db = await testDatabase();
    });
    afterAll(() => db?.drop());

    it('reads the table with the AWS SDK inside the bundle, as the agent does on a VPN host', async () => {
      const list = await run(process.execPath, [bundle, 'list'], {
        cwd: dir.path,
        env: {
          ...env(),
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_EC2_METADATA_DISABLED: 'true',
          DYNAMODB_ENDPOINT: DYNAMODB_ENDPOINT!,
          TABLE_NAME: db.tableName,
          STATE_DIR: join(dir.path, 'state'),
        },
        timeoutMs: 60_000,
      });
      expect(list.stderr).not.toMatch(/Cannot find module/);
      expect([list.code, list.stderr]).toEqual([0, '']);
    });
  });
});
