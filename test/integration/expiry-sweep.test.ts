import type { CertificateRecord } from '../../src/domain/certificate';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/domain/time';
import { randomSerial } from '../../src/pki/serial';
import type { LiveCrl, VpnEndpoint, VpnSession } from '../../src/ports';
import { ExpirySweepDeps, sweepExpiry } from '../../src/services/expiry-sweep';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';
import { serviceWorld } from '../helpers/world';

/** Sessions in memory; `failing` terminate calls (1-based) throw, as an endpoint that stops answering would. */
class SessionsEndpoint implements VpnEndpoint {
  readonly key = 'openvpn:sessions';
  readonly kind = 'openvpn' as const;
  sessions: VpnSession[] = [];
  listCalls = 0;
  private terminateCalls = 0;
  constructor(private readonly failing: number[] = []) {}
  async listSessions() {
    this.listCalls++;
    return [...this.sessions];
  }
  async terminateSessions(ids: string[]) {
    if (this.failing.includes(++this.terminateCalls)) throw new Error('the management interface did not answer');
    this.sessions = this.sessions.filter((session) => !ids.includes(session.connectionId));
    return ids;
  }
  async importCrl() {
    throw new Error('an expiry never imports a CRL');
  }
  async exportCrl(): Promise<LiveCrl> {
    return {};
  }
  async clientConfiguration() {
    return '';
  }
  async health() {
    return { ok: true, detail: 'in memory' };
  }
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the expiry sweep on DynamoDB Local',
  () => {
    let world: Awaited<ReturnType<typeof serviceWorld>>;
    const now = new Date('2026-12-05T12:00:00Z');
    const clock = { now: () => now };
    let n = 0;
    const record = (notAfter: Date, lifetimeHours: number, overrides: Partial<CertificateRecord> = {}) => {
      const i = ++n;
      const issuedAt = new Date(notAfter.getTime() - lifetimeHours * HOUR_MS);
      return {
        serial: randomSerial(),
        cn: `member${i}--abcde-U0M${i}.vpn.test`,
        slackId: `U0M${i}`,
        status: 'active',
        issuedAt,
        notBefore: new Date(issuedAt.getTime() - 5 * MINUTE_MS),
        notAfter,
        source: 'issued',
        issuedBy: `U0M${i}`,
        ...overrides,
      } as CertificateRecord;
    };
    const sessionOf = (certificate: CertificateRecord): VpnSession => ({
      connectionId: `conn-${certificate.serial}`,
      commonName: certificate.cn,
    });

    beforeAll(async () => {
      world = await serviceWorld();
    });
    afterAll(() => world?.close());

    it('ends expired sessions in batches from one listing, leaves the rest, reports a failed batch, and finishes it next time', async () => {
      const expired = Array.from({ length: 250 }, (_, i) => record(new Date(now.getTime() - (i + 1) * 10_000), 8));
      const long = record(new Date(now.getTime() - 2 * DAY_MS), 8);
      const revoked = record(new Date(now.getTime() - HOUR_MS), 8, {
        status: 'revoked',
        revokedAt: now,
        reason: 'affiliationChanged',
        revokedBy: 'U0ADMIN',
      });
      const live = Array.from({ length: 5 }, () => record(new Date(now.getTime() + HOUR_MS), 8));
      await world.certificates.importMany([...expired, long, revoked, ...live]);
      const endpoint = new SessionsEndpoint([2]);
      endpoint.sessions = [...expired, long, revoked, ...live].map(sessionOf);
      const deps: ExpirySweepDeps = {
        certificates: world.certificates,
        audit: world.audit,
        endpoints: [endpoint],
        clock,
        certDays: 365,
      };
      const audits = async () =>
        (
          await world.audit.query({ actor: 'system:expiry', since: new Date(now.getTime() - DAY_MS), until: now })
        ).filter((entry) => entry.action === 'sessions.expire');

      const first = await sweepExpiry(deps);
      expect(first).toMatchObject({
        expired: 250,
        sessions: [{ endpoint: 'openvpn:sessions', found: 250, terminated: 150 }],
        warned: [],
      });
      expect(first.problems).toEqual([
        'openvpn:sessions: 100 of 250 expired sessions could not be ended; the next run tries again',
      ]);
      expect(endpoint.listCalls).toBe(1);
      expect((await audits()).map((entry) => [entry.outcome, entry.details?.found]).sort()).toEqual([
        ['failure', 100],
        ['success', 100],
        ['success', 50],
      ]);

      const second = await sweepExpiry(deps);
      expect(second.sessions).toEqual([{ endpoint: 'openvpn:sessions', found: 100, terminated: 100 }]);
      expect(second.problems).toEqual([]);
      const third = await sweepExpiry(deps);
      expect(third.sessions).toEqual([{ endpoint: 'openvpn:sessions', found: 0, terminated: 0 }]);
      expect(await audits()).toHaveLength(4);
      // Older expiries are the daily sweep's, revoked ones the revocation's; live ones stay.
      expect(endpoint.sessions.map((session) => session.commonName).sort()).toEqual(
        [long, revoked, ...live].map((certificate) => certificate.cn).sort(),
      );
    });

    it('warns the owner of time-boxed access once, gives the claim back when the DM fails, and skips the rest', async () => {
      const soon = new Date(now.getTime() + 10 * MINUTE_MS);
      const timeBoxed = record(soon, 8);
      const yearLong = record(soon, 365 * 24);
      const paused = record(soon, 8, { status: 'suspended' });
      const extended = record(soon, 8, { replacedBy: 'ABCDEF' });
      const later = record(new Date(now.getTime() + 30 * MINUTE_MS), 8);
      await world.certificates.importMany([timeBoxed, yearLong, paused, extended, later]);
      const told: string[] = [];
      let fail = 1;
      const deps: ExpirySweepDeps = {
        certificates: world.certificates,
        audit: world.audit,
        endpoints: [],
        clock,
        certDays: 365,
        idempotency: world.idempotency,
        notifier: {
          endingSoon: async (certificate) => {
            if (fail-- > 0) throw new Error('Slack is down');
            told.push(certificate.serial);
          },
        },
      };
      const first = await sweepExpiry(deps);
      expect(first.warned).toEqual([]);
      expect(first.problems).toEqual([
        `warning for ${timeBoxed.serial} not sent (the next run tries again): Slack is down`,
      ]);
      const [a, b] = await Promise.all([sweepExpiry(deps), sweepExpiry(deps)]);
      expect([...a.warned, ...b.warned]).toEqual([timeBoxed.serial]);
      expect((await sweepExpiry(deps)).warned).toEqual([]);
      expect(told).toEqual([timeBoxed.serial]);
    });
  },
);
