import { X509Certificate, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { describeWith, run, tempDir } from '../helpers/tools';

const BIN = join(__dirname, '..', '..', 'bin', 'vpnctl.js');
const HOUR = 3_600_000;

describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'vpnctl issue --for', () => {
  let dir: ReturnType<typeof tempDir>;
  let env: NodeJS.ProcessEnv;
  const vpnctl = (args: string[]) => run(process.execPath, [BIN, ...args], { cwd: dir.path, env, timeoutMs: 60_000 });
  const issue = (out: string, duration: string) =>
    vpnctl([
      'issue',
      '--user',
      'U012ABCDEF',
      '--name',
      'Jane Doe',
      '--device',
      out,
      '--for',
      duration,
      '--out',
      `${out}.ovpn`,
    ]);

  beforeAll(async () => {
    dir = tempDir('vpnctl-time-boxed');
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      STATE_DIR: join(dir.path, 'state'),
      DYNAMODB_ENDPOINT,
      TABLE_NAME: `cli-${randomBytes(4).toString('hex')}`,
      CERT_DOMAIN: 'vpn.example.com',
      MAX_ACCESS_HOURS: '72',
    };
    expect((await vpnctl(['ca', 'init'])).code).toBe(0);
  }, 60_000);
  afterAll(() => dir.remove());

  it('issues a certificate that lasts the asked hours', async () => {
    const before = Date.now();
    const issued = await issue('laptop', '8h');
    expect(issued.stderr).toBe('');
    expect(issued.code).toBe(0);
    const cert = /<cert>\n([\s\S]+?)<\/cert>/.exec(readFileSync(join(dir.path, 'laptop.ovpn'), 'utf8'))![1];
    const notAfter = Date.parse(new X509Certificate(cert).validTo);
    // validTo has whole seconds.
    expect(notAfter).toBeGreaterThanOrEqual(before + 8 * HOUR - 1000);
    expect(notAfter).toBeLessThanOrEqual(Date.now() + 8 * HOUR);
  }, 60_000);

  it('refuses more than MAX_ACCESS_HOURS, naming it, and a duration it cannot read; no profile is left behind', async () => {
    const tooLong = await issue('phone', '2w');
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/the most this workspace allows is 3d \(MAX_ACCESS_HOURS=72\)/);
    expect(existsSync(join(dir.path, 'phone.ovpn'))).toBe(false);
    const unreadable = await issue('tablet', '8hours');
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/--for "8hours" is not a duration/);
    expect(existsSync(join(dir.path, 'tablet.ovpn'))).toBe(false);
    const listed = JSON.parse((await vpnctl(['list', '--json'])).stdout) as { cn: string }[];
    expect(listed.map((certificate) => certificate.cn)).toEqual([expect.stringContaining('.laptop--')]);
  }, 60_000);
});
