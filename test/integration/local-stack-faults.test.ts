import { createSocket, Socket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsoleDriver } from '../helpers/console-driver';
import { startNpmStart } from '../helpers/npm-start';
import { CONNECTED, clientArgs, startOpenVpn } from '../helpers/openvpn';
import { eventually } from '../helpers/eventually';
import { freeStackPorts, isRunning, lockedChildren, stackEnv, startStackProcess } from '../helpers/stack';
import { HAS_TUN, OPENVPN, describeWith, run, tempDir } from '../helpers/tools';

const HAS_JAVA = process.env.TEST_DYNAMODB_ENDPOINT !== undefined;
const HAS_VPN = {
  'Java 17+ (DynamoDB Local)': HAS_JAVA,
  openvpn: OPENVPN !== undefined,
  '/dev/net/tun': HAS_TUN,
  root: process.getuid?.() === 0,
};
const VPNCTL = join(__dirname, '..', '..', 'bin', 'vpnctl.js');

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWith({ 'Java 17+ (DynamoDB Local)': HAS_JAVA }, 'npm start under faults', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('stack-faults');
  });
  afterEach(() => dir.remove());

  /**
   * How a Ctrl-C reaches the app: the terminal signals the whole group (npm, the shell, the app), npm
   * forwards its copy, and on a loaded machine the app may not run for a while. Each way, one Ctrl-C
   * must stop it cleanly: no "forced", every child stopped in order, the lock released.
   */
  const ways: [string, (app: number, ctrlC: () => void) => Promise<void>][] = [
    ['as is', async (_app, ctrlC) => ctrlC()],
    [
      'while the app gets no CPU for 300 ms',
      async (app, ctrlC) => {
        process.kill(app, 'SIGSTOP');
        try {
          ctrlC();
          await pause(300);
        } finally {
          // Gone already if a runner killed it meanwhile (the tsx CLI does, when the app does not confirm within 60 ms).
          if (isRunning(app)) process.kill(app, 'SIGCONT');
        }
      },
    ],
    [
      'with a second copy 50 ms later (a runner forwarding it)',
      async (app, ctrlC) => {
        ctrlC();
        await pause(50);
        process.kill(app, 'SIGINT');
      },
    ],
  ];
  it.each(ways)(
    'one Ctrl-C stops npm start cleanly, %s',
    async (_way, press) => {
      const state = join(dir.path, 'state');
      const stack = startNpmStart(stackEnv(state, await freeStackPorts()));
      let children: number[] = [];
      try {
        await stack.waitFor(/Press Ctrl-C to stop/);
        children = lockedChildren(state);
        expect(children.length).toBeGreaterThan(0);
        await press(stack.app(), stack.ctrlC);
        await stack.exited(90_000);
        const output = stack.output();
        expect(output).not.toMatch(/forced/);
        expect(output).toMatch(/✔ stopped; state kept for the next npm start/);
        expect(existsSync(join(state, 'npm-start.lock'))).toBe(false);
        expect(children.filter(isRunning)).toEqual([]);
      } finally {
        await stack.exited(1);
        for (const pid of children.filter(isRunning)) process.kill(pid, 'SIGKILL');
      }
    },
    180_000,
  );
});

describeWith(HAS_VPN, 'npm start under faults, with real OpenVPN logins', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('stack-faults-vpn');
  });
  afterEach(() => dir.remove());

  it('a login interrupted by a stop is closed at the next start: expired, audited, never left PENDING', async () => {
    const ports = await freeStackPorts();
    const env = stackEnv(join(dir.path, 'state'), ports);
    const profile = join(dir.path, 'alice.ovpn');
    const first = startStackProcess(env);
    try {
      await first.waitFor(/Press Ctrl-C to stop/);
      const console = new ConsoleDriver(ports.port);
      await console.issue('U0ALICE', 'laptop', profile);
      const client = startOpenVpn(clientArgs(profile));
      try {
        await console.prompt('U0ALICE');
      } finally {
        await client.stop();
      }
    } finally {
      expect(await first.interrupt(60_000)).toBe(0);
    }

    const second = startStackProcess(env);
    try {
      const output = await second.waitFor(/Press Ctrl-C to stop/);
      expect(output).toMatch(/closed 1 login the last run left waiting for approval/);
      const audit = await run(process.execPath, [VPNCTL, 'audit', '--csv'], { env, timeoutMs: 60_000 });
      expect(audit.code).toBe(0);
      const closed = audit.stdout
        .split('\r\n')
        .filter((line) => line.includes('approval.decide') && line.includes('abandoned'));
      expect(closed).toHaveLength(1);
      expect(closed[0]).toMatch(
        /^[^,]+,local:npm-start,approval\.decide,alice-example\.laptop--[a-z2-7]{5}-U0ALICE\.vpn\.local,refused,/,
      );
    } finally {
      expect(await second.interrupt(60_000)).toBe(0);
    }
  }, 300_000);
});

/** The OpenVPN server npm start recorded in its lock. */
function lockedOpenVpn(state: string): number | undefined {
  return lockedChildren(state).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--crl-verify');
    } catch {
      return false;
    }
  });
}

/** Holds a UDP port on loopback (retrying while a killed owner's socket is released), so a server cannot bind it. */
async function holdUdpPort(port: number): Promise<Socket> {
  return eventually(
    () =>
      new Promise<Socket | undefined>((resolve) => {
        const socket = createSocket('udp4');
        socket.once('error', () => socket.close(() => resolve(undefined)));
        socket.bind(port, '127.0.0.1', () => resolve(socket));
      }),
    `UDP port ${port} to be free`,
    5_000,
  );
}

