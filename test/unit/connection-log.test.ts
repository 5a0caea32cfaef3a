import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAwsConnectionLogEvent, parseAwsTime, type ConnectionAttempt } from '../../src/domain/connection-log';
import { OpenVpnLogParser } from '../../src/domain/openvpn-log';

const FIXTURES = join(__dirname, '..', 'fixtures', 'connection-logs');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

function parseOpenVpn(
  text: string,
  now: Date,
  from?: Date,
): { attempts: ConnectionAttempt[]; parser: OpenVpnLogParser } {
  const parser = new OpenVpnLogParser({ now: now.getTime(), from: from?.getTime() });
  for (const line of text.split('\n')) parser.push(line);
  return { attempts: parser.finish(), parser };
}

/** OpenVPN's --log timestamps are the server's local time, and so is what the parser makes of them. */
const local = (text: string) => {
  const [y, mo, d, h, mi, s] = text.split(/[- :]/).map(Number);
  return new Date(y, mo - 1, d, h, mi, s).getTime();
};

describe('AWS Client VPN connection-log entries', () => {
  const lines = fixture('aws-client-vpn-connection-log.jsonl').split('\n').slice(0, -1);

  it('reads the documented sample entry', () => {
    const sample = JSON.stringify({
      'connection-log-type': 'connection-attempt',
      'connection-attempt-status': 'successful',
      'connection-reset-status': 'NA',
      'connection-attempt-failure-reason': 'NA',
      'connection-id': 'cvpn-connection-abc123abc123abc12',
      'client-vpn-endpoint-id': 'cvpn-endpoint-aaa111bbb222ccc33',
      'transport-protocol': 'udp',
      'connection-start-time': '2020-03-26 20:37:15',
      'connection-last-update-time': '2020-03-26 20:37:15',
      'client-ip': '10.0.1.2',
      'common-name': 'client1',
      'device-type': 'mac',
      'device-ip': '98.247.202.82',
      port: '50096',
      'ingress-bytes': '0',
      'egress-bytes': '0',
      'ingress-packets': '0',
      'egress-packets': '0',
      'connection-end-time': 'NA',
    });
    const unrecognised = new Set<string>();
    expect(parseAwsConnectionLogEvent(sample, undefined, unrecognised)).toEqual({
      at: Date.UTC(2020, 2, 26, 20, 37, 15),
      status: 'successful',
      commonName: 'client1',
      sourceIp: '98.247.202.82',
      platform: 'mac',
      connectionId: 'cvpn-connection-abc123abc123abc12',
    });
    expect([...unrecognised]).toEqual([]);
  });

  it('skips and counts malformed lines, never throwing, and tells other entries from attempts', () => {
    const unrecognised = new Set<string>();
    const parsed = lines.map((line) => parseAwsConnectionLogEvent(line, undefined, unrecognised));
    expect(parsed.filter((entry) => entry === 'malformed')).toHaveLength(6);
    expect(parsed.filter((entry) => entry === 'other')).toHaveLength(1);
    expect(parsed.filter((entry) => typeof entry === 'object')).toHaveLength(12);
    expect([...unrecognised].sort()).toEqual(['aws-client-version', 'tunnel-mtu']);
  });

  it('keeps reasons, uses an undocumented client version when present, and drops values of the wrong type', () => {
    const attempts = lines
      .map((line) => parseAwsConnectionLogEvent(line))
      .filter((entry): entry is ConnectionAttempt => typeof entry === 'object');
    expect(attempts.find((a) => a.commonName?.startsWith('carol'))).toMatchObject({
      clientVersion: '5.2.0',
      status: 'successful',
    });
    expect(attempts.find((a) => a.connectionId === 'cvpn-connection-0b0b0000000000003')).toMatchObject({
      status: 'failed',
      reason: 'client-connect-handler-timed-out',
    });
    const objectName = attempts.find((a) => a.connectionId === 'cvpn-connection-0f0e000000000001')!;
    expect(objectName.commonName).toBeUndefined();
    expect(objectName.reason).toBe('client-connect-failed');
    expect(attempts.find((a) => a.status === 'successful')!.reason).toBeUndefined();
  });

  it('falls back on the CloudWatch timestamp when the entry has no usable start time, and needs one of the two', () => {
    const entry = JSON.stringify({
      'connection-log-type': 'connection-attempt',
      'connection-attempt-status': 'failed',
      'connection-start-time': 'NA',
    });
    expect(parseAwsConnectionLogEvent(entry, 1_700_000_000_000)).toMatchObject({
      at: 1_700_000_000_000,
      status: 'failed',
    });
    expect(parseAwsConnectionLogEvent(entry)).toBe('malformed');
  });

  it('reads AWS times as UTC and tolerates other date forms', () => {
    expect(parseAwsTime('2026-03-01 08:15:02')).toBe(Date.UTC(2026, 2, 1, 8, 15, 2));
    expect(parseAwsTime('2026-03-01T08:15:02Z')).toBe(Date.UTC(2026, 2, 1, 8, 15, 2));
    expect(parseAwsTime('yesterday')).toBeUndefined();
    expect(parseAwsTime('2026-13-45 99:99:99')).toBeUndefined();
  });
});

