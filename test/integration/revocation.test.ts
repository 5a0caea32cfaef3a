import {
  DescribeClientVpnConnectionsCommand,
  EC2Client,
  EC2ServiceException,
  ExportClientVpnClientCertificateRevocationListCommand,
  ImportClientVpnClientCertificateRevocationListCommand,
  TerminateClientVpnConnectionsCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClientVpnEndpoint } from '../../src/adapters/aws-client-vpn/endpoint';
import { CertificateRecord } from '../../src/domain/certificate';
import { parseCrl } from '../../src/pki/crl';
import { CrlPublisher } from '../../src/services/publish-crl';
import type { RevokeRequest } from '../../src/services/revoke';
import { revocationReportMessage } from '../../src/slack/views/revocation-report';
import { InstrumentedEndpoint } from '../helpers/endpoints';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { VpnAdmin } from '../../src/services/vpn-admin';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { describeWith } from '../helpers/tools';
import { serviceWorld } from '../helpers/world';

type World = Awaited<ReturnType<typeof serviceWorld>>;
const DAY = 86_400_000;

describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'revocation and CRL publishing', () => {
  let world: World;
  afterEach(() => world?.close());

  /**
   * Carol's revocation has asked for a CRL but its database write is slow: it lands only once the CRL
   * of Bob's revocation (which the caller starts) is being imported.
   */
  async function carolMarkedDuringBobsImport(request: Omit<RevokeRequest, 'target'>) {
    let importStarted!: () => void;
    const firstImport = new Promise<void>((resolve) => (importStarted = resolve));
    world = await serviceWorld({ hooks: { beforeImport: (_pem, call) => void (call === 1 && importStarted()) } });
    const bob = await world.enrol('Bob', 'U0BOB');
    const carol = await world.enrol('Carol', 'U0CAROL');
    const markRevoked = world.certificates.markRevoked.bind(world.certificates);
    jest.spyOn(world.certificates, 'markRevoked').mockImplementation(async (serial, change) => {
      if (serial === carol.serial) await firstImport;
      return markRevoked(serial, change);
    });
    const carolRevoked = world.admin.revoke({ ...request, target: { serial: carol.serial } });
    for (let i = 0; i < 100 && (await world.crlState.getEndpoint('openvpn:test'))?.requested !== 1; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await world.crlState.getEndpoint('openvpn:test')).toMatchObject({ requested: 1, pending: [carol.serial] });
    return { bob, carol, carolRevoked };
  }

  it('ends access three ways and reports each', async () => {
    world = await serviceWorld({
      hooks: {
        sessions: () => [
          { connectionId: '7', commonName: 'bob.laptop-U0BOB.vpn.test' },
          { connectionId: '8', commonName: 'jane-U0JANE.vpn.test' },
        ],
      },
    });
    const bob = await world.enrol('Bob', 'U0BOB', 'laptop');
    await world.enrol('Jane', 'U0JANE');
    const report = await world.admin.revoke({
      target: { slackId: 'U0BOB' },
      reason: 'affiliationChanged',
      actor: 'U0ADMIN',
    });

    expect(report.revoked).toEqual([{ serial: bob.serial, cn: bob.cn, notAfter: bob.notAfter }]);
    expect((await world.certificates.get(bob.serial))?.status).toBe('revoked');
    expect(await world.certificates.byActiveCn(bob.cn)).toBeUndefined();
    expect(report.sessions).toEqual([{ endpoint: 'openvpn:test', terminated: 1 }]);
    expect(world.endpoint.terminated).toEqual(['7']);
    expect(report.crl).toEqual([
      expect.objectContaining({ endpoint: 'openvpn:test', outcome: 'published', entries: 1 }),
    ]);
    const live = parseCrl((await world.inner.exportCrl()).pem!, world.ca);
    expect(live.revocations.map((r) => [r.serial, r.reason])).toEqual([[bob.serial, 'affiliationChanged']]);

    const trail = await world.audit.query({});
    expect(trail.map((e) => `${e.action}:${e.outcome}`)).toEqual([
      'certificate.revoke:success',
      'sessions.terminate:success',
      'crl.publish:success',
    ]);

    const again = await world.admin.revoke({
      target: { slackId: 'U0BOB' },
      reason: 'affiliationChanged',
      actor: 'U0ADMIN',
    });
    // Nothing new to revoke, and nothing to import: the session is gone and the live CRL lists Bob.
    expect(again).toEqual({
      revoked: [],
      alreadyRevoked: [bob.serial],
      failed: [],
      sessions: [{ endpoint: 'openvpn:test', terminated: 0 }],
      crl: [],
    });
    expect(world.endpoint.imports).toHaveLength(1);
  });

  it('says so for an unknown member or serial, and changes nothing', async () => {
    world = await serviceWorld();
    await expect(
      world.admin.revoke({ target: { slackId: 'U0NOBODY' }, reason: 'unspecified', actor: 'U0ADMIN' }),
    ).rejects.toThrow('U0NOBODY has no certificates.');
    await expect(
      world.admin.revoke({ target: { serial: '0A0B' }, reason: 'unspecified', actor: 'U0ADMIN' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await world.audit.query({})).toEqual([]);
    expect((await world.inner.exportCrl()).pem).toBeUndefined();
  });

  it('reports a session step that keeps failing, and still publishes the CRL', async () => {
    world = await serviceWorld({ hooks: { sessions: () => Promise.reject(new Error('management interface down')) } });
    const bob = await world.enrol('Bob', 'U0BOB');
    const report = await world.admin.revoke({
      target: { serial: bob.serial },
      reason: 'keyCompromise',
      actor: 'U0ADMIN',
    });
    expect(report.sessions).toEqual([{ endpoint: 'openvpn:test', terminated: 0, error: 'management interface down' }]);
    expect(report.crl[0]).toMatchObject({ outcome: 'published' });
    expect((await world.audit.query({ target: 'openvpn:test' })).map((e) => `${e.action}:${e.outcome}`)).toEqual([
      'sessions.terminate:failure',
      'crl.publish:success',
    ]);
  }, 20_000);

  it('lists all 50 of 50 concurrent revocations on the final CRL, with fewer imports than revocations', async () => {
    world = await serviceWorld();
    const members = await Promise.all(Array.from({ length: 50 }, (_, i) => world.enrol(`Leaver ${i}`, `U0LEAVE${i}`)));
    const reports = await Promise.all(
      members.map((m) =>
        world.admin.revoke({ target: { serial: m.serial }, reason: 'affiliationChanged', actor: 'U0ADMIN' }),
      ),
    );
    expect(reports.every((r) => r.revoked.length === 1)).toBe(true);
    // Every caller learns its revocation is on a published CRL: its own, or one it was confirmed to be part of.
    expect(reports.map((r) => r.crl[0].outcome).filter((o) => o !== 'published' && o !== 'coalesced')).toEqual([]);

    const live = parseCrl((await world.inner.exportCrl()).pem!, world.ca);
    expect(new Set(live.revocations.map((r) => r.serial))).toEqual(new Set(members.map((m) => m.serial)));
    const record = await world.crlState.getEndpoint('openvpn:test');
    // Each revocation asks twice: before marking the certificate (so a crash leaves the request on record) and after (the one it waits for).
    expect(record).toMatchObject({ requested: 100, served: 100, crlNumber: String(live.number), entries: 50 });
    expect(world.endpoint.imports.length).toBeLessThan(50);
    // Each import carried a higher number than the one before.
    const numbers = world.endpoint.imports.map((pem) => parseCrl(pem).number!);
    expect(numbers).toEqual([...numbers].sort((a, b) => (a < b ? -1 : 1)));
  }, 60_000);

  it('with the default coalescing window, revocations arriving within it share one import that lists them all', async () => {
    world = await serviceWorld();
    // The production wiring: no coalesceMs, so VpnAdmin's default window applies (serviceWorld turns it off).
    const admin = new VpnAdmin({ ...world.admin.deps, coalesceMs: undefined });
    const members = await Promise.all(Array.from({ length: 6 }, (_, i) => world.enrol(`Leaver ${i}`, `U0BURST${i}`)));
    // One every 50 ms: the last arrives a quarter of a second after the first, well within the window.
    const reports = await Promise.all(
      members.map(async (member, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 50));
        return admin.revoke({ target: { serial: member.serial }, reason: 'affiliationChanged', actor: 'U0ADMIN' });
      }),
    );
    expect(reports.map((r) => r.crl[0].outcome).sort()).toEqual([
      'coalesced',
      'coalesced',
      'coalesced',
      'coalesced',
      'coalesced',
      'published',
    ]);
    expect(world.endpoint.imports).toHaveLength(1);
    const imported = parseCrl(world.endpoint.imports[0], world.ca);
    expect(imported.number).toBe(1n);
    expect(imported.revocations.map((r) => r.serial).sort()).toEqual(members.map((m) => m.serial).sort());
    expect(await world.crlState.getEndpoint('openvpn:test')).toMatchObject({
      requested: 12,
      served: 12,
      crlNumber: '1',
      entries: 6,
    });
  });

  it('lists a revocation whose request a CRL build read before the certificate was marked revoked, before confirming it', async () => {
    const { bob, carol, carolRevoked } = await carolMarkedDuringBobsImport({
      reason: 'keyCompromise',
      actor: 'U0ADMIN',
    });
    await world.admin.revoke({ target: { serial: bob.serial }, reason: 'keyCompromise', actor: 'U0ADMIN' });
    expect(parseCrl(world.endpoint.imports[0]).revocations.map((r) => r.serial)).toEqual([bob.serial]);
    const carolReport = await carolRevoked;
    expect(carolReport.crl).toEqual([
      expect.objectContaining({ outcome: expect.stringMatching(/^(published|coalesced)$/) }),
    ]);
    // Confirmed means on the endpoint: a CRL built before Carol was marked revoked does not count.
    expect(
      parseCrl((await world.inner.exportCrl()).pem!)
        .revocations.map((r) => r.serial)
        .sort(),
    ).toEqual([bob.serial, carol.serial].sort());
  });

  it('keeps a queued revocation outstanding when a CRL build read its request before the certificate was marked revoked', async () => {
    // A renewal's retirement: its CRL entry is left to the daily job.
    const { bob, carol, carolRevoked } = await carolMarkedDuringBobsImport({
      reason: 'superseded',
      actor: 'system:renewal',
      crl: 'queued',
    });
    await world.admin.revoke({ target: { serial: bob.serial }, reason: 'keyCompromise', actor: 'U0ADMIN' });
    expect((await carolRevoked).crl).toEqual([expect.objectContaining({ outcome: 'deferred' })]);
    // Bob's publisher may have gone round again after Carol was marked; if it did not, her request is still open.
    const listed = parseCrl((await world.inner.exportCrl()).pem!).revocations.map((r) => r.serial);
    const record = (await world.crlState.getEndpoint('openvpn:test'))!;
    if (!listed.includes(carol.serial)) expect(record.requested).toBeGreaterThan(record.served);

    await world.admin.daily();
    expect(
      parseCrl((await world.inner.exportCrl()).pem!)
        .revocations.map((r) => r.serial)
        .sort(),
    ).toEqual([bob.serial, carol.serial].sort());
  });

  it('keeps an expired certificate on exactly one more CRL, then prunes it', async () => {
    let now = new Date();
    world = await serviceWorld({ clock: { now: () => now } });
    const listed = async () =>
      parseCrl((await world.inner.exportCrl()).pem!, world.ca)
        .revocations.map((r) => r.serial)
        .sort();
    const bob = await world.enrol('Bob', 'U0BOB');
    await world.admin.revoke({ target: { serial: bob.serial }, reason: 'keyCompromise', actor: 'U0ADMIN' });
    now = new Date(now.getTime() + 200 * DAY);
    const carol = await world.enrol('Carol', 'U0CAROL');
    await world.admin.revoke({ target: { serial: carol.serial }, reason: 'keyCompromise', actor: 'U0ADMIN' });
    expect(await listed()).toEqual([bob.serial, carol.serial].sort());

    // The first CRL issued after Bob's certificate expired still lists it (RFC 5280 §3.3)…
    now = new Date(bob.notAfter.getTime() + 3_600_000);
    expect(await world.admin.publishAll('U0ADMIN')).toEqual([
      expect.objectContaining({ outcome: 'published', crlNumber: 3n, entries: 2 }),
    ]);
    expect(await listed()).toEqual([bob.serial, carol.serial].sort());
    // …and the next one no longer does; Carol's, still valid, stays.
    now = new Date(now.getTime() + DAY);
    expect(await world.admin.publishAll('U0ADMIN')).toEqual([
      expect.objectContaining({ outcome: 'published', crlNumber: 4n, entries: 1 }),
    ]);
    expect(await listed()).toEqual([carol.serial]);
    now = new Date(now.getTime() + DAY);
    await world.admin.publishAll('U0ADMIN');
    expect(await listed()).toEqual([carol.serial]);
    // Pruned from the CRL, not from history: the database still says revoked.
    expect(await world.certificates.get(bob.serial)).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
  });

  it('never lets an older CRL replace a newer one, even when a publisher stalls past its lease', async () => {
    world = await serviceWorld();
    let stalledAt!: () => void;
    const reachedExport = new Promise<void>((resolve) => (stalledAt = resolve));
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    // The slow publisher has taken CRL #1 and stops right before it looks at the endpoint.
    const slowView = new InstrumentedEndpoint(world.inner, {
      beforeExport: (call) => (call === 1 ? (stalledAt(), stalled) : undefined),
    });
    const slow = new CrlPublisher({
      ca: world.ca,
      certificates: world.certificates,
      crlState: world.crlState,
      audit: world.audit,
      clock: { now: () => new Date() },
      crlDays: 180,
      leaseMs: 50,
    });
    const first = slow.publish(slowView, 'U0SLOW');
    await reachedExport;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await world.admin.publisher.publish(world.endpoint, 'U0FAST');
    expect(second).toMatchObject({ outcome: 'published', crlNumber: 2n });
    release();
    expect(await first).toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(/already holds CRL #2, newer than #1/),
    });
    expect(parseCrl((await world.inner.exportCrl()).pem!).number).toBe(2n);
    expect((await world.crlState.getEndpoint('openvpn:test'))?.crlNumber).toBe('2');
  });

  it('numbers past a CRL of ours the endpoint kept when the table was recreated, instead of refusing to publish', async () => {
    world = await serviceWorld();
    for (let i = 0; i < 3; i++) await world.admin.publisher.publish(world.endpoint, 'U0ADMIN');
    expect(parseCrl((await world.inner.exportCrl()).pem!).number).toBe(3n);

    const fresh = await testDatabase();
    try {
      const stores = storesFor(fresh);
      const publisher = new CrlPublisher({ ca: world.ca, ...stores, clock: { now: () => new Date() }, crlDays: 180 });
      expect(await publisher.publish(world.endpoint, 'U0ADMIN')).toMatchObject({ outcome: 'published', crlNumber: 4n });
      expect(parseCrl((await world.inner.exportCrl()).pem!, world.ca)).toMatchObject({
        number: 4n,
        signedBy: { signatureValid: true },
      });
      expect(await stores.crlState.getEndpoint('openvpn:test')).toMatchObject({ crlNumber: '4', lastError: undefined });
    } finally {
      await fresh.drop();
    }
  });

  it('keeps every serial of our live CRL revoked when the database lost it: a recreated table, a restored backup', async () => {
    world = await serviceWorld();
    const bob = await world.enrol('Bob', 'U0BOB');
    const carol = await world.enrol('Carol', 'U0CAROL');
    await world.admin.revoke({ target: { serial: bob.serial }, reason: 'keyCompromise', actor: 'U0ADMIN' });
    await world.admin.revoke({ target: { serial: carol.serial }, reason: 'affiliationChanged', actor: 'U0ADMIN' });
    const before = parseCrl((await world.inner.exportCrl()).pem!).number!;
    const both = [`${bob.serial}:keyCompromise`, `${carol.serial}:affiliationChanged`].sort();
    const listed = async () => parseCrl((await world.inner.exportCrl()).pem!, world.ca);

    const restored = await testDatabase();
    const recreated = await testDatabase();
    try {
      // A restored backup that predates Carol's revocation and never knew Bob: the daily job records both
      // as revoked again without an import, since the live CRL already lists them.
      const stores = storesFor(restored);
      await stores.certificates.create({
        ...carol,
        status: 'active',
        revokedAt: undefined,
        reason: undefined,
        revokedBy: undefined,
      });
      const admin = new VpnAdmin({
        config: world.config,
        ca: world.ca,
        ...stores,
        endpoints: [world.endpoint],
        alerts: { send: async () => undefined },
        coalesceMs: 0,
      });
      const { renewals } = await admin.daily();
      expect(renewals[0]).toMatchObject({
        action: 'none',
        drift: ['2 serial(s) revoked on the live CRL were not revoked in the database: recorded as revoked again'],
      });
      expect((await listed()).number).toBe(before);
      expect(await stores.certificates.get(bob.serial)).toMatchObject({
        status: 'revoked',
        source: 'crl',
        reason: 'keyCompromise',
        notAfter: world.ca.notAfter,
      });
      expect(await stores.certificates.get(carol.serial)).toMatchObject({
        status: 'revoked',
        source: 'issued',
        reason: 'affiliationChanged',
      });
      const trail = await stores.audit.query({});
      expect(trail).toContainEqual(
        expect.objectContaining({
          action: 'certificate.revoke',
          target: 'U0CAROL',
          details: expect.objectContaining({
            serial: carol.serial,
            carriedForwardFrom: `CRL #${before} on openvpn:test`,
          }),
        }),
      );
      expect(trail).toContainEqual(
        expect.objectContaining({
          action: 'crl.carry-forward',
          details: expect.objectContaining({ serials: 2, unknownToDatabase: 1, unknownSerials: [bob.serial] }),
        }),
      );
      expect((await admin.daily()).renewals[0]).toMatchObject({ action: 'none', drift: [] });
      expect(await admin.publisher.publish(world.endpoint, 'U0ADMIN')).toMatchObject({
        outcome: 'published',
        crlNumber: before + 1n,
      });
      expect((await listed()).revocations.map((r) => `${r.serial}:${r.reason}`).sort()).toEqual(both);

      // A recreated, empty table: the next publish numbers past the live CRL and keeps both on it.
      const empty = storesFor(recreated);
      const publisher = new CrlPublisher({ ca: world.ca, ...empty, clock: { now: () => new Date() }, crlDays: 180 });
      expect(await publisher.publish(world.endpoint, 'U0ADMIN')).toMatchObject({
        outcome: 'published',
        crlNumber: before + 2n,
      });
      expect((await listed()).revocations.map((r) => `${r.serial}:${r.reason}`).sort()).toEqual(both);
      expect((await empty.certificates.revocationsForCrl(new Date())).map((r) => r.serial).sort()).toEqual(
        [bob.serial, carol.serial].sort(),
      );
    } finally {
      await restored.drop();
      await recreated.drop();
    }
  });

  it('keeps a revoked, unexpired serial on the CRL when the revoked index lags behind a publish that already listed it', async () => {
    world = await serviceWorld();
    const bob = await world.enrol('Bob', 'U0BOB');
    await world.admin.revoke({ target: { serial: bob.serial }, reason: 'keyCompromise', actor: 'U0ADMIN' });
    expect((await world.crlState.getEndpoint('openvpn:test'))?.pending).toEqual([]);
    // On real DynamoDB the index behind revocationsForCrl is eventually consistent: here it has not caught up.
    const lagging = jest.spyOn(world.certificates, 'revocationsForCrl').mockResolvedValue([]);
    try {
      expect(await world.admin.publisher.publish(world.endpoint, 'U0ADMIN')).toMatchObject({
        outcome: 'published',
        entries: 1,
      });
    } finally {
      lagging.mockRestore();
    }
    expect(parseCrl((await world.inner.exportCrl()).pem!, world.ca).revocations.map((r) => r.serial)).toEqual([
      bob.serial,
    ]);
    expect((await world.audit.query({})).map((e) => e.action)).not.toContain('crl.carry-forward');
  });

  it('keeps a revocation recorded when the import fails, and publishes it on the next run', async () => {
    world = await serviceWorld({
      hooks: { beforeImport: (_pem, call) => (call === 1 ? Promise.reject(new Error('disk full')) : undefined) },
    });
    const bob = await world.enrol('Bob', 'U0BOB');
    const report = await world.admin.revoke({
      target: { serial: bob.serial },
      reason: 'keyCompromise',
      actor: 'U0ADMIN',
    });
    expect(report.crl[0]).toMatchObject({ outcome: 'failed', error: 'disk full' });
    expect((await world.certificates.get(bob.serial))?.status).toBe('revoked');
    expect(await world.crlState.getEndpoint('openvpn:test')).toMatchObject({
      requested: 2,
      served: 0,
      lastError: 'disk full',
    });

    const { renewals } = await world.admin.daily();
    expect(renewals[0]).toMatchObject({ action: 'renewed', drift: ['the endpoint has no CRL'] });
    expect(parseCrl((await world.inner.exportCrl()).pem!).revocations.map((r) => r.serial)).toEqual([bob.serial]);
    expect(await world.crlState.getEndpoint('openvpn:test')).toMatchObject({ requested: 3, served: 3 });
  });

  it('publishes once, under its own numbering, after the CA is replaced', async () => {
    world = await serviceWorld();
    await world.admin.publishAll('U0ADMIN');
    await world.admin.publishAll('U0ADMIN');
    const { VpnAdmin } = await import('../../src/services/vpn-admin');
    const { createCa, loadCa } = await import('../../src/pki/ca');
    const newCa = loadCa(await createCa({ commonName: 'Replacement CA' }));
    const replaced = new VpnAdmin({ ...world.admin.deps, ca: newCa, coalesceMs: 0 });
    const before = world.endpoint.imports.length;
    expect(await replaced.publishAll('U0ADMIN')).toEqual([
      expect.objectContaining({ outcome: 'published', crlNumber: 1n }),
    ]);
    expect(world.endpoint.imports.length).toBe(before + 1);
    expect(await world.crlState.getEndpoint('openvpn:test')).toMatchObject({ crlNumber: '1', requested: 3, served: 3 });
    expect(parseCrl((await world.inner.exportCrl()).pem!, newCa).signedBy).toEqual({
      signatureValid: true,
      issuerMatches: true,
    });
  });

  it('still publishes when a revocation is retried after its process died half-way, and reports a failed audit write instead of stopping', async () => {
    world = await serviceWorld();
    const bob = await world.enrol('Bob', 'U0BOB');
    jest.spyOn(world.audit, 'append').mockImplementationOnce(() => Promise.reject(new Error('audit table throttled')));
    const first = await world.admin.revoke({
      target: { serial: bob.serial },
      reason: 'keyCompromise',
      actor: 'U0ADMIN',
    });
    expect(first).toMatchObject({
      revoked: [{ serial: bob.serial }],
      failed: [{ serial: bob.serial, step: 'audit', error: 'audit table throttled' }],
      crl: [{ outcome: 'published', entries: 1 }],
    });

    // A process that died right after marking Carol revoked: her CRL request is on record, nothing served it.
    const carol = await world.enrol('Carol', 'U0CAROL');
    await world.admin.publisher.request('openvpn:test', [carol.serial]);
    await world.certificates.markRevoked(carol.serial, {
      revokedAt: new Date(),
      reason: 'keyCompromise',
      actor: 'U0ADMIN',
    });
    const retry = await world.admin.revoke({
      target: { serial: carol.serial },
      reason: 'keyCompromise',
      actor: 'U0ADMIN',
    });
    expect(retry).toMatchObject({
      revoked: [],
      alreadyRevoked: [carol.serial],
      failed: [],
      crl: [expect.objectContaining({ outcome: 'published', entries: 2 })],
    });
    expect(
      parseCrl((await world.inner.exportCrl()).pem!)
        .revocations.map((r) => r.serial)
        .sort(),
    ).toEqual([bob.serial, carol.serial].sort());
  });

  it('revokes a certificate it could not deliver, so no valid certificate is left that nobody holds', async () => {
    world = await serviceWorld();
    jest.spyOn(world.audit, 'append').mockRejectedValueOnce(new Error('audit write failed'));
    await expect(world.admin.issue({ slackId: 'U0LOST', displayName: 'Lost', actor: 'U0ADMIN' })).rejects.toThrow(
      'audit write failed',
    );
    const [record] = await world.certificates.byUser('U0LOST');
    expect(record).toMatchObject({ status: 'revoked', revokedBy: 'system:issue-rollback' });
    expect((await world.admin.issue({ slackId: 'U0LOST', displayName: 'Lost', actor: 'U0ADMIN' })).record.status).toBe(
      'active',
    );
  });

  it('refuses a CRL over the 20,000-entry AWS limit from 20,001 revocations in the table, saying what to do, while every revocation stays in force', async () => {
    world = await serviceWorld();
    const now = new Date();
    // The realistic way to get there: an Easy-RSA migration bringing a long revocation history.
    const migrated: CertificateRecord[] = Array.from({ length: 20_001 }, (_, i) => ({
      serial: (0x100000 + i).toString(16).toUpperCase(),
      cn: `leaver-${i}`,
      status: 'revoked',
      source: 'easyrsa',
      issuedBy: 'U0ADMIN',
      issuedAt: new Date(now.getTime() - 200 * DAY),
      notBefore: new Date(now.getTime() - 200 * DAY),
      notAfter: new Date(now.getTime() + 165 * DAY),
      revokedAt: new Date(now.getTime() - DAY),
      reason: 'superseded',
      revokedBy: 'U0ADMIN',
    }));
    expect(await world.certificates.importMany(migrated)).toBe(20_001);
    const bob = await world.enrol('Bob', 'U0BOB');

    const report = await world.admin.revoke({
      target: { serial: bob.serial },
      reason: 'keyCompromise',
      actor: 'U0ADMIN',
    });
    expect(report.revoked).toEqual([expect.objectContaining({ serial: bob.serial })]);
    expect(report.crl).toEqual([
      {
        endpoint: 'openvpn:test',
        outcome: 'failed',
        error:
          '20,002 unexpired revoked certificates exceed the AWS Client VPN limit of 20,000 CRL entries. Revocations stay recorded and the database gate keeps refusing them; shorten CERT_DAYS or move to a new CA to get under the limit.',
      },
    ]);
    expect(world.endpoint.imports).toEqual([]);
    expect((await world.inner.exportCrl()).pem).toBeUndefined();
    expect(await world.crlState.getEndpoint('openvpn:test')).toMatchObject({
      requested: 2,
      served: 0,
      lastError: expect.stringMatching(/^20,002 unexpired revoked certificates exceed/),
    });
    expect(await world.certificates.byActiveCn(bob.cn)).toBeUndefined();
    const recorded = await world.certificates.revocationsForCrl(now);
    expect(recorded).toHaveLength(20_002);
    expect(new Set(recorded.map((r) => r.serial))).toEqual(new Set([...migrated.map((m) => m.serial), bob.serial]));

    // The daily job retries and refuses the same way; it never imports a partial CRL.
    expect((await world.admin.daily()).renewals[0]).toMatchObject({
      action: 'failed',
      publish: { outcome: 'failed', error: expect.stringMatching(/^20,002 unexpired/) },
    });
    expect(world.endpoint.imports).toEqual([]);
  }, 120_000);

  it('defers the import to the maintenance window while the gate already refuses the certificate', async () => {
    const tuesday = new Date('2026-11-24T10:00:00Z');
    let now = tuesday;
    world = await serviceWorld({
      env: { CRL_PUBLISH_MODE: 'window', CRL_WINDOW: 'Sun 03:00-05:00 UTC' },
      clock: { now: () => now },
    });
    const bob = await world.enrol('Bob', 'U0BOB');
    await world.admin.publishAll('U0ADMIN');
    const report = await world.admin.revoke({ target: { serial: bob.serial }, reason: 'superseded', actor: 'U0ADMIN' });
    expect(report.crl).toEqual([
      { endpoint: 'openvpn:test', outcome: 'deferred', until: new Date('2026-11-29T03:00:00Z') },
    ]);
    expect(await world.certificates.byActiveCn(bob.cn)).toBeUndefined();
    expect(parseCrl((await world.inner.exportCrl()).pem!).revocations).toEqual([]);

    now = new Date('2026-11-25T04:00:00Z');
    expect((await world.admin.daily()).renewals[0]).toMatchObject({ action: 'waiting-for-window' });
    now = new Date('2026-11-29T04:00:00Z');
    expect((await world.admin.daily()).renewals[0]).toMatchObject({ action: 'renewed' });
    expect(parseCrl((await world.inner.exportCrl()).pem!).revocations.map((r) => r.serial)).toEqual([bob.serial]);
  });
  describe('converges under faults: after any failure and a retry, every target is revoked, its sessions ended and on the live CRL', () => {
    /** An error shaped as the AWS SDK throws it for a DynamoDB refusal (after its own retries). */
    const refusal = () =>
      Object.assign(new Error('Throughput exceeds the current capacity of your table or index.'), {
        name: 'ProvisionedThroughputExceededException',
        $metadata: { httpStatusCode: 400 },
      });

    /** DynamoDB refuses every request `refuse` picks while `on()` holds; the stores' own error handling runs as in production. */
    function dynamoFault(refuse: (command: { constructor: { name: string }; input: unknown }) => boolean) {
      const send = world.db.doc.send.bind(world.db.doc) as (command: unknown) => Promise<unknown>;
      let active = true;
      jest
        .spyOn(world.db.doc, 'send')
        .mockImplementation(((command: { constructor: { name: string }; input: unknown }) =>
          active && refuse(command) ? Promise.reject(refusal()) : send(command)) as never);
      return { off: () => (active = false) };
    }

    const mentions = (command: { input: unknown }, text: string) => JSON.stringify(command.input).includes(text);

    /** Bob has two certificates, each with a live session; `fault` breaks one step of the first revoke only. */
    async function bobWithTwoSessions() {
      let managementDown = false;
      let importBroken = false;
      world = await serviceWorld({
        hooks: {
          sessions: () =>
            managementDown ? Promise.reject(new Error('management interface refused the connection')) : live,
          beforeImport: () => (importBroken ? Promise.reject(new Error('crl-verify file not writable')) : undefined),
        },
      });
      const laptop = await world.enrol('Bob', 'U0BOB', 'laptop');
      const phone = await world.enrol('Bob', 'U0BOB', 'phone');
      const live = [
        { connectionId: '1', commonName: laptop.cn },
        { connectionId: '2', commonName: phone.cn },
      ];
      return {
        laptop,
        phone,
        breakManagement: (down: boolean) => (managementDown = down),
        breakImport: (broken: boolean) => (importBroken = broken),
      };
    }

    async function expectConverged(serials: string[], cns: string[]) {
      for (const serial of serials) expect((await world.certificates.get(serial))?.status).toBe('revoked');
      expect((await world.endpoint.listSessions()).filter((s) => cns.includes(s.commonName))).toEqual([]);
      expect(
        parseCrl((await world.inner.exportCrl()).pem!, world.ca)
          .revocations.map((r) => r.serial)
          .sort(),
      ).toEqual([...serials].sort());
    }

    const revokeBob = () =>
      world.admin.revoke({ target: { slackId: 'U0BOB' }, reason: 'affiliationChanged', actor: 'U0ADMIN' });

    it('DynamoDB refusing the second certificate and the management interface down: the first run does what it can and says what is left, the retry ends both sessions', async () => {
      const { laptop, phone, breakManagement } = await bobWithTwoSessions();
      const fault = dynamoFault(
        (command) =>
          command.constructor.name === 'UpdateCommand' &&
          mentions(command, phone.serial) &&
          mentions(command, 'revoked'),
      );
      breakManagement(true);
      const first = await revokeBob();
      expect(first.revoked).toEqual([{ serial: laptop.serial, cn: laptop.cn, notAfter: laptop.notAfter }]);
      expect(first.failed).toEqual([
        {
          serial: phone.serial,
          cn: phone.cn,
          step: 'revoke',
          error: expect.stringMatching(/refused the request \(ProvisionedThroughputExceededException/),
        },
      ]);
      expect(first.sessions).toEqual([
        { endpoint: 'openvpn:test', terminated: 0, error: 'management interface refused the connection' },
      ]);
      // The gate already refuses the laptop and the CRL lists it; the phone is left, and the message says so.
      expect(first.crl).toEqual([expect.objectContaining({ outcome: 'published', entries: 1 })]);
      const told = revocationReportMessage(first);
      expect(told.text).toMatch(/^Revoked 1 of 2 certificates, 1 still active: run the same revoke again to finish;/);
      expect(JSON.stringify(told.blocks)).toContain(`\`${phone.serial}\` (\`${phone.cn}\`) is *still active*`);

      fault.off();
      breakManagement(false);
      const retry = await revokeBob();
      expect(retry).toMatchObject({
        revoked: [{ serial: phone.serial }],
        alreadyRevoked: [laptop.serial],
        failed: [],
        sessions: [{ endpoint: 'openvpn:test', terminated: 2 }],
      });
      expect(world.endpoint.terminated.sort()).toEqual(['1', '2']);
      await expectConverged([laptop.serial, phone.serial], [laptop.cn, phone.cn]);
      expect(revocationReportMessage(retry).text).toMatch(
        /^Revoked 1 certificate; 2 sessions ended; CRL updated on 1 of 1 endpoint\./,
      );
    });

    it('EC2 refusing to terminate AWS Client VPN connections: the retry ends the session of the certificate already revoked', async () => {
      // No emulator implements the EC2 Client VPN API (moto raises NotImplementedError): aws-sdk-client-mock plays the endpoint,
      // keeping its connections and CRL. What it cannot prove: that AWS ends a terminated session as promptly, or that it
      // answers a throttled terminate the way we model it.
      world = await serviceWorld();
      const bob = await world.enrol('Bob', 'U0BOB', 'laptop');
      const ec2 = mockClient(EC2Client);
      try {
        let crl: string | undefined;
        let refuse = true;
        const connections = new Map([
          ['cvpn-connection-1', bob.cn],
          ['cvpn-connection-2', 'jane-U0JANE.vpn.test'],
        ]);
        ec2.on(DescribeClientVpnConnectionsCommand).callsFake(() => ({
          Connections: [...connections].map(([ConnectionId, CommonName]) => ({
            ConnectionId,
            CommonName,
            Status: { Code: 'active' },
          })),
        }));
        ec2.on(TerminateClientVpnConnectionsCommand).callsFake((input: { ConnectionId: string }) => {
          if (refuse)
            throw new EC2ServiceException({
              name: 'RequestLimitExceeded',
              $fault: 'client',
              $metadata: { httpStatusCode: 503 },
              message: 'Request limit exceeded.',
            });
          connections.delete(input.ConnectionId);
          return { ConnectionStatuses: [{ ConnectionId: input.ConnectionId }] };
        });
        ec2
          .on(ImportClientVpnClientCertificateRevocationListCommand)
          .callsFake(
            (input: { CertificateRevocationList: string }) => (
              (crl = input.CertificateRevocationList),
              { Return: true }
            ),
          );
        ec2
          .on(ExportClientVpnClientCertificateRevocationListCommand)
          .callsFake(() => ({ CertificateRevocationList: crl ?? '', Status: { Code: 'active' } }));
        const aws = new AwsClientVpnEndpoint({
          id: 'cvpn-endpoint-0123456789abcdef0',
          region: 'eu-west-1',
          client: new EC2Client({ region: 'eu-west-1' }),
          retry: { sleep: async () => undefined },
        });
        const admin = new VpnAdmin({ ...world.admin.deps, endpoints: [aws], coalesceMs: 0 });
        const revokeBob = () =>
          admin.revoke({ target: { slackId: 'U0BOB' }, reason: 'affiliationChanged', actor: 'U0ADMIN' });

        const first = await revokeBob();
        expect(first.revoked.map((r) => r.serial)).toEqual([bob.serial]);
        expect(first.sessions).toEqual([
          {
            endpoint: aws.key,
            terminated: 0,
            error: expect.stringMatching(/throttled ec2:TerminateClientVpnConnections/),
          },
        ]);
        expect(first.crl).toEqual([expect.objectContaining({ outcome: 'published', entries: 1 })]);
        expect([...connections.values()]).toContain(bob.cn);

        refuse = false;
        const retry = await revokeBob();
        expect(retry).toMatchObject({
          revoked: [],
          alreadyRevoked: [bob.serial],
          failed: [],
          sessions: [{ endpoint: aws.key, terminated: 1 }],
          crl: [],
        });
        expect([...connections.values()]).toEqual(['jane-U0JANE.vpn.test']);
        expect(parseCrl(crl!, world.ca).revocations.map((r) => r.serial)).toEqual([bob.serial]);
      } finally {
        ec2.restore();
      }
    });

    type Fault = (bob: Awaited<ReturnType<typeof bobWithTwoSessions>>) => () => void;
    const faults: [string, Fault][] = [
      [
        'DynamoDB refusing the first certificate',
        ({ laptop }) =>
          dynamoFault(
            (command) =>
              command.constructor.name === 'UpdateCommand' &&
              mentions(command, laptop.serial) &&
              mentions(command, 'revoked'),
          ).off,
      ],
      [
        'DynamoDB refusing the audit entry',
        () =>
          dynamoFault((command) => command.constructor.name === 'PutCommand' && mentions(command, 'certificate.revoke'))
            .off,
      ],
      [
        'DynamoDB refusing the CRL request taken after marking',
        () => {
          let requests = 0;
          return dynamoFault(
            (command) =>
              command.constructor.name === 'UpdateCommand' && mentions(command, 'ADD requested') && ++requests > 1,
          ).off;
        },
      ],
      [
        'DynamoDB refusing to read the CRL state',
        () => dynamoFault((command) => command.constructor.name === 'GetCommand' && mentions(command, 'CRL')).off,
      ],
      [
        'the management interface (session listing) down',
        ({ breakManagement }) => (breakManagement(true), () => breakManagement(false)),
      ],
      ['the CRL import failing', ({ breakImport }) => (breakImport(true), () => breakImport(false))],
    ];

    it.each(faults)('%s', async (_name, inject) => {
      const bob = await bobWithTwoSessions();
      const heal = inject(bob);
      const first = await revokeBob().catch((error: unknown) => error as Error);
      heal();
      // The first run either did nothing (and says so) or reports what it could not do.
      if (first instanceof Error)
        expect(await world.certificates.byUser('U0BOB')).toEqual(
          expect.arrayContaining([expect.objectContaining({ status: 'active' })]),
        );
      else
        expect([
          ...first.failed.map((f) => f.error),
          ...first.sessions.flatMap((s) => s.error ?? []),
          ...first.crl.flatMap((c) => (c.outcome === 'failed' ? [c.error] : [])),
        ]).not.toEqual([]);

      const retry = await revokeBob();
      expect(retry.failed.filter((f) => f.step === 'revoke')).toEqual([]);
      expect(retry.sessions.filter((s) => s.error)).toEqual([]);
      expect(retry.crl.filter((c) => c.outcome === 'failed')).toEqual([]);
      await expectConverged([bob.laptop.serial, bob.phone.serial], [bob.laptop.cn, bob.phone.cn]);
      // Converged means a third run has nothing left to do and imports nothing.
      const imports = world.endpoint.imports.length;
      expect(await revokeBob()).toMatchObject({ revoked: [], failed: [], crl: [] });
      expect(world.endpoint.imports).toHaveLength(imports);
    });
  });
});
