import { isInWindow, nextWindowStart, parseWindow } from '../../src/domain/window';
import { createCa, loadCa } from '../../src/pki/ca';
import { buildCrl, parseCrl } from '../../src/pki/crl';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { seededRandom } from '../helpers/endpoints';
import { describeWith } from '../helpers/tools';
import { serviceWorld } from '../helpers/world';

const DAY = 86_400_000;
/** A Sunday, 04:00 UTC: inside the default `Sun 03:00-05:00 UTC` window once a week. */
const START = new Date('2027-01-03T04:00:00Z');

type World = Awaited<ReturnType<typeof serviceWorld>>;

/** Run the daily job once per simulated day; return the live CRL's days left after each run. */
async function simulate(world: World, days: number, clock: { now: Date }, each?: (day: number) => Promise<void>) {
  const daysLeftAfterRun: number[] = [];
  for (let day = 0; day < days; day++) {
    clock.now = new Date(START.getTime() + day * DAY);
    await each?.(day);
    await world.admin.daily();
    const live = parseCrl((await world.inner.exportCrl()).pem!, world.ca);
    daysLeftAfterRun.push((live.nextUpdate!.getTime() - clock.now.getTime()) / DAY);
  }
  return daysLeftAfterRun;
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'CRL renewal over two simulated years',
  () => {
    let world: World;
    afterEach(() => world?.close());

    it.each(['immediate', 'window'] as const)(
      'never lets the endpoint hold an expired CRL with 10%% of imports failing (%s mode)',
      async (mode) => {
        const clock = { now: START };
        const random = seededRandom(mode === 'window' ? 7 : 42);
        let failures = 0;
        world = await serviceWorld({
          env: { CRL_PUBLISH_MODE: mode },
          clock: { now: () => clock.now },
          hooks: {
            beforeImport: () => {
              if (random() < 0.1) {
                failures++;
                throw new Error('simulated import failure');
              }
            },
          },
        });
        // A deployment starts from a published CRL (vpnctl crl publish retries until it succeeds).
        while ((await world.admin.publishAll('U0ADMIN'))[0].outcome !== 'published');
        const leavers: { serial: string; notAfter: Date }[] = [];
        const daysLeft = await simulate(world, 730, clock, async (day) => {
          if (day % 15 !== 10) return;
          const member = await world.enrol(`Leaver ${day}`, `U0DAY${day}`);
          await world.admin.revoke({
            target: { serial: member.serial },
            reason: 'affiliationChanged',
            actor: 'U0ADMIN',
          });
          leavers.push(member);
        });

        // The CRL is never expired, and never even close to it (renewal starts at 30 days left).
        expect(Math.min(...daysLeft)).toBeGreaterThan(20);
        expect(failures).toBeGreaterThan(0);
        // No alert fired while the CRL still had fewer than 7 days left: nothing ever got that far.
        expect(world.alerts.filter((alert) => alert.daysLeft < 7)).toEqual([]);
        // Every revocation of a still-valid certificate is on the endpoint; expired ones were pruned.
        const live = new Set(parseCrl((await world.inner.exportCrl()).pem!, world.ca).revocations.map((r) => r.serial));
        const unexpired = leavers.filter((l) => l.notAfter > clock.now).map((l) => l.serial);
        expect(unexpired.length).toBeGreaterThan(10);
        expect(unexpired.filter((serial) => !live.has(serial))).toEqual([]);
        expect([...live].every((serial) => leavers.some((l) => l.serial === serial))).toBe(true);
        expect(live.size).toBeLessThan(leavers.length);
      },
      240_000,
    );

    it('alerts once when the endpoint has no CRL and none can be published', async () => {
      const clock = { now: START };
      world = await serviceWorld({
        clock: { now: () => clock.now },
        hooks: { beforeImport: () => Promise.reject(new Error('endpoint unreachable')) },
      });
      for (let day = 0; day < 3; day++) {
        clock.now = new Date(START.getTime() + day * DAY);
        expect((await world.admin.daily()).renewals[0]).toMatchObject({
          action: 'failed',
          drift: ['the endpoint has no CRL'],
        });
      }
      expect(world.alerts).toEqual([
        expect.objectContaining({
          level: 'critical',
          message: expect.stringMatching(/missing or unreadable \(the endpoint has no CRL\).*endpoint unreachable/),
        }),
      ]);
    });

    it('alerts at 14, 7, 3 and 1 days left and on expiry, once each, while renewal keeps failing', async () => {
      const clock = { now: START };
      let broken = false;
      world = await serviceWorld({
        clock: { now: () => clock.now },
        hooks: {
          beforeImport: () =>
            broken
              ? Promise.reject(new Error('AccessDenied: ec2:ImportClientVpnClientCertificateRevocationList'))
              : undefined,
        },
      });
      await world.admin.publishAll('U0ADMIN');
      broken = true;
      // The CRL has 180 days; renewal starts failing at 30 days left (day 150) and never recovers.
      const daysLeft = await simulate(world, 185, clock);
      expect(world.alerts.map((a) => a.level)).toEqual(['warning', 'warning', 'critical', 'critical', 'critical']);
      const [fourteen, seven, three, one, expired] = world.alerts;
      expect(fourteen.daysLeft).toBeGreaterThan(13);
      expect(fourteen.daysLeft).toBeLessThanOrEqual(14);
      expect(seven.daysLeft).toBeGreaterThan(6);
      expect(three.daysLeft).toBeGreaterThan(2);
      expect(one.daysLeft).toBeGreaterThan(0);
      expect(fourteen.message).toMatch(
        /expires in 1[34]\.\d days.*AccessDenied: ec2:ImportClientVpnClientCertificateRevocationList/,
      );
      expect(expired.message).toMatch(/EXPIRED: every VPN connection is refused/);
      expect(daysLeft.at(-1)).toBeLessThan(0);
    }, 120_000);
  },
);

describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'CRL renewal repairs drift', () => {
  let world: World;
  /** Time moves one second per reading, so a revocation always precedes the publish that follows it. */
  let now: number;
  afterEach(() => world?.close());

  async function driftWorld() {
    now = Date.now();
    world = await serviceWorld({ clock: { now: () => new Date((now += 1000)) } });
    const revoke = async (name: string, slackId: string) => {
      const member = await world.enrol(name, slackId);
      const report = await world.admin.revoke({
        target: { serial: member.serial },
        reason: 'keyCompromise',
        actor: 'U0ADMIN',
      });
      expect(report.crl[0]).toMatchObject({ outcome: 'published' });
      return { member, pem: (await world.inner.exportCrl()).pem! };
    };
    return { revoke, now: () => new Date(now) };
  }

  /** The daily job saw exactly `drift`, republished, and the endpoint now holds our newest CRL listing every revoked serial. */
  async function expectRepaired(drift: string[], serials: string[], number: bigint) {
    const imports = world.endpoint.imports.length;
    const { renewals } = await world.admin.daily();
    expect(renewals).toEqual([
      expect.objectContaining({
        action: 'renewed',
        drift,
        publish: expect.objectContaining({ outcome: 'published', crlNumber: number }),
      }),
    ]);
    expect(world.endpoint.imports).toHaveLength(imports + 1);
    const live = parseCrl((await world.inner.exportCrl()).pem!, world.ca);
    expect(live).toMatchObject({ number, signedBy: { signatureValid: true, issuerMatches: true } });
    expect(live.revocations.map((r) => r.serial).sort()).toEqual([...serials].sort());
    expect(await world.crlState.getEndpoint('openvpn:test')).toMatchObject({
      crlNumber: String(number),
      lastError: undefined,
    });
    expect(await world.audit.query({ target: 'openvpn:test', until: new Date(now) })).toContainEqual(
      expect.objectContaining({
        action: 'crl.renew',
        outcome: 'success',
        details: expect.objectContaining({ drift, outcome: 'published' }),
      }),
    );
    // Repaired for good: the next run finds nothing to do.
    expect((await world.admin.daily()).renewals[0]).toMatchObject({ action: 'none', drift: [] });
  }

  it('replaces a CRL signed by a foreign CA with the same name, even one listing every serial we revoked', async () => {
    const { revoke, now } = await driftWorld();
    const { member: bob } = await revoke('Bob', 'U0BOB');
    // Same subject, other key: only the signature tells it apart. A higher number and Bob's serial leave nothing else to notice.
    const foreign = loadCa(await createCa({ commonName: 'Test VPN CA' }));
    const forged = buildCrl({
      ca: foreign,
      number: 7n,
      revocations: [{ serial: bob.serial, revokedAt: now(), reason: 'keyCompromise' }],
      now: now(),
    });
    expect(parseCrl(forged.pem, world.ca).signedBy).toEqual({ signatureValid: false, issuerMatches: true });
    await world.inner.importCrl(forged.pem);

    await expectRepaired(['the live CRL is not signed by our CA'], [bob.serial], 2n);
  });

  it('replaces an older CRL of ours put back on the endpoint (a restored backup) with the newest, listing the later revocation', async () => {
    const { revoke } = await driftWorld();
    const { member: bob, pem: first } = await revoke('Bob', 'U0BOB');
    const { member: carol } = await revoke('Carol', 'U0CAROL');
    expect(parseCrl(first).number).toBe(1n);
    await world.inner.importCrl(first);

    await expectRepaired(
      ['the live CRL is #1, older than our last publish #2', '1 revoked certificate(s) are missing from the live CRL'],
      [bob.serial, carol.serial],
      3n,
    );
  });

  it('republishes when a CRL of ours, as new as our last, lacks a serial revoked before that publish', async () => {
    const { revoke, now } = await driftWorld();
    const { member: bob, pem: first } = await revoke('Bob', 'U0BOB');
    const { member: carol } = await revoke('Carol', 'U0CAROL');
    // Signed with our key and numbered like our last publish, but made without Carol (e.g. by hand from a stale index).
    const stale = buildCrl({ ca: world.ca, number: 2n, revocations: parseCrl(first).revocations, now: now() });
    await world.inner.importCrl(stale.pem);

    await expectRepaired(['1 revoked certificate(s) are missing from the live CRL'], [bob.serial, carol.serial], 3n);
  });
});

describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'CRL renewal in window mode', () => {
  const WINDOW = 'Sun 03:00-05:00 UTC';
  /** START's CRL has 180 days: it expires on Friday 2027-07-02 04:00 UTC. */
  const EXPIRES = new Date('2027-07-02T04:00:00Z');
  let world: World;
  afterEach(() => world?.close());

  async function windowWorld() {
    const clock = { now: START };
    world = await serviceWorld({
      env: { CRL_PUBLISH_MODE: 'window', CRL_WINDOW: WINDOW },
      clock: { now: () => clock.now },
    });
    expect(await world.admin.publishAll('U0ADMIN')).toEqual([
      expect.objectContaining({ outcome: 'published', crlNumber: 1n, nextUpdate: EXPIRES }),
    ]);
    return clock;
  }

  it('defers a due renewal outside the window without importing, and renews inside it', async () => {
    const clock = await windowWorld();
    clock.now = new Date('2027-06-12T10:00:00Z'); // Saturday, 19.75 days left: due (renew before 30), not urgent.
    expect(isInWindow(parseWindow(WINDOW), clock.now)).toBe(false);
    expect((await world.admin.daily()).renewals).toEqual([
      { endpoint: 'openvpn:test', daysLeft: 19.75, drift: [], action: 'waiting-for-window', alerts: [] },
    ]);
    expect(world.endpoint.imports).toHaveLength(1);
    expect(parseCrl((await world.inner.exportCrl()).pem!).number).toBe(1n);

    clock.now = new Date('2027-06-13T04:00:00Z'); // Sunday, inside the window.
    expect((await world.admin.daily()).renewals[0]).toMatchObject({
      action: 'renewed',
      daysLeft: 19,
      publish: { outcome: 'published', crlNumber: 2n },
    });
    expect(world.endpoint.imports).toHaveLength(2);
    expect(parseCrl((await world.inner.exportCrl()).pem!, world.ca)).toMatchObject({
      number: 2n,
      nextUpdate: new Date('2027-12-10T04:00:00Z'),
    });
    expect(world.alerts).toEqual([]);
  });

  it('renews at once outside the window when fewer than 3 days are left, rather than wait for a window after expiry', async () => {
    const clock = await windowWorld();
    clock.now = new Date('2027-06-29T16:00:00Z'); // Tuesday, 2.5 days left; the next window opens two days after expiry.
    const window = parseWindow(WINDOW);
    expect(isInWindow(window, clock.now)).toBe(false);
    expect(nextWindowStart(window, clock.now).getTime()).toBeGreaterThan(EXPIRES.getTime());

    expect((await world.admin.daily()).renewals[0]).toMatchObject({
      action: 'renewed',
      daysLeft: 2.5,
      drift: [],
      publish: { outcome: 'published', crlNumber: 2n },
    });
    expect(world.endpoint.imports).toHaveLength(2);
    expect(parseCrl((await world.inner.exportCrl()).pem!, world.ca)).toMatchObject({
      number: 2n,
      nextUpdate: new Date('2027-12-26T16:00:00Z'),
    });
  });
});