describeWith(HAS_VPN, 'npm start when its OpenVPN server dies', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('stack-faults-vpn-dies');
  });
  afterEach(() => dir.remove());

  it('restarts it with backoff; meanwhile /vpn crl and doctor say it is down and what to do; logins work again after', async () => {
    const ports = await freeStackPorts();
    const state = join(dir.path, 'state');
    const env = stackEnv(state, ports);
    const profile = join(dir.path, 'alice.ovpn');
    const stack = startStackProcess(env);
    try {
      await stack.waitFor(/Press Ctrl-C to stop/);
      const console = new ConsoleDriver(ports.port);
      await console.issue('U0ALICE', 'laptop', profile);
      const first = lockedOpenVpn(state)!;
      expect(first).toBeDefined();

      const mark = stack.output().length;
      process.kill(first, 'SIGKILL');
      // Its port taken while it is down: the restarts fail until it is free again.
      const blocker = await holdUdpPort(ports.vpn);
      try {
        await stack.waitFor(/OpenVPN did not start again: .*Restarting it in \d+ s/);
        expect(stack.output().slice(mark)).toMatch(
          /OpenVPN exited \(code (signal|\d+)\).*Restarting it in 1 s; logins through the local endpoint fail until it is back/,
        );

        const answer = async (text: string, pattern: RegExp) => {
          await console.command('U0ADMIN', text);
          return eventually(
            async () =>
              (await console.dm('U0ADMIN'))
                .map((message) => JSON.stringify(message))
                .find((json) => pattern.test(json)),
            `the answer to ${text}`,
            30_000,
          );
        };
        const crl = await answer('/vpn crl', /The OpenVPN server does not answer, so nobody can log in through it/);
        expect(crl).toMatch(/npm start restarts it by itself \(why it stopped: [^)]*openvpn\.log\)/);
        const doctor = await answer('/vpn doctor', /openvpn:local: endpoint/);
        expect(doctor).toMatch(/npm start restarts it by itself/);
        expect(doctor).not.toMatch(/VPN_ENDPOINTS/);
      } finally {
        blocker.close();
      }
      await stack.waitFor(/OpenVPN is running again \(pid \d+\)/, 60_000);
      const second = lockedOpenVpn(state);
      expect(second).toBeDefined();
      expect(second).not.toBe(first);

      const since = (await console.dm('U0ALICE')).at(-1)!.ts;
      const client = startOpenVpn(clientArgs(profile));
      try {
        await console.react('U0ALICE', await console.prompt('U0ALICE', since));
        await client.waitFor(CONNECTED, { timeoutMs: 30_000 });
      } finally {
        await client.stop();
      }
    } finally {
      expect(await stack.interrupt(60_000)).toBe(0);
    }
    expect(lockedOpenVpn(state)).toBeUndefined();
  }, 300_000);
});

/** The DynamoDB Local JVM npm start recorded in its lock. */
function lockedDynamoDb(state: string): number | undefined {
  return lockedChildren(state).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('DynamoDBLocal');
    } catch {
      return false;
    }
  });
}

describeWith(HAS_VPN, 'npm start while DynamoDB stalls (DynamoDB Local paused with SIGSTOP)', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('stack-faults-db');
  });
  afterEach(() => dir.remove());

  it('acknowledges a command in time and answers it later; a 👍 it cannot record is told to its owner; operators see the stall', async () => {
    const ports = await freeStackPorts();
    const state = join(dir.path, 'state');
    const profile = join(dir.path, 'alice.ovpn');
    const stack = startStackProcess(stackEnv(state, ports));
    let paused: number | undefined;
    try {
      await stack.waitFor(/Press Ctrl-C to stop/);
      const console = new ConsoleDriver(ports.port);
      await console.issue('U0ALICE', 'laptop', profile);
      const dynamodb = lockedDynamoDb(state)!;
      expect(dynamodb).toBeDefined();
      const client = startOpenVpn(clientArgs(profile));
      try {
        const prompt = await console.prompt('U0ALICE');
        process.kill(dynamodb, 'SIGSTOP');
        paused = dynamodb;

        // The console, like Slack, gives the app 3 s: a command that misses them fails here.
        await console.command('U0ALICE', '/vpn status');
        const holding = await eventually(
          async () => (await console.dm('U0ALICE')).find((message) => /taking longer than usual/.test(message.text)),
          'the holding answer',
          10_000,
        );

        await console.react('U0ALICE', prompt);
        const told = await eventually(
          async () => (await console.dm('U0ALICE')).find((message) => /could not be recorded/.test(message.text)),
          'the 👍-not-recorded DM',
          30_000,
        );
        expect(told.text).toMatch(/connect again/);
        expect(told.text).not.toMatch(/Nobody approved/);
        expect(stack.output()).toMatch(/was not recorded within 5 s: DynamoDB did not answer/);
        expect(stack.output()).toMatch(/\/vpn: no answer within 2 s, acknowledged with a holding message/);

        process.kill(dynamodb, 'SIGCONT');
        paused = undefined;
        // The answer replaces the holding message in place.
        const answered = await eventually(
          async () =>
            (await console.dm('U0ALICE')).find(
              (message) => message.ts === holding.ts && !/taking longer/.test(message.text),
            ),
          'the status answer after the stall',
          60_000,
        );
        expect(JSON.stringify(answered)).toMatch(/laptop/);
      } finally {
        await client.stop();
      }
      expect(stack.output()).not.toMatch(/not acknowledged|ack called multiple times|Cannot write headers/);
    } finally {
      if (paused !== undefined) process.kill(paused, 'SIGCONT');
      expect(await stack.interrupt(90_000)).toBe(0);
    }
  }, 300_000);
});
