import type { Approval } from '../../src/domain/approval';
import type { CertificateRecord } from '../../src/domain/certificate';
import type { AccessRequest } from '../../src/domain/access';
import type { AccessRequestStore, AuditLog, CertificateStore, ExpiryNotifier, VpnEndpoint } from '../../src/ports';
import { DailyDeps, runDaily } from '../../src/services/daily';
import type { RevokeRequest } from '../../src/services/revoke';
import { certificateRecord } from '../helpers/records';
import type { RevocationReport } from '../../src/domain/revocation-report';

const DAY_MS = 86_400_000;
const NOW = new Date('2027-03-10T06:00:00Z');

/** A certificate renewed eight days ago whose replacement was never used: past its grace period. */
function renewedPair(name: string): { old: CertificateRecord; replacement: CertificateRecord } {
  const replacement = certificateRecord({ serial: `${name}-new`, replaces: `${name}-old` });
  const old = certificateRecord({
    serial: `${name}-old`,
    notAfter: new Date(NOW.getTime() + 20 * DAY_MS),
    replacedBy: replacement.serial,
    replacedAt: new Date(NOW.getTime() - 8 * DAY_MS),
  });
  return { old, replacement };
}

/** In-memory certificates and audit log, no endpoints: the CRL side is covered by the integration tests. */
function fakes(records: CertificateRecord[], overrides: Partial<DailyDeps> = {}) {
  const byId = new Map(records.map((record) => [record.serial, record]));
  const revoked: RevokeRequest[] = [];
  const audited: string[] = [];
  const certificates = {
    get: async (serial: string) => byId.get(serial),
    expiring: async (from: Date, to: Date) =>
      records.filter((record) => record.notAfter > from && record.notAfter <= to),
  } as unknown as CertificateStore;
  const deps = {
    certificates,
    audit: {
      append: async (entry) => (audited.push(`${entry.action} by ${entry.actor}`), { ...entry, id: 'x', at: NOW }),
    } as Pick<AuditLog, 'append'>,
    clock: { now: () => NOW },
    endpoints: [],
    revoke: async (request: RevokeRequest): Promise<RevocationReport> => {
      revoked.push(request);
      const record = byId.get((request.target as { serial: string }).serial)!;
      return { revoked: [record], alreadyRevoked: [], failed: [], sessions: [], crl: [] };
    },
    renewBeforeDays: 20,
    ...overrides,
  } as DailyDeps;
  return { deps, revoked, audited };
}

