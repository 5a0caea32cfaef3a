import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateTlsCryptV2ServerKey,
  unwrapTlsCryptV2Metadata,
  wrapTlsCryptV2ClientKey,
} from '../../src/pki/tls-crypt-v2';
import { eventually } from '../helpers/eventually';
import { RunningOpenVpn, clientArgs, startOpenVpn } from '../helpers/openvpn';
import { freeStackPorts, stackEnv, startStackProcess } from '../helpers/stack';
import { HAS_TUN, OPENVPN, describeWith, run, tempDir } from '../helpers/tools';

const VPNCTL = join(__dirname, '..', '..', 'bin', 'vpnctl.js');

describeWith(
  {
    'Java 17+ (DynamoDB Local)': process.env.TEST_DYNAMODB_ENDPOINT !== undefined,
    openvpn: OPENVPN !== undefined,
    '/dev/net/tun': HAS_TUN,
    root: process.getuid?.() === 0,
  },
  'npm start with LOCAL_VPN_TLS_CRYPT_V2=true',
  () => {
    it('runs its server on tls-crypt-v2: an issued profile carries its own key, which the verify script admits, and a key another server wrapped is dropped at the unwrap', async () => {
      const dir = tempDir('stack-tlscv2');
      const state = join(dir.path, 'state');
      const env = stackEnv(state, await freeStackPorts(), { LOCAL_VPN_TLS_CRYPT_V2: 'true' });
      const stack = startStackProcess(env);
      const clients: RunningOpenVpn[] = [];
      try {
        await stack.waitFor(/Press Ctrl-C to stop/);
        const openvpnDir = join(state, 'openvpn');
        const serverLog = () => readFileSync(join(openvpnDir, 'openvpn.log'), 'utf8');
        expect(serverLog()).toMatch(/--tls-crypt-v2 \S+tls-crypt-v2-server\.key --tls-crypt-v2-verify/);
        expect(serverLog()).not.toMatch(/--tls-crypt \S/);
        expect(readdirSync(join(openvpnDir, 'tls-crypt-v2-refused'))).toEqual([]);

        const profile = join(dir.path, 'alice.ovpn');
        const issued = await run(
          process.execPath,
          [VPNCTL, 'issue', '--user', 'U0ALICE', '--name', 'Alice', '--out', profile],
          {
            env,
            timeoutMs: 60_000,
          },
        );
        expect(issued.code).toBe(0);
        const serial = /serial ([0-9A-F]+),/.exec(issued.stdout)![1];
        const serverKey = readFileSync(join(openvpnDir, 'tls-crypt-v2-server.key'), 'utf8');
        // The bot reaches its own server through the agent, like a deployed one, so it wraps from the stored copy.
        expect(readFileSync(join(state, 'tls-crypt-v2', 'local.key'), 'utf8')).toBe(serverKey);
        const text = readFileSync(profile, 'utf8');
        expect(unwrapTlsCryptV2Metadata(serverKey, text)).toBe(`serial:${serial}`);

        clients.push(startOpenVpn(clientArgs(profile)));
        // Admitted to TLS; the login then waits for approval, which this test does not give.
        await eventually(
          () => (/TLS CRYPT V2 VERIFY SCRIPT OK/.test(serverLog()) ? true : undefined),
          'the verify script admitting Alice',
          30_000,
        );

        const foreign = join(dir.path, 'foreign.ovpn');
        const otherKey = wrapTlsCryptV2ClientKey(generateTlsCryptV2ServerKey(), serial).trim();
        writeFileSync(
          foreign,
          text.replace(/<tls-crypt-v2>[\s\S]*<\/tls-crypt-v2>/, `<tls-crypt-v2>\n${otherKey}\n</tls-crypt-v2>`),
          {
            mode: 0o600,
          },
        );
        clients.push(startOpenVpn(clientArgs(foreign)));
        await eventually(
          () => (/client key authentication error/.test(serverLog()) ? true : undefined),
          'the server dropping the foreign key',
          30_000,
        );
      } finally {
        await Promise.all(clients.map((client) => client.stop()));
        await stack.interrupt(30_000);
        dir.remove();
      }
    }, 180_000);
  },
);
