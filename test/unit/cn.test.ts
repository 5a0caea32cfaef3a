import fc from 'fast-check';
import { MAX_CN_LENGTH, decodeCn, encodeCn, normalizeDevice, slugify } from '../../src/domain/cn';
import { errorOf } from '../helpers/errors';

const DOMAIN = 'vpn.example.com';
const slackId = fc.stringMatching(/^[UW][A-Z0-9]{2,12}$/);
const device = fc.stringMatching(/^[A-Za-z0-9 _.-]{0,30}[A-Za-z0-9][A-Za-z0-9 _.-]{0,30}$/);
const anyName = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom('Zoë Ångström', '😀🎉', 'a/b,c=d\ne', 'ΑΒΓ Δ', 'O\'Brien, "Jr."', 'x'.repeat(200), '   ', ''),
);

describe('CN codec', () => {
  it('round-trips any display name, Slack ID and device label', () => {
    fc.assert(
      fc.property(anyName, slackId, fc.option(device, { nil: undefined }), (displayName, id, label) => {
        const cn = encodeCn({ displayName, slackId: id, domain: DOMAIN, device: label });
        expect(cn.length).toBeLessThanOrEqual(MAX_CN_LENGTH);
        expect(cn).toMatch(/^[a-z0-9.-]+-[UW][A-Z0-9]+\.vpn\.example\.com$/);
        const parts = decodeCn(cn, DOMAIN);
        expect(parts.slackId).toBe(id);
        expect(parts.device).toBe(label === undefined ? undefined : normalizeDevice(label));
        // The seed 001 handler's parse yields the same ID when the domain has no '-'.
        expect(cn.split('-').pop()!.split('.')[0]).toBe(id);
      }),
      { numRuns: 500 },
    );
  });

  it('encodes the documented shape', () => {
    expect(encodeCn({ displayName: 'Jane Doe', slackId: 'U012ABCDEF', domain: DOMAIN })).toBe('jane-doe-U012ABCDEF.vpn.example.com');
    expect(encodeCn({ displayName: 'Zoë Ångström', slackId: 'W0ZOE', domain: DOMAIN, device: 'Work Laptop' })).toBe(
      'zoe-angstrom.work-laptop-W0ZOE.vpn.example.com',
    );
  });

  it('folds names with no ASCII letters to "user" and strips injection characters', () => {
    expect(encodeCn({ displayName: '😀 ΑΒΓ', slackId: 'U0X1', domain: DOMAIN })).toBe('user-U0X1.vpn.example.com');
    expect(encodeCn({ displayName: 'a/CN=evil,O=x\nb', slackId: 'U0X1', domain: DOMAIN })).toBe('a-cn-evil-o-x-b-U0X1.vpn.example.com');
  });

  it('shortens the name, never the ID or the domain, to fit 64 characters', () => {
    const cn = encodeCn({ displayName: 'x'.repeat(200), slackId: 'U0123456789AB', domain: DOMAIN, device: 'laptop' });
    expect(cn).toHaveLength(64);
    expect(cn.endsWith('.laptop-U0123456789AB.vpn.example.com')).toBe(true);
    expect(slugify('Ab--Cd__Éf')).toBe('ab-cd-ef');
  });

  it.each([
    ['lower-case ID', { slackId: 'u012abc' }],
    ['bot-style ID', { slackId: 'B0123' }],
    ['too-short ID', { slackId: 'U1' }],
    ['ID with a newline', { slackId: 'U0123\n' }],
    ['ID with DN injection', { slackId: 'U0123,CN=root' }],
    ['device with a slash', { device: 'lap/top' }],
    ['device with DN characters', { device: 'x,CN=admin' }],
    ['device with a newline', { device: 'a\nb' }],
    ['device with only punctuation', { device: '---' }],
    ['upper-case domain', { domain: 'VPN.example.com' }],
    ['domain with a slash', { domain: 'vpn/example.com' }],
    ['domain too long to leave room', { domain: `${'a'.repeat(50)}.example.com` }],
  ])('rejects %s with INVALID_CN_INPUT', (_label, override) => {
    const input = { displayName: 'Jane', slackId: 'U012ABC', domain: DOMAIN, ...override };
    expect(errorOf(() => encodeCn(input)).code).toBe('INVALID_CN_INPUT');
  });

  it.each([
    ['a foreign domain', 'jane-U012ABC.evil.example.org'],
    ['no ID', 'jane.vpn.example.com'],
    ['a bad ID', 'jane-u012abc.vpn.example.com'],
    ['an upper-case name', 'Jane-U012ABC.vpn.example.com'],
    ['an empty device', 'jane.-U012ABC.vpn.example.com'],
    ['over 64 characters', `${'a'.repeat(60)}-U012ABC.vpn.example.com`],
    ['an empty string', ''],
  ])('refuses to decode %s with INVALID_CN', (_label, cn) => {
    expect(errorOf(() => decodeCn(cn, DOMAIN)).code).toBe('INVALID_CN');
  });
});
