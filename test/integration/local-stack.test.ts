import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { freeStackPorts, stackEnv, startStackProcess } from '../helpers/stack';
import { eventually } from '../helpers/eventually';
import { describeWith, tempDir } from '../helpers/tools';

const HAS_JAVA = process.env.TEST_DYNAMODB_ENDPOINT !== undefined;

/** Every process whose command line mentions `marker` (a test's own temp dir): what a failed start must not leave behind. */
function processesMentioning(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A failure as people should see it: one ✖ line naming the fix, exit code 1, nothing left running, the lock gone. */
async function expectCleanFailure(state: string, env: NodeJS.ProcessEnv, message: RegExp): Promise<string> {
  const stack = startStackProcess(env);
  const code = await stack.exited(90_000);
  const output = stack.output();
  expect(code).toBe(1);
  expect(output).toMatch(message);
  expect(output).toMatch(/^✖ /m);
  expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(readdirSync(state)).not.toContain('npm-start.lock');
  expect(processesMentioning(state)).toEqual([]);
  return output;
}

describeWith(
  { 'Java 17+ (DynamoDB Local)': HAS_JAVA },
  'npm start: bad input and faults end in one clear message and nothing left running',
  () => {
    let dir: ReturnType<typeof tempDir>;
    beforeEach(() => {
      dir = tempDir('local-stack');
    });
    afterEach(() => dir.remove());
    const state = () => join(dir.path, 'state');

    it('names PORT when the port is taken, before starting anything', async () => {
      const ports = await freeStackPorts();
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(ports.port, '127.0.0.1', resolve));
      try {
        const output = await expectCleanFailure(
          state(),
          stackEnv(state(), ports),
          new RegExp(`Port ${ports.port} \\(PORT\\) is already in use.*PORT=<port> npm start`),
        );
        expect(output).not.toMatch(/DynamoDB Local/);
      } finally {
        blocker.close();
      }
    }, 60_000);

    it('says how to install Java when DynamoDB Local cannot run', async () => {
      const ports = await freeStackPorts();
      await expectCleanFailure(
        state(),
        stackEnv(state(), ports, { PATH: join(dir.path, 'empty-path') }),
        /needs Java 17 or newer.*apt-get install -y openjdk-17-jre-headless/,
      );
    }, 60_000);

    it('refuses to share the state dir with a running npm start', async () => {
      mkdirSync(state(), { recursive: true });
      writeFileSync(join(state(), 'npm-start.lock'), JSON.stringify({ pid: process.pid, children: [] }));
      const stack = startStackProcess(stackEnv(state(), await freeStackPorts()));
      expect(await stack.exited(60_000)).toBe(1);
      expect(stack.output()).toMatch(
        new RegExp(`Another npm start is running \\(pid ${process.pid}\\).*use a different STATE_DIR`),
      );
      // Not ours to remove: the other run still holds it.
      expect(JSON.parse(readFileSync(join(state(), 'npm-start.lock'), 'utf8')).pid).toBe(process.pid);
    }, 60_000);

    const endpoint = JSON.stringify([
      {
        type: 'openvpn',
        name: 'office',
        management: '127.0.0.1:7505',
        crlFile: '/etc/openvpn/crl.pem',
        remote: 'vpn.example.com 1194 udp',
      },
    ]);
    it.each([
      ['AWS_REGION', { AWS_REGION: 'eu-west-1' }],
      ['CA_SECRET_ID', { CA_SECRET_ID: 'vpn-chatops/ca' }],
      ['VPN_ENDPOINTS', { VPN_ENDPOINTS: endpoint }],
      [
        'AWS_REGION, CA_SECRET_ID',
        { AWS_REGION: 'eu-west-1', CA_SECRET_ID: 'vpn-chatops/ca', SLACK_BOT_TOKEN: 'xoxb-without-the-rest' },
      ],
    ])(
      'refuses the local console when %s is set: its made-up admin must not act on real certificates',
      async (names, settings) => {
        mkdirSync(state(), { recursive: true });
        const output = await expectCleanFailure(
          state(),
          stackEnv(state(), await freeStackPorts(), settings),
          new RegExp(
            `The local console runs only on the local stack, but ${names} (is|are) set.*set SLACK_BOT_TOKEN with SLACK_APP_TOKEN \\(Socket Mode\\) or SLACK_SIGNING_SECRET \\(HTTP\\); to use the local console, unset AWS_REGION, CA_SECRET_ID and VPN_ENDPOINTS\\.`,
          ),
        );
        expect(output).not.toMatch(/DynamoDB|development CA/);
      },
      60_000,
    );

    it('names the CA folder when the CA is unreadable, and changes nothing', async () => {
      mkdirSync(join(state(), 'ca'), { recursive: true });
      writeFileSync(join(state(), 'ca', 'ca.crt'), 'not a certificate');
      writeFileSync(join(state(), 'ca', 'ca.key'), 'not a key', { mode: 0o600 });
      const output = await expectCleanFailure(
        state(),
        stackEnv(state(), await freeStackPorts()),
        new RegExp(`${state()}/ca.*move ${state()}/ca away to create a new development CA`),
      );
      expect(output).not.toMatch(/DynamoDB Local at/);
      expect(readFileSync(join(state(), 'ca', 'ca.key'), 'utf8')).toBe('not a key');
    }, 60_000);

    it('names the DynamoDB folder when its data is garbage, and stops DynamoDB Local again', async () => {
      mkdirSync(join(state(), 'dynamodb'), { recursive: true });
      writeFileSync(join(state(), 'dynamodb', 'shared-local-instance.db'), Buffer.alloc(8192, 0x5a));
      await expectCleanFailure(
        state(),
        stackEnv(state(), await freeStackPorts()),
        new RegExp(`DynamoDB Local cannot read its data in ${state()}/dynamodb .*Delete that folder`),
      );
    }, 120_000);

    it('runs without a VPN endpoint when openvpn is missing; a second run takes over a stale lock, stops what the crashed run left, and reuses the state', async () => {
      const ports = await freeStackPorts();
      const env = stackEnv(state(), ports, { OPENVPN_BIN: join(dir.path, 'no-such-openvpn') });
      const first = startStackProcess(env);
      await first.waitFor(/Ready in/, 120_000);
      expect(first.output()).toMatch(/⚠ no local OpenVPN server: OPENVPN_BIN=.*no-such-openvpn does not exist/);
      expect(first.output()).toMatch(/⚠ running without a VPN endpoint/);
      expect(first.output()).toMatch(/created a development CA/);
      expect((await fetch(`http://127.0.0.1:${ports.port}/`)).status).toBe(200);
      expect(await first.interrupt(60_000)).toBe(0);

      // A run that was killed: its lock names a pid that is gone and a child still running.
      const dead = spawn(process.execPath, ['-e', '']);
      await new Promise((resolve) => dead.once('exit', resolve));
      const leftover = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)', join(state(), 'dynamodb')], {
        stdio: 'ignore',
      });
      writeFileSync(
        join(state(), 'npm-start.lock'),
        JSON.stringify({
          pid: dead.pid,
          children: [{ pid: leftover.pid, what: 'DynamoDB Local', marker: join(state(), 'dynamodb') }],
        }),
      );

      const second = startStackProcess(env);
      try {
        await second.waitFor(/Ready in/, 120_000);
        const output = second.output();
        expect(output).toMatch(new RegExp(`took over a stale lock from pid ${dead.pid}`));
        expect(output).toMatch(new RegExp(`stopped DynamoDB Local \\(pid ${leftover.pid}\\) left running by that run`));
        await eventually(
          () => leftover.exitCode !== null || leftover.signalCode !== null,
          'the leftover process to exit',
          5_000,
        );
        expect(output).toMatch(new RegExp(`✔ CA .*valid until .*\\(${state()}/ca\\)`));
        expect(output).not.toMatch(/created a development CA|published CRL/);
      } finally {
        expect(await second.interrupt(60_000)).toBe(0);
        leftover.kill();
      }
    }, 300_000);
  },
);
