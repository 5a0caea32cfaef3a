import fc from 'fast-check';
import {
  CN_TAG_LENGTH,
  MAX_CN_LENGTH,
  cnTag,
  decodeCn,
  encodeCn,
  normalizeDevice,
  slugify,
  untaggedCn,
} from '../../src/domain/cn';
import { errorOf } from '../helpers/errors';

const DOMAIN = 'vpn.example.com';
const slackId = fc.stringMatching(/^[UW][A-Z0-9]{2,12}$/);
const device = fc.stringMatching(/^[A-Za-z0-9 _.-]{0,30}[A-Za-z0-9][A-Za-z0-9 _.-]{0,30}$/);
const tag = fc.uint8Array({ minLength: CN_TAG_LENGTH, maxLength: CN_TAG_LENGTH }).map(cnTag);
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

  it('round-trips tagged CNs, keeps the seed 001 parse, and strips only the tag for the device slot', () => {
    fc.assert(
      fc.property(anyName, slackId, fc.option(device, { nil: undefined }), tag, (displayName, id, label, t) => {
        const cn = encodeCn({ displayName, slackId: id, domain: DOMAIN, device: label, tag: t });
        expect(cn.length).toBeLessThanOrEqual(MAX_CN_LENGTH);
        expect(cn).toMatch(/^[a-z0-9.-]+--[a-z2-7]{5}-[UW][A-Z0-9]+\.vpn\.example\.com$/);
        const parts = decodeCn(cn, DOMAIN);
        expect(parts).toMatchObject({ slackId: id, tag: t });
        expect(parts.device).toBe(label === undefined ? undefined : normalizeDevice(label));
        expect(cn.split('-').pop()!.split('.')[0]).toBe(id);
        // The untagged CN names the same member and device, in the shape issued before tags.
        const untagged = untaggedCn(cn);
        expect(untagged).toBe(cn.replace(`--${t}-`, '-'));
        expect(decodeCn(untagged, DOMAIN)).toEqual({
          slackId: id,
          nameSlug: parts.nameSlug,
          ...(parts.device !== undefined && { device: parts.device }),
        });
      }),
      { numRuns: 500 },
    );
  });

  it('shortens a long device label to make room for the tag, never the ID, tag or domain', () => {
    const cn = encodeCn({
      displayName: 'Jane',
      slackId: 'U0123456789',
      domain: 'vpn.corp.example.com',
      device: 'x'.repeat(24),
      tag: 'abcde',
    });
    expect(cn).toHaveLength(64);
    expect(cn).toBe(`j.${'x'.repeat(22)}--abcde-U0123456789.vpn.corp.example.com`);
    expect(decodeCn(cn, 'vpn.corp.example.com')).toEqual({
      slackId: 'U0123456789',
      nameSlug: 'j',
      device: 'x'.repeat(22),
      tag: 'abcde',
    });
  });

  it('gives two certificates of one device two CNs with one untagged form', () => {
    const input = { displayName: 'Jane Doe', slackId: 'U012ABCDEF', domain: DOMAIN, device: 'laptop' };
    const first = encodeCn({ ...input, tag: cnTag(new Uint8Array([0, 1, 2, 3, 4])) });
    const second = encodeCn({ ...input, tag: cnTag(new Uint8Array([5, 6, 7, 8, 9])) });
    expect(first).toBe('jane-doe.laptop--abcde-U012ABCDEF.vpn.example.com');
    expect(second).toBe('jane-doe.laptop--fghij-U012ABCDEF.vpn.example.com');
    expect(untaggedCn(first)).toBe('jane-doe.laptop-U012ABCDEF.vpn.example.com');
    expect(untaggedCn(second)).toBe(untaggedCn(first));
    expect(untaggedCn('jane-doe.laptop-U012ABCDEF.vpn.example.com')).toBe('jane-doe.laptop-U012ABCDEF.vpn.example.com');
    expect(untaggedCn('legacy-easyrsa-name')).toBe('legacy-easyrsa-name');
  });

  it('uses every tag character equally often', () => {
    const counts = new Map<string, number>();
    for (let byte = 0; byte < 256; byte++) {
      const t = cnTag(new Uint8Array([byte, byte, byte, byte, byte]));
      counts.set(t[0], (counts.get(t[0]) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    expect(new Set(counts.values())).toEqual(new Set([8]));
  });

  it('encodes the documented shape', () => {
    expect(encodeCn({ displayName: 'Jane Doe', slackId: 'U012ABCDEF', domain: DOMAIN })).toBe(
      'jane-doe-U012ABCDEF.vpn.example.com',
    );
    expect(encodeCn({ displayName: 'Zoë Ångström', slackId: 'W0ZOE', domain: DOMAIN, device: 'Work Laptop' })).toBe(
      'zoe-angstrom.work-laptop-W0ZOE.vpn.example.com',
    );
  });

  it('folds names with no ASCII letters to "user" and strips injection characters', () => {
    expect(encodeCn({ displayName: '😀 ΑΒΓ', slackId: 'U0X1', domain: DOMAIN })).toBe('user-U0X1.vpn.example.com');
    expect(encodeCn({ displayName: 'a/CN=evil,O=x\nb', slackId: 'U0X1', domain: DOMAIN })).toBe(
      'a-cn-evil-o-x-b-U0X1.vpn.example.com',
    );
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
    ['a malformed tag', { tag: 'ABCDE' }],
    [
      'no room left for the device label next to the tag',
      { slackId: 'U0123456789', domain: `${'a'.repeat(35)}.example.com`, device: 'laptop', tag: 'abcde' },
    ],
    ['a tag with a dash', { tag: 'ab-de' }],
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
    ['a tag of the wrong length', 'jane--abcdef-U012ABC.vpn.example.com'],
    ['a tag outside the alphabet', 'jane--abcd1-U012ABC.vpn.example.com'],
    ['an empty name before the tag', '--abcde-U012ABC.vpn.example.com'],
    ['a dash too many before the tag', 'jane---abcde-U012ABC.vpn.example.com'],
  ])('refuses to decode %s with INVALID_CN', (_label, cn) => {
    expect(errorOf(() => decodeCn(cn, DOMAIN)).code).toBe('INVALID_CN');
  });
});
