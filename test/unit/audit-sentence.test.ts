import fc from 'fast-check';
import type { AuditAction, AuditEntry, AuditOutcome } from '../../src/domain/audit';
import { auditSentence, deviceOfCn, plainStyle } from '../../src/domain/audit-sentence';
import { homeView } from '../../src/slack/views/home';
import type { HomeData } from '../../src/slack/views/types';

const AT = new Date('2026-03-01T11:30:00Z');
const ADA = 'U0ADMIN';
const ALICE = 'U0ALICE';
const CN = 'alice.laptop-U0ALICE.vpn.example.com';
const names = plainStyle((id) => ({ [ADA]: 'Ada', [ALICE]: 'Alice' })[id]);

const entry = (
  action: AuditAction,
  fields: Partial<AuditEntry> & { details?: Record<string, unknown> } = {},
): AuditEntry => ({ id: 'e1', at: AT, actor: ADA, action, target: ALICE, outcome: 'success', ...fields });

// A Record over AuditAction: adding an action to the union without a sentence here fails to compile.
const EVERY_ACTION: Record<AuditAction, [AuditEntry, string]> = {
  'certificate.issue': [
    entry('certificate.issue', { actor: ALICE, details: { serial: '0A', cn: CN, source: 'generated', validHours: 8 } }),
    'Alice was issued a certificate for laptop (8h)',
  ],
  'certificate.renew': [
    entry('certificate.renew', { actor: ALICE, details: { old: '0A', new: '0B', cn: CN } }),
    "Alice renewed Alice's laptop certificate",
  ],
  'certificate.revoke': [
    entry('certificate.revoke', { details: { serial: '0A', cn: CN, reason: 'left the company' } }),
    "Ada revoked Alice's laptop certificate: left the company",
  ],
  'certificate.import': [
    entry('certificate.import', { actor: 'vpnctl:root', target: '0A1B' }),
    'vpnctl:root imported the certificate 0A1B',
  ],
  'certificate.reenable': [
    entry('certificate.reenable', { actor: ALICE, details: { serial: '0A' } }),
    'Alice re-enabled Alice\'s certificate 0A after a "Not me"',
  ],
  'certificate.extend': [
    entry('certificate.extend', { actor: ALICE, details: { serial: '0A', cn: CN, hours: 24 } }),
    "Alice extended Alice's laptop certificate by 1d",
  ],
  'ca.init': [entry('ca.init', { actor: 'vpnctl:root', target: 'local:ca' }), 'vpnctl:root created the CA in local:ca'],
  'ca.import': [
    entry('ca.import', { actor: 'vpnctl:root', target: 'local:ca', details: { certificates: 3 } }),
    'vpnctl:root imported the CA and 3 certificates from Easy-RSA into local:ca',
  ],
  'ca.server-cert': [
    entry('ca.server-cert', { actor: 'vpnctl:root', target: 'server.vpn.example.com' }),
    'vpnctl:root issued the server certificate server.vpn.example.com',
  ],
  'endpoint.tls-crypt-v2-key': [
    entry('endpoint.tls-crypt-v2-key', {
      actor: 'vpnctl:root',
      target: 'openvpn:office',
      details: { generated: true, replaced: true, store: 'secretsmanager:vpn/tls-crypt-v2' },
    }),
    'vpnctl:root generated a new tls-crypt-v2 server key of openvpn:office',
  ],
  'sessions.terminate': [
    entry('sessions.terminate', { target: 'openvpn:local', details: { cns: [CN], terminated: 1, found: 1 } }),
    `Ada ended 1 of 1 sessions of ${CN} on openvpn:local`,
  ],
  'sessions.expire': [
    entry('sessions.expire', {
      actor: 'system:expiry',
      target: 'openvpn:local',
      details: { cns: [CN], serials: ['0A'], found: 1, terminated: 1 },
    }),
    `system:expiry ended 1 expired session of ${CN} on openvpn:local`,
  ],
  'crl.publish': [
    entry('crl.publish', { target: 'openvpn:local', details: { crlNumber: '7', entries: 2 } }),
    'Ada published CRL #7 (2 revoked) on openvpn:local',
  ],
  'crl.renew': [
    entry('crl.renew', { actor: 'system:daily', target: 'openvpn:local', details: { daysLeft: 12.25 } }),
    'system:daily renewed the CRL on openvpn:local with 12.3 days left',
  ],
  'crl.alert': [
    entry('crl.alert', { actor: 'system:crl-renewal', target: 'openvpn:local', details: { daysLeft: 3 } }),
    'system:crl-renewal warned the admins that the CRL on openvpn:local has 3.0 days left',
  ],
  'crl.carry-forward': [
    entry('crl.carry-forward', { target: 'openvpn:local', details: { from: '5', serials: 2 } }),
    'Ada carried 2 revocations forward from CRL #5 on openvpn:local',
  ],
  'approval.decide': [
    entry('approval.decide', { actor: ALICE, target: CN, details: { answer: 'approve', publicIp: '198.51.100.4' } }),
    `Alice approved a login by ${CN} from 198.51.100.4`,
  ],
  'access.refused': [
    entry('access.refused', { actor: 'U0BOB', target: 'U0BOB', outcome: 'refused', details: { what: 'revoke' } }),
    'U0BOB was refused: revoke',
  ],
  'audit.export': [
    entry('audit.export', { target: 'all', details: { since: '2026-02-01', entries: 40 } }),
    'Ada exported the audit trail since 2026-02-01 (40 entries)',
  ],
  'access.offboard': [
    entry('access.offboard', {
      actor: 'system:offboarding',
      details: { cause: 'deactivated', source: 'event', mode: 'auto', revoked: ['0A', '0B'], sessionsEnded: 1 },
    }),
    'system:offboarding offboarded Alice: deactivated in Slack (2 certificates revoked, 1 session ended)',
  ],
  'access.grant': [
    entry('access.grant', { details: { hours: 72, reason: 'on call' } }),
    'Ada let Alice get VPN access for 3d: on call',
  ],
  'access.request': [
    entry('access.request', { actor: ALICE, details: { device: 'laptop', hours: 8, reason: 'release night' } }),
    'Alice asked for VPN access for laptop (8h): release night',
  ],
  'access.request.approve': [
    entry('access.request.approve', { details: { hours: 8 } }),
    "Ada approved Alice's VPN access request for 8h",
  ],
  'access.request.deny': [
    entry('access.request.deny', { details: { reason: 'not needed' } }),
    "Ada denied Alice's VPN access request: not needed",
  ],
  'access.request.expire': [
    entry('access.request.expire', { actor: 'system:requests' }),
    "Alice's VPN access request expired unanswered",
  ],
};

