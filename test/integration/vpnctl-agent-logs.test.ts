import { join } from 'node:path';
import { agentStoresFor } from '../../src/adapters/dynamodb/agent-stores';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith, run, tempDir } from '../helpers/tools';

const BIN = join(__dirname, '..', '..', 'bin', 'vpnctl.js');
const HOUR_MS = 3_600_000;

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'vpnctl logs for an agent-served endpoint, the real binary',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    const dir = tempDir('vpnctl-agent-logs');

    beforeAll(async () => {
      db = await testDatabase();
    });
    afterAll(async () => {
      await db.drop();
      dir.remove();
    });

    it('reads what the agent shipped to the table, not the log file named for the VPN host', async () => {
      // A minute back, so both attempts lie before now even at the top of the hour.
      const hour = new Date(Math.floor((Date.now() - 60_000) / HOUR_MS) * HOUR_MS);
      await agentStoresFor(db).shippedLog.ship('openvpn:office', hour, {
        attempts: [
          { at: hour.getTime() + 1000, status: 'successful', commonName: 'alice.laptop-U0ALICE' },
          { at: hour.getTime() + 2000, status: 'failed', reason: 'certificate-revoked', commonName: 'bob-U0BOB' },
        ],
        events: 40,
        malformed: 0,
        ignored: 38,
      });
      const result = await run(process.execPath, [BIN, 'logs', '--json', '--hours', '2'], {
        cwd: dir.path,
        timeoutMs: 60_000,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          STATE_DIR: join(dir.path, 'state'),
          DYNAMODB_ENDPOINT,
          TABLE_NAME: db.tableName,
          VPN_ENDPOINTS: JSON.stringify([
            {
              type: 'openvpn',
              name: 'office',
              servedBy: 'agent',
              management: 'unix:/run/openvpn/mgmt.sock',
              crlFile: '/etc/openvpn/crl.pem',
              logFile: join(dir.path, 'on-the-vpn-host.log'),
              remote: 'vpn.example.com 1194 udp',
            },
          ]),
        },
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as {
        endpoints: { endpoint: string; summary?: { attempts: number; successful: number; failed: number } }[];
      };
      expect(report.endpoints).toMatchObject([
        { endpoint: 'openvpn:office', summary: { attempts: 2, successful: 1, failed: 1 } },
      ]);
    });
  },
);
