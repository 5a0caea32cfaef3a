import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionAttempt } from '../../src/domain/connection-log';
import { DROPPED_BEFORE_TLS, OpenVpnLogParser } from '../../src/domain/openvpn-log';
import { failureClassOf, likelyFix, tlsFact, type TlsFailureClass } from '../../src/domain/tls-negotiation';
import { insightWindow } from '../../src/services/connection-insights';
import { summarizeTls, tlsTroubleshooting } from '../../src/services/tls-troubleshooting';
import { awsFixtureRead, logRead } from '../helpers/connection-logs';

const fixture = (folder: string, name: string) => readFileSync(join(__dirname, '..', 'fixtures', folder, name), 'utf8');

function parse(text: string): ConnectionAttempt[] {
  const parser = new OpenVpnLogParser({ now: Date.UTC(2027, 0, 1) });
  for (const line of text.split('\n')) parser.push(line);
  return parser.finish();
}

const tlsFixture = (name: string) => parse(fixture('tls', `${name}.log`));
const classOf = (attempt: ConnectionAttempt) => failureClassOf(attempt.reason, attempt.tls);

describe('TLS details from real OpenVPN 2.6 server logs', () => {
  it('reads the control channel and the offered data ciphers of a client that connects', () => {
    const [attempt, ...rest] = tlsFixture('connected');
    expect(rest).toEqual([]);
    expect(attempt).toMatchObject({
      status: 'successful',
      clientVersion: '2.6.14',
      tls: {
        version: 'TLSv1.3',
        cipher: 'TLS_AES_256_GCM_SHA384',
        offeredCiphers: 'AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305',
      },
    });
    expect(attempt.tls?.failure).toBeUndefined();
  });

  it('turns an address already assigned into a failure when the server then finds no common data cipher', () => {
    const attempts = tlsFixture('cipher-refused');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      status: 'failed',
      reason: 'no-shared-cipher',
      commonName: 'dana-U0TLS0001.vpn.test',
      clientVersion: '2.6.14',
      tls: {
        version: 'TLSv1.3',
        cipher: 'TLS_AES_256_GCM_SHA384',
        offeredCiphers: 'AES-128-CBC',
        failure: 'cipher-negotiation',
      },
    });
  });

  it.each<[string, TlsFailureClass]>([
    ['crl-expired', 'crl-expired'],
    ['revoked', 'revoked'],
    ['no-tls-crypt', 'tls-crypt'],
    ['tls-version', 'protocol-version'],
    ['timeout', 'timeout'],
  ])('classes %s as %s, with no control channel (TLS never completed)', (name, failure) => {
    const attempts = tlsFixture(name);
    expect(attempts).toHaveLength(1);
    expect(attempts[0].status).toBe('failed');
    expect(classOf(attempts[0])).toBe(failure);
    expect(attempts[0].tls?.version).toBeUndefined();
  });

  it.each([
    ['tls-crypt-v2-revoked', 'tls-crypt-v2-refused'],
    ['tls-crypt-v2-foreign-key', 'tls-crypt-v2-foreign-key'],
    ['tls-crypt-v2-no-key', 'tls-crypt-v2-no-key'],
  ])('counts %s, refused twice as the client re-sends, as one attempt dropped before TLS (%s)', (name, reason) => {
    const attempts = tlsFixture(name);
    expect(attempts).toEqual([expect.objectContaining({ status: 'failed', reason, sourceIp: '127.0.0.1' })]);
    expect(DROPPED_BEFORE_TLS.has(reason)).toBe(true);
    expect(classOf(attempts[0])).toBe('tls-crypt');
  });

  it("classes the management interface's client-deny as a refused approval", () => {
    const attempts = parse(fixture('connection-logs', 'openvpn-2.6.14-server.log'));
    expect(attempts.map((attempt) => (attempt.status === 'failed' ? classOf(attempt) : attempt.status))).toEqual([
      'successful',
      'revoked',
      'approval-refused',
      'tls-crypt',
      'crl-expired',
      'successful',
    ]);
  });
});