describe('audit entries as sentences', () => {
  it.each(Object.entries(EVERY_ACTION))('%s', (_, [audit, sentence]) => {
    expect(auditSentence(audit, names)).toBe(sentence);
  });

  it('says how it ended when it did not succeed, and shows IDs where no name is known', () => {
    expect(
      auditSentence(entry('certificate.revoke', { outcome: 'failure', details: { cn: CN, error: 'throttled' } })),
    ).toBe("U0ADMIN revoked U0ALICE's laptop certificate (failed: throttled)");
    expect(
      auditSentence(entry('crl.publish', { target: 'cvpn-1', outcome: 'deferred', details: { until: '2026-03-08' } })),
    ).toBe('U0ADMIN deferred publishing the CRL on cvpn-1 until 2026-03-08');
    expect(auditSentence(entry('approval.decide', { actor: 'system:connect', target: CN, outcome: 'refused' }))).toBe(
      `The VPN refused a login by ${CN}`,
    );
  });

  it('says who issued a certificate for someone else, and from a CSR', () => {
    expect(
      auditSentence(entry('certificate.issue', { actor: 'vpnctl:root', details: { cn: CN, source: 'csr' } }), names),
    ).toBe('vpnctl:root issued Alice a certificate for laptop from a CSR');
  });

  it('says what offboarding in report mode and a failed expiry sweep left undone, once', () => {
    expect(
      auditSentence(
        entry('access.offboard', {
          actor: 'system:offboarding',
          outcome: 'deferred',
          details: { cause: 'guest', mode: 'report', serials: ['0A'] },
        }),
        names,
      ),
    ).toBe('system:offboarding reported that Alice should be offboarded: now a guest; nothing was revoked');
    expect(
      auditSentence(
        entry('sessions.expire', {
          actor: 'system:expiry',
          target: 'cvpn-1',
          outcome: 'failure',
          details: { cns: [CN], found: 1, terminated: 0, error: 'throttled' },
        }),
      ),
    ).toBe(`system:expiry could not end the expired sessions of ${CN} on cvpn-1: throttled`);
  });

  it('falls back to what the entry says for an action it does not know', () => {
    const future = { ...entry('certificate.issue'), action: 'certificate.teleport' } as unknown as AuditEntry;
    expect(auditSentence(future, names)).toBe('Ada did certificate.teleport to Alice');
    // Names Object.prototype has are no phrases, outcomes or reasons either.
    const odd = {
      ...entry('certificate.revoke', { details: { reason: 'constructor', cn: CN } }),
      action: 'toString',
      outcome: 'hasOwnProperty',
    } as unknown as AuditEntry;
    expect(auditSentence(odd, names)).toBe('Ada did toString to Alice');
    expect(auditSentence(entry('certificate.revoke', { details: { reason: 'toString', cn: CN } }), names)).toBe(
      "Ada revoked Alice's laptop certificate: toString",
    );
  });

  it('reads the device label from a CN, tagged or not, and nothing from a CN without one', () => {
    expect(deviceOfCn(CN)).toBe('laptop');
    expect(deviceOfCn('alice.laptop--ab3de-U0ALICE.vpn.example.com')).toBe('laptop');
    expect(deviceOfCn('alice-U0ALICE.vpn.example.com')).toBeUndefined();
  });

  it('passes a stored duration text through the style, as every other outside text', () => {
    const marked = { who: (id: string) => id, text: (raw: string) => `[${raw}]`, code: (raw: string) => raw };
    const sentence = auditSentence(
      entry('access.grant', { actor: 'U0ADMIN', target: 'U0ALICE', details: { duration: '<!channel>' } }),
      marked,
    );
    expect(sentence).toContain('[<!channel>]');
  });

  // Every key a sentence reads.
  const DETAIL_KEYS = [
    ...['cn', 'serial', 'new', 'device', 'source', 'reason', 'note', 'error', 'hours', 'validHours', 'duration'],
    ...['notAfter', 'carriedForwardFrom', 'replaced', 'certificates', 'cns', 'terminated', 'found', 'sessions'],
    ...['count', 'crlNumber', 'entries', 'until', 'daysLeft', 'serials', 'from', 'publicIp', 'answer', 'what'],
    ...['since', 'revoked', 'mode', 'cause', 'sessionsEnded'],
  ];

  it('never throws and always says something, whatever the details hold', () => {
    const actions = Object.keys(EVERY_ACTION) as AuditAction[];
    fc.assert(
      fc.property(
        fc.constantFrom(...actions),
        fc.constantFrom<AuditOutcome>('success', 'failure', 'refused', 'partial', 'deferred'),
        fc.string(),
        fc.dictionary(
          fc.constantFrom(...DETAIL_KEYS),
          fc.oneof(fc.anything(), fc.constantFrom('toString', 'constructor', '__proto__', 'unspecified', 'report')),
        ),
        (action, outcome, target, details) => {
          const sentence = auditSentence(entry(action, { outcome, target, details }), names);
          expect(typeof sentence).toBe('string');
          expect(sentence.length).toBeGreaterThan(0);
          expect(sentence).not.toMatch(/undefined|\[object Object\]|NaN/);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('on the Home, names are mentions and outside text cannot ping, link or format', () => {
    const data: HomeData = {
      userId: ADA,
      now: AT,
      certificates: [],
      recentLogins: [],
      admin: {
        crl: [],
        pendingApprovals: [],
        sessions: [],
        certificates: { records: [], counts: { active: 0, suspended: 0, expired: 0, revoked: 0 }, page: 0 },
        audit: [entry('certificate.revoke', { details: { cn: CN, reason: '<!channel> *bold* <https://x|y>' } })],
      },
    };
    const text = JSON.stringify(homeView(data).blocks);
    expect(text).toContain(
      `✅ 2026-03-01 11:30 UTC · <@${ADA}> revoked <@${ALICE}>'s laptop certificate: &lt;!channel&gt; ∗bold∗ &lt;https://x|y&gt;`,
    );
  });
});
