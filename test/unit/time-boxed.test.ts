import { parseVpnCommand } from '../../src/slack/listeners/commands/parse';
import { checkAccessHours, isTimeBoxed, lifetimeHours } from '../../src/services/time-boxed';
import { chosenHours, durationSelect } from '../../src/slack/views/duration-select';
import { assertWithinSlackLimits } from '../../src/slack/views/limits';
import { actions } from '../../src/slack/views/blocks';
import { HOUR_MS } from '../../src/domain/time';
import type { CertificateRecord } from '../../src/domain/certificate';
import type { AuditLog, CertificateStore, VpnEndpoint } from '../../src/ports';
import { sweepExpiry } from '../../src/services/expiry-sweep';

describe('/vpn issue … for <duration>', () => {
  it.each([
    ['issue laptop for 8h', { kind: 'issue', device: 'laptop', hours: 8 }],
    ['issue for 3d', { kind: 'issue', hours: 72 }],
    ['issue work laptop FOR 2W', { kind: 'issue', device: 'work laptop', hours: 336 }],
    ['issue laptop', { kind: 'issue', device: 'laptop' }],
    ['issue', { kind: 'issue' }],
    ['issue for-work', { kind: 'issue', device: 'for-work' }],
  ])('%j', (text, expected) => {
    expect(parseVpnCommand(text)).toEqual(expected);
  });

  it.each([
    ['issue laptop for 8 hours', /"8 hours" is not a duration\. Use `\/vpn issue \[device\] \[for 8h\|3d\|2w\]`/],
    ['issue laptop for 0h', /^0h is no time at all\./],
    ['issue laptop for 1.5h', /"1\.5h" is not a duration/],
    ['issue laptop for', /^For how long\?/],
    ['issue laptop for work', /"work" is not a duration/],
    ['issue laptop for -8h', /"-8h" is not a duration/],
  ])('%j is refused with the usage', (text, problem) => {
    const command = parseVpnCommand(text);
    expect(command.kind).toBe('help');
    expect(command.kind === 'help' && command.problem).toMatch(problem);
  });
});

describe('MAX_ACCESS_HOURS', () => {
  it('passes a duration within the cap, and no duration at all (a regular certificate)', () => {
    expect(checkAccessHours(8, 720)).toBe(8);
    expect(checkAccessHours(720, 720)).toBe(720);
    expect(checkAccessHours(undefined, 8)).toBeUndefined();
  });

  it('refuses more than the cap, naming it, rather than cutting it short', () => {
    expect(() => checkAccessHours(336, 72)).toThrow(
      /You asked for 2w of access; the most this workspace allows is 3d \(MAX_ACCESS_HOURS=72\).*nothing was issued/,
    );
    expect(() => checkAccessHours(0, 72)).toThrow(/not a duration/);
    expect(() => checkAccessHours(1.5, 72)).toThrow(/not a duration/);
  });

  it("reads a certificate's lifetime back from its dates (notBefore backdated 5 minutes)", () => {
    const issued = Date.parse('2026-12-05T10:00:00Z');
    const record = (hours: number) => ({
      notBefore: new Date(issued - 5 * 60_000),
      notAfter: new Date(issued + hours * HOUR_MS),
    });
    expect(lifetimeHours(record(8))).toBe(8);
    expect(isTimeBoxed(record(8), 365)).toBe(true);
    expect(isTimeBoxed(record(365 * 24), 365)).toBe(false);
  });
});

describe('the Home’s duration select', () => {
  const now = new Date('2026-12-05T10:00:00Z');

  it('offers the CERT_DAYS default first, then only what MAX_ACCESS_HOURS allows, within Slack’s limits', () => {
    const select = durationSelect('pick', { now, certDays: 365, maxHours: 72 }) as {
      options: { text: { text: string }; value: string }[];
      initial_option: { value: string };
    };
    expect(select.options.map((option) => [option.text.text, option.value])).toEqual([
      ['Until 2027-12-05', 'default'],
      ['For 8 hours', '8'],
      ['For 1 day', '24'],
      ['For 3 days', '72'],
    ]);
    expect(select.initial_option.value).toBe('default');
    expect(() => assertWithinSlackLimits('home', { type: 'home', blocks: [actions(select)] })).not.toThrow();
    const all = durationSelect('pick', { now, certDays: 365, maxHours: 720 }) as { options: { value: string }[] };
    expect(all.options.map((option) => option.value)).toEqual(['default', '8', '24', '72', '168', '336', '720']);
  });

  it('reads a chosen number of hours back, and anything else as the default', () => {
    expect(chosenHours('8')).toBe(8);
    expect(chosenHours('default')).toBeUndefined();
    expect(chosenHours(undefined)).toBeUndefined();
    expect(chosenHours('0')).toBeUndefined();
    expect(chosenHours('8; drop')).toBeUndefined();
  });

  it('the limits checker refuses an initial option that is not one of the options', () => {
    const select = { ...durationSelect('pick', { now, certDays: 365, maxHours: 8 }), initial_option: { value: 'x' } };
    expect(() => assertWithinSlackLimits('home', { type: 'home', blocks: [actions(select)] })).toThrow(
      /initial_option must be one of the options/,
    );
  });
});

describe('the expiry sweep, past 10,000 expired certificates', () => {
  it('still reaches the one that just ran out, whose session is live', async () => {
    const now = new Date('2027-01-10T12:00:00Z');
    // The store lists oldest first, as DynamoDB's notAfter index does.
    const expired = Array.from({ length: 10_001 }, (_, i) => ({
      serial: `S${i}`,
      cn: `cn-${i}`,
      notAfter: new Date(now.getTime() - HOUR_MS * 20 + i),
      status: 'active',
    })) as unknown as CertificateRecord[];
    const ended: string[] = [];
    const endpoint = {
      key: 'openvpn:local',
      listSessions: async () => [{ connectionId: 'c-newest', commonName: 'cn-10000' }],
      terminateSessions: async (ids: string[]) => {
        ended.push(...ids);
        return ids;
      },
    } as unknown as VpnEndpoint;
    const report = await sweepExpiry({
      certificates: { expiring: async () => expired } as unknown as CertificateStore,
      audit: { append: async () => undefined } as unknown as AuditLog,
      endpoints: [endpoint],
      clock: { now: () => now },
      certDays: 365,
    });
    expect(report.expired).toBe(10_001);
    expect(ended).toEqual(['c-newest']);
  });
});