describe('the daily job (services/daily.ts)', () => {
  it('retires replaced certificates past their grace period, tells their owners, and goes on past one that fails', async () => {
    const alice = renewedPair('alice');
    const bob = renewedPair('bob');
    const told: string[] = [];
    const expiry = {
      retired: async (old: CertificateRecord, _replacement: CertificateRecord, why: string) =>
        void told.push(`${old.serial}:${why}`),
    } as unknown as ExpiryNotifier;
    const { deps, revoked } = fakes([alice.old, alice.replacement, bob.old, bob.replacement], { expiry });
    const revoke = deps.revoke;
    deps.revoke = async (request) =>
      (request.target as { serial: string }).serial === 'alice-old'
        ? Promise.reject(new Error('DynamoDB is unreachable'))
        : revoke(request);

    const report = await runDaily(deps, 'system:test');

    expect(revoked.map((request) => [request.target, request.reason, request.actor])).toEqual([
      [{ serial: 'bob-old' }, 'superseded', 'system:renewal-grace-period'],
    ]);
    expect(report.retired).toEqual(['bob-old']);
    expect(told).toEqual(['bob-old:grace-period']);
    expect(report.problems).toEqual(['retiring alice-old: DynamoDB is unreachable']);
    // Without "sent once" claims there are no reminders, and that is not a problem.
    expect(report).toMatchObject({ renewals: [], sessions: [], reminders: undefined, digest: undefined, abandoned: 0 });
  });

  it('closes logins left waiting a minute past their deadline, as the given actor', async () => {
    const pending = {
      id: 'a1',
      status: 'PENDING',
      cn: 'alice.phone',
      requestedAt: new Date(NOW.getTime() - DAY_MS),
      request: { endpointId: 'openvpn:local' },
    } as unknown as Approval;
    let asked: Date | undefined;
    const decided: string[] = [];
    const approvals = {
      unclosed: async (before: Date) => ((asked = before), [pending]),
      decide: async (id: string, status: string, by: string) => (decided.push(`${id}:${status}:${by}`), true),
    };
    const { deps, audited } = fakes([], { approvals });

    const report = await runDaily(deps, 'system:test');

    expect(asked).toEqual(new Date(NOW.getTime() - 60_000));
    expect(decided).toEqual(['a1:EXPIRED:system:test']);
    expect(audited).toEqual(['approval.decide by system:test']);
    expect(report).toMatchObject({ abandoned: 1, problems: [] });
  });

  it('closes access requests nobody decided within 24 h, each audited once, and skips one decided meanwhile', async () => {
    const lapsed = (id: string) =>
      ({ id, requester: `U0${id}`, state: 'pending', expiresAt: new Date(NOW.getTime() - 1) }) as AccessRequest;
    let asked: Date | undefined;
    const accessRequests = {
      lapsed: async (now: Date) => ((asked = now), [lapsed('A'), lapsed('B')]),
      // B was approved a moment ago: the conditional write finds it no longer pending.
      expire: async (id: string) => (id === 'A' ? { ...lapsed(id), state: 'expired' } : undefined),
    } as unknown as AccessRequestStore;
    const { deps, audited } = fakes([], { accessRequests });

    const report = await runDaily(deps, 'system:test');

    expect(asked).toEqual(NOW);
    expect(audited).toEqual(['access.request.expire by system:test']);
    expect(report).toMatchObject({ expiredRequests: 1, problems: [] });
  });

  it('reminds owners and sends the weekly digest, and reports a store that cannot be read instead of throwing', async () => {
    const expiring = certificateRecord({ serial: 'carol', notAfter: new Date(NOW.getTime() + 6 * DAY_MS) });
    const reminded: string[] = [];
    const digests: number[] = [];
    const expiry = {
      remind: async ({ record, threshold }: { record: CertificateRecord; threshold: number }) =>
        void reminded.push(`${record.serial}:${threshold}`),
      digest: async (entries: unknown[]) => void digests.push(entries.length),
    } as unknown as ExpiryNotifier;
    const idempotency = { claim: async () => true, release: async () => undefined };
    const { deps } = fakes([expiring], { expiry, idempotency });

    expect(await runDaily(deps, 'system:test')).toMatchObject({
      reminders: { sent: [{ serial: 'carol', threshold: 7 }], failed: [] },
      digest: true,
      problems: [],
    });
    expect(reminded).toEqual(['carol:7']);
    expect(digests).toEqual([1]);

    deps.certificates.expiring = () => Promise.reject(new Error('throttled'));
    expect(await runDaily(deps, 'system:test')).toMatchObject({
      retired: [],
      reminders: undefined,
      digest: undefined,
      problems: ['reading replaced certificates: throttled', 'reading expiring certificates: throttled'],
    });
  });

  it('ends only after the reminders under way, even when the CRL work throws: a returned Lambda run is frozen', async () => {
    const expiring = certificateRecord({ serial: 'dave', notAfter: new Date(NOW.getTime() + 6 * DAY_MS) });
    const events: string[] = [];
    let letItGo!: () => void;
    const held = new Promise<void>((resolve) => (letItGo = resolve));
    const expiry = {
      remind: async () => {
        events.push('reminder posting');
        await held;
        events.push('reminder posted');
      },
      digest: async () => undefined,
    } as unknown as ExpiryNotifier;
    const idempotency = { claim: async () => true, release: async () => undefined };
    const endpoint = { key: 'openvpn:test', exportCrl: () => Promise.reject(new Error('no answer')) };
    const crlState = { getEndpoint: () => Promise.reject(new Error('DynamoDB is unreachable')) };
    const { deps } = fakes([expiring], {
      expiry,
      idempotency,
      endpoints: [endpoint as unknown as VpnEndpoint],
      crlState: crlState as unknown as DailyDeps['crlState'],
    });

    const run = runDaily(deps, 'system:test').catch((error: Error) => void events.push(`run failed: ${error.message}`));
    // Bounded: enough turns of the event loop for the CRL work to fail while the DM is still being posted.
    for (let turn = 0; turn < 20; turn++) await new Promise(setImmediate);
    letItGo();
    await run;

    expect(events).toEqual(['reminder posting', 'reminder posted', 'run failed: DynamoDB is unreachable']);
  });
});
