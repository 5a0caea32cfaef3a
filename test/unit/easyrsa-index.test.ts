import { VpnChatopsError } from '../../src/domain/errors';
import { parseIndexTxt } from '../../src/pki/easyrsa';

const NOW = new Date('2026-11-22T00:00:00Z');

describe('parseIndexTxt', () => {
  it('reads V, R (with and without reason) and E lines, trusting dates over flags', () => {
    const text = [
      'V\t290224051836Z\t\tBE0A5E057FEB0C7A64130082CE824DB1\tunknown\t/CN=jane-doe-U012ABCDEF.vpn.example.com',
      'R\t290224051840Z\t261122051841Z,keyCompromise\t33A9D1B4500C5C3ABA6644E828E57150\tunknown\t/CN=bob-U0BOB.vpn.example.com',
      'R\t290224051841Z\t261122051841Z\t00BE8E5AC383E1F6E88E0593E64AFB74D6\tunknown\t/CN=carol-U0CAROL.vpn.example.com',
      'V\t250101000000Z\t\t0A\tunknown\t/CN=old-laptop',
      'E\t20510101000000Z\t\t0B\tunknown\t/O=Legacy/CN=legacy',
      '',
    ].join('\n');
    const entries = parseIndexTxt(text, NOW);
    expect(entries.map((e) => [e.status, e.serial, e.cn, e.reason])).toEqual([
      ['valid', 'BE0A5E057FEB0C7A64130082CE824DB1', 'jane-doe-U012ABCDEF.vpn.example.com', undefined],
      ['revoked', '33A9D1B4500C5C3ABA6644E828E57150', 'bob-U0BOB.vpn.example.com', 'keyCompromise'],
      ['revoked', 'BE8E5AC383E1F6E88E0593E64AFB74D6', 'carol-U0CAROL.vpn.example.com', 'unspecified'],
      ['expired', '0A', 'old-laptop', undefined],
      ['expired', '0B', 'legacy', undefined],
    ]);
    expect(entries[1].revokedAt?.toISOString()).toBe('2026-11-22T05:18:41.000Z');
    expect(entries[4].notAfter.toISOString()).toBe('2051-01-01T00:00:00.000Z');
  });

  it('reads a hand-edited removeFromCRL as revoked, unspecified: on a full CRL that reason would let the certificate connect', () => {
    const [entry] = parseIndexTxt(
      'R\t290224051840Z\t261122051841Z,removeFromCRL\t0C\tunknown\t/CN=dave-U0DAVE.vpn.example.com\n',
      NOW,
    );
    expect([entry.status, entry.reason, entry.revokedAt?.toISOString()]).toEqual([
      'revoked',
      'unspecified',
      '2026-11-22T05:18:41.000Z',
    ]);
  });

  it.each([
    ['too few fields', 'V\t290224051836Z\tAB'],
    ['an unknown status', 'X\t290224051836Z\t\tAB\tunknown\t/CN=x'],
    ['a bad date', 'V\t29-02-24\t\tAB\tunknown\t/CN=x'],
    ['a bad serial', 'V\t290224051836Z\t\tNOTHEX\tunknown\t/CN=x'],
    ['an unknown reason', 'R\t290224051836Z\t261122051841Z,becauseISaidSo\tAB\tunknown\t/CN=x'],
  ])('rejects %s with the line number', (_label, line) => {
    expect(() => parseIndexTxt(`\n${line}\n`, NOW)).toThrow(VpnChatopsError);
  });

  it('names the line that is wrong', () => {
    expect(() => parseIndexTxt('V\t290224051836Z\t\tAB\tunknown\t/CN=x\nV\tbad\t\tAB\tunknown\t/CN=y', NOW)).toThrow(
      /line 2/,
    );
  });
});
