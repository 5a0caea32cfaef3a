import { CertificateAuthority, loadCaCertificate } from '../../src/pki/ca';
import { buildCrl, parseCrl } from '../../src/pki/crl';
import { CrlSyncDeps, newCrlSyncMemory, syncCrl } from '../../src/services/agent/crl-sync';
import { testCa } from '../helpers/ca';
import {
  FakeOpenVpnEndpoint,
  MemoryCrlDistribution,
  RecordingAlerts,
  RecordingLog,
  TestClock,
  sha256,
} from '../helpers/agent-runtime-fakes';

const DAY = 86_400_000;

describe('syncCrl: the agent writes only a newer CRL signed by our CA', () => {
  let ca: CertificateAuthority;
  let other: CertificateAuthority;
  let clock: TestClock;
  let distribution: MemoryCrlDistribution;
  let endpoint: FakeOpenVpnEndpoint;
  let alerts: RecordingAlerts;
  let log: RecordingLog;
  let deps: CrlSyncDeps;

  const crl = (number: bigint, options: { by?: CertificateAuthority; now?: Date; days?: number } = {}) =>
    buildCrl({
      ca: options.by ?? ca,
      number,
      revocations: [{ serial: '0a1b', revokedAt: clock.now(), reason: 'keyCompromise' }],
      now: options.now ?? clock.now(),
      days: options.days,
    }).pem;
  const publish = (number: bigint, pem = crl(number)) =>
    distribution.publish(endpoint.key, { number, pem }, clock.now());

  beforeAll(async () => {
    [ca, other] = await Promise.all([testCa(), testCa('Another CA')]);
  });

  beforeEach(() => {
    clock = new TestClock(new Date());
    distribution = new MemoryCrlDistribution();
    endpoint = new FakeOpenVpnEndpoint();
    alerts = new RecordingAlerts();
    log = new RecordingLog();
    endpoint.crlPem = crl(3n);
    deps = {
      distribution,
      ca: loadCaCertificate(ca.certPem),
      alerts,
      clock,
      agentId: 'vpn1:office',
      log,
      memory: newCrlSyncMemory(),
    };
  });

  it('writes a newer CRL and reports it applied, once', async () => {
    const pem = crl(4n);
    await publish(4n, pem);
    expect(await syncCrl(deps, endpoint)).toEqual({ state: 'applied', number: '4', replaced: '3' });
    expect(endpoint.crlPem).toBe(pem);
    expect(distribution.reports).toEqual([
      {
        endpoint: endpoint.key,
        applied: { number: '4', sha256: sha256(pem), at: clock.now(), agentId: 'vpn1:office' },
      },
    ]);
    expect(await syncCrl(deps, endpoint)).toEqual({ state: 'current', number: '4' });
    expect(endpoint.crlWrites).toHaveLength(1);
    expect(distribution.reports).toHaveLength(1);
    expect(alerts.sent).toEqual([]);
  });

  it('reports a CRL already on disk (written before a restart) without writing it again', async () => {
    await publish(3n, endpoint.crlPem);
    expect(await syncCrl(deps, endpoint)).toEqual({ state: 'current', number: '3' });
    expect(endpoint.crlWrites).toEqual([]);
    expect(distribution.reports.map((report) => report.applied.number)).toEqual(['3']);
  });

  it('looks at the pointer alone while the file is current, and downloads the CRL only when it is newer', async () => {
    await publish(3n, endpoint.crlPem);
    const downloads = jest.spyOn(distribution, 'get');
    for (let round = 0; round < 3; round++) await syncCrl(deps, endpoint);
    expect(downloads).not.toHaveBeenCalled();
    await publish(4n);
    downloads.mockClear();
    expect(await syncCrl(deps, endpoint)).toMatchObject({ state: 'applied', number: '4' });
    expect(downloads).toHaveBeenCalledTimes(1);
  });

  it('does nothing when nothing is published', async () => {
    expect(await syncCrl(deps, endpoint)).toEqual({ state: 'none' });
    expect(endpoint.crlWrites).toEqual([]);
  });

  it("replaces a CRL of another CA on disk whatever its number: after a CA change the old CA's count does not hold", async () => {
    endpoint.crlPem = crl(90n, { by: other });
    const pem = crl(2n);
    await publish(2n, pem);
    expect(await syncCrl(deps, endpoint)).toMatchObject({ state: 'applied', number: '2' });
    expect(endpoint.crlPem).toBe(pem);
  });

  it('writes the first CRL where the file is missing or not a CRL', async () => {
    endpoint.crlPem = 'garbage';
    await publish(1n);
    expect(await syncCrl(deps, endpoint)).toMatchObject({ state: 'applied', number: '1' });
    expect(log.at('warn')).toEqual([expect.stringContaining('not a readable CRL')]);
  });

  const refusals: [string, () => Promise<void>, RegExp][] = [
    [
      'signed by another CA',
      async () => void (await publish(5n, crl(5n, { by: other }))),
      /not signed by the CA in CA_CERT_FILE/,
    ],
    ['older than the one on disk', async () => void (await publish(2n)), /not newer than the CRL on disk \(#3\)/],
    [
      'truncated (its hash does not match)',
      async () => {
        const pem = crl(5n);
        distribution.put({
          endpoint: endpoint.key,
          number: '5',
          pem: pem.slice(0, pem.length / 2),
          sha256: sha256(pem),
          publishedAt: clock.now(),
        });
      },
      /SHA-256 does not match/,
    ],
    [
      'garbled yet hashed',
      async () => {
        const pem = crl(5n).replace(/[A-Za-z]{8}/, 'AAAAAAAA');
        distribution.put({ endpoint: endpoint.key, number: '5', pem, sha256: sha256(pem), publishedAt: clock.now() });
      },
      /not a readable CRL|not signed by the CA/,
    ],
    [
      'published under another number',
      async () => {
        const pem = crl(5n);
        distribution.put({ endpoint: endpoint.key, number: '9', pem, sha256: sha256(pem), publishedAt: clock.now() });
      },
      /CRL number \(5\) is not the one it was published under/,
    ],
    [
      'expired',
      async () => void (await publish(5n, crl(5n, { now: new Date(clock.now().getTime() - 10 * DAY), days: 2 }))),
      /expired at/,
    ],
  ];

  it.each(refusals)('refuses a CRL %s: keeps the last good one, logs and alerts once', async (_what, arrange, why) => {
    const before = endpoint.crlPem;
    await arrange();
    const outcome = await syncCrl(deps, endpoint);
    expect(outcome).toMatchObject({ state: 'refused' });
    expect(endpoint.crlPem).toBe(before);
    expect(endpoint.crlWrites).toEqual([]);
    expect(distribution.reports).toEqual([]);
    expect(log.at('error')).toEqual([expect.stringMatching(why)]);
    expect(log.at('error')[0]).toMatch(/refused CRL #\d+ .*The CRL on disk \(#3\) is kept\./);
    expect(alerts.sent).toEqual([
      expect.objectContaining({ level: 'critical', endpoint: endpoint.key, message: log.at('error')[0] }),
    ]);
    expect(alerts.sent[0].daysLeft).toBeGreaterThan(100);

    await syncCrl(deps, endpoint);
    await syncCrl(deps, endpoint);
    expect(alerts.sent).toHaveLength(1);
    expect(endpoint.crlWrites).toEqual([]);
  });

  it('after a refused CRL, takes the next good one', async () => {
    await publish(5n, crl(5n, { by: other }));
    await syncCrl(deps, endpoint);
    const good = crl(6n);
    await publish(6n, good);
    expect(await syncCrl(deps, endpoint)).toMatchObject({ state: 'applied', number: '6' });
    expect(parseCrl(endpoint.crlPem!).number).toBe(6n);
  });

  it('holds back a CRL not yet valid on this clock (skewed), alerts once, and writes it once the clock catches up', async () => {
    await publish(5n, crl(5n, { now: new Date(clock.now().getTime() + 10 * 60_000) }));
    expect(await syncCrl(deps, endpoint)).toMatchObject({ state: 'refused', why: expect.stringMatching(/NTP/) });
    await syncCrl(deps, endpoint);
    expect(alerts.sent).toHaveLength(1);
    expect(endpoint.crlWrites).toEqual([]);
    clock.advance(11 * 60_000);
    expect(await syncCrl(deps, endpoint)).toMatchObject({ state: 'applied', number: '5' });
  });

  it('fails (for the round to log) when the table cannot be read, changing nothing', async () => {
    distribution.failing = new Error('connect ECONNREFUSED 127.0.0.1:8000');
    await expect(syncCrl(deps, endpoint)).rejects.toThrow('ECONNREFUSED');
    expect(endpoint.crlWrites).toEqual([]);
  });
});
