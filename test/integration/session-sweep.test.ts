import type { VpnSession } from '../../src/ports';
import type { CertificateStore } from '../../src/ports';
import { LOOK_UP_CNS_UP_TO, sweepSessions } from '../../src/services/sessions';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { certificateRecord } from '../helpers/records';
import { describeWith } from '../helpers/tools';
import { serviceWorld } from '../helpers/world';

/**
 * The daily sweep finds sessions by CN, as Client VPN lists them. The sessions come from the endpoint
 * stand-in (InstrumentedEndpoint's hook): what is proven here is which CNs the sweep picks from DynamoDB
 * Local, not how an endpoint ends a session (test/e2e/revoke-openvpn.test.ts does that on a real server).
 */
describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'session sweep after a re-issue', () => {
  let sessions: VpnSession[] = [];
  let world: Awaited<ReturnType<typeof serviceWorld>>;

  beforeAll(async () => {
    world = await serviceWorld({ hooks: { sessions: () => sessions } });
  });
  afterAll(() => world?.close());

  it("ends the revoked certificate's session and keeps its successor's, for the same member and device", async () => {
    const first = await world.admin.issue({
      slackId: 'U0SWEEP',
      displayName: 'Sam Sweep',
      device: 'laptop',
      actor: 'U0ADMIN',
    });
    await world.certificates.markRevoked(first.record.serial, {
      revokedAt: new Date(),
      reason: 'keyCompromise',
      actor: 'U0ADMIN',
    });
    const second = await world.admin.issue({
      slackId: 'U0SWEEP',
      displayName: 'Sam Sweep',
      device: 'laptop',
      actor: 'U0ADMIN',
    });

    // A revoked session that survived its revocation (say, a failed termination), next to the new one.
    sessions = [
      { connectionId: 'stolen', commonName: first.record.cn },
      { connectionId: 'owner', commonName: second.record.cn },
    ];
    const step = await sweepSessions(world.endpoint, {
      certificates: world.certificates,
      audit: world.audit,
      clock: { now: () => new Date() },
      actor: 'system:daily',
    });
    expect(step).toEqual({ endpoint: world.endpoint.key, terminated: 1 });
    expect(world.endpoint.terminated).toEqual(['stolen']);
    expect(second.record.cn).not.toBe(first.record.cn);
  });
  describe('with more CNs online than are looked up one by one', () => {
    const DAY = 86_400_000;
    const now = Date.now();
    const person = (i: number, tag: string) => ({ slackId: `U0S${i}`, cn: `p${i}.${tag}-U0S${i}.vpn.test` });
    // Kept: active certificates. Ended: revoked, suspended, expired (not revoked), and CNs no certificate bears.
    const active = Array.from({ length: LOOK_UP_CNS_UP_TO + 20 }, (_, i) => certificateRecord(person(i, 'laptop')));
    const revoked = Array.from({ length: 15 }, (_, i) =>
      certificateRecord({
        ...person(i, 'phone'),
        status: 'revoked',
        revokedAt: new Date(now - DAY),
        reason: 'keyCompromise',
        revokedBy: 'U0ADMIN',
      }),
    );
    const suspended = Array.from({ length: 5 }, (_, i) =>
      certificateRecord({ ...person(i, 'tablet'), status: 'suspended' }),
    );
    const expired = Array.from({ length: 5 }, (_, i) =>
      certificateRecord({
        ...person(i, 'desktop'),
        notBefore: new Date(now - 2 * DAY),
        notAfter: new Date(now - 60_000),
      }),
    );
    const unknown = Array.from({ length: 5 }, (_, i) => person(i, 'unknown').cn);
    const doomed = [...[...revoked, ...suspended, ...expired].map((record) => record.cn), ...unknown];

    it('lists the active certificates once, and ends exactly the sessions no active certificate bears', async () => {
      await world.certificates.importMany([...active, ...revoked, ...suspended, ...expired]);
      sessions = [...active.map((record) => record.cn), ...doomed].map((commonName, i) => ({
        connectionId: `c${i}`,
        commonName,
      }));
      const calls = { list: 0, byActiveCn: 0 };
      const certificates = Object.create(world.certificates) as CertificateStore;
      certificates.list = (filter) => (calls.list++, world.certificates.list(filter));
      certificates.byActiveCn = (cn) => (calls.byActiveCn++, world.certificates.byActiveCn(cn));
      world.endpoint.terminated.length = 0;

      const step = await sweepSessions(world.endpoint, {
        certificates,
        audit: world.audit,
        clock: { now: () => new Date() },
        actor: 'system:daily',
      });

      expect(step).toEqual({ endpoint: world.endpoint.key, terminated: doomed.length });
      const ended = new Set(world.endpoint.terminated);
      expect(
        sessions
          .filter((session) => ended.has(session.connectionId))
          .map((session) => session.commonName)
          .sort(),
      ).toEqual([...doomed].sort());
      expect(calls).toEqual({ list: 1, byActiveCn: 0 });
    });
  });
});
