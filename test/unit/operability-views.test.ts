import fc from 'fast-check';
import type { CertificateRecord } from '../../src/domain/certificate';
import type { Check } from '../../src/services/doctor';
import { ACTION } from '../../src/slack/ids';
import { doctorMessage } from '../../src/slack/views/doctor';
import { digestMessage, reminderMessage, retiredMessage } from '../../src/slack/views/expiry';
import { assertWithinSlackLimits } from '../../src/slack/views/limits';
import type { Block } from '../../src/slack/views/types';

const NOW = new Date('2027-01-04T10:00:00Z');
const DAY = 86_400_000;

function certificate(overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    serial: '0A1B2C3D4E5F',
    cn: 'alice.laptop-U012ABCDEF.vpn.example.com',
    slackId: 'U012ABCDEF',
    device: 'laptop',
    status: 'active',
    issuedAt: new Date(NOW.getTime() - 358 * DAY),
    notBefore: new Date(NOW.getTime() - 358 * DAY),
    notAfter: new Date(NOW.getTime() + 7 * DAY),
    source: 'issued',
    issuedBy: 'U012ABCDEF',
    ...overrides,
  };
}

/** Every mrkdwn text, so tests can look for markup that should have been escaped. */
function mrkdwn(blocks: Block[]): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (record.type === 'mrkdwn' && typeof record.text === 'string') found.push(record.text);
      Object.values(record).forEach(walk);
    }
  };
  walk(blocks);
  return found;
}
const rawMarkup = (blocks: Block[]) =>
  mrkdwn(blocks).flatMap((text) => text.replace(/<@[UW][A-Z0-9]{2,}>/g, '').match(/[<>]/g) ?? []);

describe('doctor and expiry views', () => {
  it('doctor: failures first, each with its fix, and user-controlled text escaped', () => {
    const checks: Check[] = [
      { name: 'CA certificate', status: 'pass', detail: 'CN=Test CA' },
      {
        name: 'openvpn:x: CRL expiry',
        status: 'fail',
        detail: 'expires in 10.0 days <!channel>',
        fix: 'Run `vpnctl crl publish` now.',
      },
      { name: 'Slack token', status: 'warn', detail: 'not set', fix: 'Set SLACK_BOT_TOKEN.' },
    ];
    const message = doctorMessage(checks);
    assertWithinSlackLimits('message', message);
    expect(message.text).toBe('Doctor: 1 failing, 1 warning, 1 passing.');
    const text = mrkdwn(message.blocks).join('\n');
    expect(text.indexOf('❌')).toBeLessThan(text.indexOf('⚠️'));
    expect(text.indexOf('⚠️')).toBeLessThan(text.indexOf('✅'));
    expect(text).toContain(
      '❌ *openvpn:x: CRL expiry*: expires in 10.0 days &lt;!channel&gt;\n→ Run `vpnctl crl publish` now.',
    );
    expect(rawMarkup(message.blocks)).toEqual([]);
  });

  it("a reminder carries Renew with the serial, or says how to renew a certificate on the owner's own key", () => {
    const renewable = reminderMessage({ record: certificate(), daysLeft: 7, threshold: 7, renewable: true });
    assertWithinSlackLimits('message', renewable);
    expect(renewable.text).toBe('⏳ Your VPN certificate for *laptop* expires in 7 days (2027-01-11 10:00 UTC).');
    const elements = renewable.blocks.flatMap(
      (block) => (block.elements as { action_id?: string; value?: string }[] | undefined) ?? [],
    );
    expect(elements).toEqual([
      expect.objectContaining({ action_id: ACTION.renew, value: '0A1B2C3D4E5F', style: 'primary' }),
    ]);
    const own = reminderMessage({
      record: certificate({ source: 'csr', device: '<!here>' }),
      daysLeft: 0.4,
      threshold: 1,
      renewable: false,
    });
    expect(own.text).toContain('expires in less than a day');
    expect(own.blocks.some((block) => block.type === 'actions')).toBe(false);
    expect(mrkdwn(own.blocks).join()).toContain('Use my own key (CSR)');
    expect(rawMarkup(own.blocks)).toEqual([]);
  });

  it('the retirement notice says why', () => {
    const old = certificate();
    const replacement = certificate({
      serial: 'FF',
      cn: 'alice.laptop-r2-U012ABCDEF.vpn.example.com',
      device: 'laptop-r2',
    });
    expect(retiredMessage(old, replacement, 'used').text).toContain(
      'you connected with the new one, `alice.laptop-r2-U012ABCDEF.vpn.example.com`',
    );
    expect(retiredMessage(old, replacement, 'grace-period').text).toContain('was issued 7 days ago');
  });

  it("the digest stays within Slack's limits for thousands of certificates and any text (property-based)", () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 300 });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            cn: text,
            device: fc.option(text, { nil: undefined }),
            renewedAs: fc.option(text, { nil: undefined }),
            days: fc.double({ min: 0, max: 30, noNaN: true }),
          }),
          { maxLength: 40 },
        ),
        (rows) => {
          const entries = rows.map((row) => ({
            record: certificate({ cn: row.cn, device: row.device, notAfter: new Date(NOW.getTime() + row.days * DAY) }),
            daysLeft: row.days,
            renewedAs: row.renewedAs,
          }));
          const digest = digestMessage(entries, NOW);
          assertWithinSlackLimits('message', digest);
          expect(rawMarkup(digest.blocks)).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
    const many = Array.from({ length: 3_000 }, (_, i) => ({
      record: certificate({ serial: i.toString(16), notAfter: new Date(NOW.getTime() + (i % 30) * DAY) }),
      daysLeft: i % 30,
    }));
    const digest = digestMessage(many, NOW);
    assertWithinSlackLimits('message', digest);
    expect(digest.text).toBe('3000 VPN certificates expire in the next 30 days; 3000 not renewed yet.');
    expect(mrkdwn(digest.blocks).join('\n')).toMatch(/…and \d+ more: `vpnctl list` prints every certificate/);
    expect(digestMessage([], NOW).text).toBe('No VPN certificate expires in the next 30 days.');
  });

  it("doctor stays within Slack's limits with hundreds of checks", () => {
    const checks: Check[] = Array.from({ length: 400 }, (_, i) => ({
      name: `aws-client-vpn:cvpn-endpoint-${i}: CRL expiry`,
      status: i % 3 === 0 ? 'fail' : 'pass',
      detail: 'x'.repeat(2_000),
      fix: 'y'.repeat(2_000),
    }));
    const message = doctorMessage(checks);
    assertWithinSlackLimits('message', message);
    expect(mrkdwn(message.blocks).at(-1)).toMatch(/…and \d+ more: `vpnctl doctor` prints every check\./);
  });
});
