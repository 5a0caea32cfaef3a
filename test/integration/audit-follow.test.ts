import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { AuditEntry } from '../../src/domain/audit';
import { DynamoDbAuditLog } from '../../src/adapters/dynamodb/audit-log';
import { DynamoDbCertificateStore } from '../../src/adapters/dynamodb/certificate-store';
import { systemClock } from '../../src/ports';
import { followAudit } from '../../src/services/audit-follow';
import { childOutput } from '../helpers/child-output';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { describeWith, run, tempDir } from '../helpers/tools';

const BIN = join(__dirname, '..', '..', 'bin', 'vpnctl.js');
const ADA = 'U0ADMIN';
const ALICE = 'U0ALICE';

describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'following the audit trail', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let audit: DynamoDbAuditLog;
  beforeAll(async () => {
    db = await testDatabase();
    audit = new DynamoDbAuditLog(db);
  });
  afterAll(() => db.drop());

  const revoke = (at?: Date) =>
    audit.append({
      actor: ADA,
      action: 'certificate.revoke',
      target: ALICE,
      outcome: 'success',
      ...(at && { at }),
      details: { serial: '0A', cn: 'alice.laptop-U0ALICE.vpn.example.com', reason: 'keyCompromise' },
    });

  it('gives every entry once, the earlier ones from --since, then new ones, late writers included, until stopped', async () => {
    const since = new Date(Date.now() - 60_000);
    const before = await revoke(new Date(since.getTime() + 1_000));
    const seen: AuditEntry[] = [];
    const stop = new AbortController();
    const following = followAudit(audit, { since, signal: stop.signal, clock: systemClock, intervalMs: 50 }, (e) => {
      seen.push(e);
    });
    await eventually(() => seen.length === 1, 'the entry since --since');
    const fresh = await revoke();
    // Written now, dated 5 s ago: a writer whose clock lags, or that took its time after reading it.
    const late = await revoke(new Date(Date.now() - 5_000));
    await eventually(() => seen.length === 3, 'the new and the late entry');
    stop.abort();
    await following;
    expect(seen.map((e) => e.id).sort()).toEqual([before.id, fresh.id, late.id].sort());
    expect(seen[0]).toEqual(before);
  });

  describe('vpnctl audit', () => {
    let dir: ReturnType<typeof tempDir>;
    let env: NodeJS.ProcessEnv;
    let child: ChildProcess | undefined;
    beforeAll(async () => {
      dir = tempDir('audit-follow');
      env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        STATE_DIR: join(dir.path, 'state'),
        DYNAMODB_ENDPOINT,
        TABLE_NAME: db.tableName,
        CERT_DOMAIN: 'vpn.example.com',
      };
      await new DynamoDbCertificateStore(db).importMany([
        {
          serial: '0A',
          cn: 'alice.laptop-U0ALICE.vpn.example.com',
          slackId: ALICE,
          displayName: 'Alice Example',
          device: 'laptop',
          status: 'active',
          issuedAt: new Date(),
          notBefore: new Date(),
          notAfter: new Date(Date.now() + 86_400_000),
          source: 'issued',
          issuedBy: 'vpnctl:test',
        },
      ]);
    });
    afterEach(async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child!.once('exit', resolve));
      }
      child = undefined;
    });
    afterAll(() => dir.remove());

    it('--follow prints JSON lines (id = the entry id) from --since and as entries are written; SIGTERM stops it with 0', async () => {
      const first = await revoke();
      child = spawn(
        process.execPath,
        [BIN, 'audit', '--follow', '--since', new Date(Date.now() - 30_000).toISOString()],
        {
          cwd: dir.path,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const output = childOutput(child, 'vpnctl audit --follow');
      await output.waitFor(new RegExp(`"id":"${first.id}"`), { timeoutMs: 30_000 });
      const second = await revoke();
      const text = await output.waitFor(new RegExp(`"id":"${second.id}"`), { timeoutMs: 30_000 });
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const lines = text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const ids = lines.map((line) => line.id);
      expect(ids.filter((id) => id === first.id)).toHaveLength(1);
      expect(ids.filter((id) => id === second.id)).toHaveLength(1);
      expect(lines.find((line) => line.id === second.id)).toEqual({
        ...second,
        at: second.at.toISOString(),
      });
    }, 90_000);

    it('prints a sentence per entry with names from the certificates, --json the raw entries', async () => {
      const human = await run(process.execPath, [BIN, 'audit'], { cwd: dir.path, env, timeoutMs: 60_000 });
      expect(human.code).toBe(0);
      expect(human.stdout).toContain("U0ADMIN revoked Alice Example's laptop certificate: key compromised");
      const json = await run(process.execPath, [BIN, 'audit', '--json'], { cwd: dir.path, env, timeoutMs: 60_000 });
      const entries = json.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as AuditEntry);
      expect(entries.length).toBeGreaterThanOrEqual(3);
      expect(entries[0]).toMatchObject({ actor: ADA, action: 'certificate.revoke', target: ALICE });
      expect(
        (
          await run(process.execPath, [BIN, 'audit', '--follow', '--until', '2026-01-01'], {
            cwd: dir.path,
            env,
            timeoutMs: 60_000,
          })
        ).code,
      ).toBe(2);
    }, 90_000);
  });
});