describe('OpenVPN 2.6 server log', () => {
  it('finds every attempt in a real server log, with its outcome, reason, name, address and client version', () => {
    const { attempts, parser } = parseOpenVpn(
      fixture('openvpn-2.6.14-server.log'),
      new Date(local('2026-11-22 09:00:00')),
    );
    expect(parser.malformed).toBe(0);
    expect(attempts).toEqual([
      {
        at: local('2026-11-22 08:30:43'),
        status: 'successful',
        sourceIp: '127.0.0.1',
        commonName: 'jane-doe-U0JANE.vpn.test',
        clientVersion: '2.6.14',
        platform: 'linux',
        tls: {
          version: 'TLSv1.3',
          cipher: 'TLS_AES_256_GCM_SHA384',
          offeredCiphers: 'AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305',
        },
      },
      {
        at: local('2026-11-22 08:30:43'),
        status: 'failed',
        reason: 'certificate-revoked',
        sourceIp: '127.0.0.1',
        commonName: 'bob-leaver-U0BOB.vpn.test',
        tls: { failure: 'revoked' },
      },
      {
        at: local('2026-11-22 08:30:47'),
        status: 'failed',
        reason: 'client-deny: not-approved',
        sourceIp: '127.0.0.1',
        commonName: 'mallory-U0MAL.vpn.test',
        clientVersion: '2.6.14',
        platform: 'linux',
        tls: {
          version: 'TLSv1.3',
          cipher: 'TLS_AES_256_GCM_SHA384',
          offeredCiphers: 'AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305',
        },
      },
      { at: local('2026-11-22 08:30:51'), status: 'failed', reason: 'tls-crypt-failed', sourceIp: '127.0.0.1' },
      {
        at: local('2026-11-22 08:30:54'),
        status: 'failed',
        reason: 'crl-expired',
        sourceIp: '127.0.0.1',
        commonName: 'jane-doe-U0JANE.vpn.test',
        tls: { failure: 'crl-expired' },
      },
      // Jane again, reconnecting while the server still held her old session: these lines carry no peer prefix.
      {
        at: local('2026-11-22 08:30:58'),
        status: 'successful',
        sourceIp: '127.0.0.1',
        commonName: 'jane-doe-U0JANE.vpn.test',
        clientVersion: '2.6.14',
        platform: 'linux',
        tls: {
          version: 'TLSv1.3',
          cipher: 'TLS_AES_256_GCM_SHA384',
          offeredCiphers: 'AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305',
        },
      },
    ]);
  });

  it("reads seed 002's syslog excerpt: handshake timeouts from the attacker, then tls-auth refusals grouped per hand-window", () => {
    const { attempts, parser } = parseOpenVpn(fixture('seed-002-syslog.log'), new Date(2026, 8, 30));
    expect(parser.malformed).toBe(0);
    const at = (time: string) =>
      new Date(2026, 8, 6, ...(time.split(':').map(Number) as [number, number, number])).getTime();
    const timeouts = attempts.filter((a) => a.reason === 'tls-handshake-timeout');
    // Three handshakes the excerpt shows failing (begun before it), and four initial packets never heard of again.
    expect(timeouts.map((a) => a.at).sort()).toEqual(
      ['12:40:15', '12:40:15', '12:40:17', '12:40:18', '12:40:19', '12:40:19', '12:40:20'].map(at),
    );
    expect(new Set(timeouts.map((a) => a.sourceIp))).toEqual(new Set(['148.163.126.72']));
    expect(attempts.filter((a) => a.status === 'incomplete')).toHaveLength(0);
    expect(attempts.filter((a) => a.reason === 'tls-auth-failed')).toEqual([
      { at: at('18:04:55'), status: 'failed', reason: 'tls-auth-failed', sourceIp: '74.91.120.143' },
      { at: at('18:06:15'), status: 'failed', reason: 'tls-auth-failed', sourceIp: '74.91.120.143' },
    ]);
  });

  it('puts a syslog line from December read in January in the year before', () => {
    const { attempts } = parseOpenVpn(
      'Dec 31 23:59:00 vpn openvpn[1]: TLS Error: tls-crypt unwrapping failed from [AF_INET]192.0.2.1:1000',
      new Date(2027, 0, 1, 0, 5),
    );
    expect(attempts[0].at).toBe(new Date(2026, 11, 31, 23, 59).getTime());
  });

  it('reads ISO timestamps with a zone, as journalctl -o short-iso writes them', () => {
    const { attempts } = parseOpenVpn(
      '2026-11-22T08:24:05+0100 vpn openvpn[7]: TLS Error: tls-crypt unwrapping failed from [AF_INET]192.0.2.9:4000',
      new Date('2026-11-23T00:00:00Z'),
    );
    expect(attempts).toEqual([
      { at: Date.parse('2026-11-22T07:24:05Z'), status: 'failed', reason: 'tls-crypt-failed', sourceIp: '192.0.2.9' },
    ]);
  });

  it('counts lines without a timestamp as malformed and carries on', () => {
    const text = [
      'garbage',
      '\u0000\u0001binary',
      '2026-11-22 08:24:05',
      'Sep 99 nonsense',
      fixture('openvpn-2.6.14-server.log'),
    ].join('\n');
    const { attempts, parser } = parseOpenVpn(text, new Date(local('2026-11-22 09:00:00')));
    expect(parser.malformed).toBe(4);
    expect(attempts).toHaveLength(6);
  });

  it('fails a handshake that never finishes within the hand-window, and keeps one that is still in progress open', () => {
    const lines = [
      '2026-11-22 08:00:00 192.0.2.5:1111 VERIFY OK: depth=0, CN=slow-U0SLOW.vpn.test',
      '2026-11-22 08:02:00 192.0.2.6:2222 VERIFY OK: depth=0, CN=new-U0NEW.vpn.test',
    ];
    const { attempts } = parseOpenVpn(lines.join('\n'), new Date(local('2026-11-22 09:00:00')));
    expect(attempts).toEqual([
      {
        at: local('2026-11-22 08:00:00'),
        status: 'failed',
        reason: 'tls-handshake-timeout',
        sourceIp: '192.0.2.5',
        commonName: 'slow-U0SLOW.vpn.test',
      },
      {
        at: local('2026-11-22 08:02:00'),
        status: 'incomplete',
        sourceIp: '192.0.2.6',
        commonName: 'new-U0NEW.vpn.test',
      },
    ]);
  });

  it('drops attempts that started before `from`', () => {
    const lines = ['07:00', '08:09', '08:10', '08:30'].map(
      (time, i) => `2026-11-22 ${time}:00 TLS Error: tls-crypt unwrapping failed from [AF_INET]203.0.113.9:${1000 + i}`,
    );
    const { attempts } = parseOpenVpn(
      lines.join('\n'),
      new Date(local('2026-11-22 09:00:00')),
      new Date(local('2026-11-22 08:10:00')),
    );
    expect(attempts.map((a) => a.at)).toEqual([local('2026-11-22 08:10:00'), local('2026-11-22 08:30:00')]);
  });

  it('follows at most 20,000 open handshakes: under a flood of half-open ones the oldest are settled as incomplete, none is lost', () => {
    const lines: string[] = [];
    for (let i = 0; i < 25_000; i++)
      lines.push(
        `2026-11-22 08:00:${String(Math.floor(i / 1000)).padStart(2, '0')} 203.0.113.9:${10_000 + i} TLS: Initial packet from [AF_INET]203.0.113.9:${10_000 + i}, sid=1`,
      );
    const parser = new OpenVpnLogParser({ now: local('2026-11-22 09:00:00') });
    for (const line of lines) parser.push(line);
    expect(parser.attempts.filter((a) => a.status === 'incomplete')).toHaveLength(5_000);
    expect(parser.finish()).toHaveLength(25_000);
  });
});