describe('TLS failure lines', () => {
  it.each<[string, TlsFailureClass]>([
    ["OPTIONS ERROR: failed to negotiate cipher with server.  Add the server's cipher", 'cipher-negotiation'],
    ['OpenSSL: error:0A0000C1:SSL routines::no shared cipher', 'cipher-negotiation'],
    ['PUSH: client does not support any cipher from data-ciphers', 'cipher-negotiation'],
    ['OpenSSL: error:0A00010B:SSL routines::wrong version number', 'protocol-version'],
    ['OpenSSL: error:0A000102:SSL routines::unsupported protocol:', 'protocol-version'],
    ['VERIFY ERROR: depth=0, error=unable to get local issuer certificate: CN=x', 'certificate-verify'],
    ['OpenSSL: error:0A000086:SSL routines::certificate verify failed:', 'certificate-verify'],
    ['VERIFY ERROR: depth=0, error=CRL has expired: CN=x', 'crl-expired'],
    ['VERIFY ERROR: depth=0, error=certificate revoked: CN=x', 'revoked'],
    ['CRL CHECK FAILED: CN=x (serial 12) is REVOKED', 'revoked'],
    ['tls-crypt unwrap error: packet authentication failed', 'tls-crypt'],
    [
      'TLS Error: incoming packet authentication failed from [AF_INET]1.2.3.4:5 (HMAC authentication failed)',
      'tls-crypt',
    ],
    ['TLS Error: cannot locate HMAC in incoming packet from [AF_INET]1.2.3.4:5', 'tls-crypt'],
    // tls-crypt-v2: a revoked member's key refused by the verify script, a foreign or missing client key.
    ['TLS CRYPT V2 VERIFY SCRIPT ERROR: failed', 'tls-crypt'],
    ['TLS Error: could not determine wrapping from [AF_INET]1.2.3.4:5', 'tls-crypt'],
    ['tls-crypt-v2: client key authentication error', 'tls-crypt'],
    ['TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network connectivity)', 'timeout'],
  ])('%s', (line, failure) => {
    expect(tlsFact(line)).toEqual({ kind: 'failure', failure });
  });

  it('says nothing about lines that are not about TLS', () => {
    expect(tlsFact('peer info: IV_VER=2.6.14')).toBeUndefined();
    expect(tlsFact('MULTI_sva: pool returned IPv4=10.213.0.2')).toBeUndefined();
    expect(tlsFact('Control Channel: garbled')).toBeUndefined();
  });

  it('classes the failure reasons AWS Client VPN and the log reader name', () => {
    expect(failureClassOf('client-connect-failed', undefined)).toBe('approval-refused');
    expect(failureClassOf('client-connect-handler-timed-out', undefined)).toBe('connect-handler');
    expect(failureClassOf('client-deny: not-approved', undefined)).toBe('approval-refused');
    expect(failureClassOf('tls-handshake-timeout', undefined)).toBe('timeout');
    expect(failureClassOf('something-new', undefined)).toBe('other');
    expect(failureClassOf(undefined, undefined)).toBe('other');
  });

  it('names the fallback for a client that offers only BF-CBC, and never puts other log text into the fix', () => {
    expect(likelyFix('cipher-negotiation', 'BF-CBC')).toContain('`data-ciphers-fallback BF-CBC`');
    expect(likelyFix('cipher-negotiation', 'AES-128-CBC:<!channel>')).not.toContain('<!channel>');
  });
});

describe('grouping failures by client version × TLS version × cipher × class', () => {
  const now = new Date(Date.UTC(2026, 11, 5, 12));
  const window = insightWindow(24, now);
  const at = Date.UTC(2026, 11, 5, 6);
  const attempt = (fields: Partial<ConnectionAttempt>): ConnectionAttempt => ({
    at,
    status: 'failed',
    sourceIp: '203.0.113.9',
    ...fields,
  });

  it("counts like seed 003's sort | uniq -c | sort -r, with distinct names and addresses, and the fix per class", () => {
    const bfOnly = { version: undefined, offeredCiphers: 'BF-CBC' };
    const attempts = [
      attempt({ clientVersion: '2.4.7', commonName: 'a', tls: { ...bfOnly, failure: 'cipher-negotiation' } }),
      attempt({ clientVersion: '2.4.7', commonName: 'b', tls: { ...bfOnly, failure: 'cipher-negotiation' } }),
      attempt({
        clientVersion: '2.4.7',
        commonName: 'b',
        sourceIp: '203.0.113.10',
        tls: { ...bfOnly, failure: 'cipher-negotiation' },
      }),
      attempt({ clientVersion: '2.6.14', reason: 'crl-expired' }),
      attempt({ status: 'successful', tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } }),
      attempt({ at: window.from - 1, reason: 'crl-expired' }),
    ];
    const summary = summarizeTls('openvpn:test', logRead(attempts), window);
    expect(summary).toMatchObject({ attempts: 5, successful: 1, failed: 4, distinctGroups: 2 });
    expect(summary.groups).toEqual([
      {
        clientVersion: '2.4.7',
        tlsVersion: '',
        cipher: '',
        failure: 'cipher-negotiation',
        attempts: 3,
        commonNames: 2,
        sourceIps: 2,
        offeredCiphers: 'BF-CBC',
        lastAt: at,
      },
      {
        clientVersion: '2.6.14',
        tlsVersion: '',
        cipher: '',
        failure: 'crl-expired',
        attempts: 1,
        commonNames: 0,
        sourceIps: 1,
        lastAt: at,
      },
    ]);
    expect(summary.byClass.map((c) => [c.failure, c.attempts])).toEqual([
      ['cipher-negotiation', 3],
      ['crl-expired', 1],
    ]);
    expect(summary.byClass[0].fix).toContain('data-ciphers-fallback BF-CBC');
    expect(summary.negotiated).toEqual([{ tlsVersion: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', attempts: 1 }]);
  });

  it('groups the real fixtures into one group per cause, the refused cipher with its control channel', () => {
    const attempts = [
      'connected',
      'cipher-refused',
      'crl-expired',
      'revoked',
      'no-tls-crypt',
      'tls-version',
      'timeout',
    ].flatMap(tlsFixture);
    const summary = summarizeTls('openvpn:test', logRead(attempts), insightWindow(24, now));
    expect(summary.failed).toBe(6);
    expect(summary.groups.map((g) => `${g.clientVersion}|${g.tlsVersion}|${g.cipher}|${g.failure}`).sort()).toEqual([
      '2.6.14|TLSv1.3|TLS_AES_256_GCM_SHA384|cipher-negotiation',
      '|||crl-expired',
      '|||protocol-version',
      '|||revoked',
      '|||timeout',
      '|||tls-crypt',
    ]);
    expect(summary.withTlsDetails).toBe(6);
  });

  it('reads AWS Client VPN logs by their failure reasons, and says that AWS logs no TLS details', () => {
    const read = awsFixtureRead();
    const latest = Math.max(...read.attempts.map((a) => a.at));
    const summary = summarizeTls('aws-client-vpn:cvpn-endpoint-0123', read, insightWindow(168, new Date(latest + 1)));
    expect(summary.failed).toBeGreaterThan(0);
    expect(summary.withTlsDetails).toBe(0);
    expect(summary.groups.every((g) => g.tlsVersion === '' && g.cipher === '')).toBe(true);
    expect(summary.byClass.map((c) => c.failure)).toContain('approval-refused');
    expect(summary.input.notes.join(' ')).toContain('AuthenticationFailures');
  });

  it('reads every endpoint, and one that cannot be read does not hide the others', async () => {
    const report = await tlsTroubleshooting(
      [
        { endpoint: 'openvpn:good', read: async () => logRead(tlsFixture('revoked')) },
        {
          endpoint: 'openvpn:bad',
          read: async () => {
            throw new Error('disk gone');
          },
        },
      ],
      24,
      now,
    );
    expect(report.endpoints[0].summary?.byClass.map((c) => c.failure)).toEqual(['revoked']);
    expect(report.endpoints[1].error).toContain('disk gone');
  });
});
