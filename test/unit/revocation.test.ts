import {
  REVOKING_REASONS,
  parseRevocationReason,
  parseRevokingReason,
  reasonOnFullCrl,
  revokingReason,
} from '../../src/domain/revocation';
import { errorOf } from '../helpers/errors';

describe('revocation reasons', () => {
  it('offers every RFC 5280 reason for revoking except removeFromCRL', () => {
    expect(REVOKING_REASONS).toEqual([
      'unspecified',
      'keyCompromise',
      'cACompromise',
      'affiliationChanged',
      'superseded',
      'cessationOfOperation',
      'certificateHold',
      'privilegeWithdrawn',
      'aACompromise',
    ]);
  });

  it('reads what people type in any letter case', () => {
    expect(parseRevokingReason(' KEYCOMPROMISE ')).toBe('keyCompromise');
    expect(parseRevokingReason('CACompromise')).toBe('cACompromise');
  });

  it.each(['removeFromCRL', 'removefromcrl'])(
    'refuses %s as a reason to revoke, saying why and what to use',
    (text) => {
      const error = errorOf(() => parseRevokingReason(text));
      expect(error.code).toBe('INVALID_REASON');
      expect(error.message).toMatch(
        /removeFromCRL is not a reason to revoke: it only takes an entry off a delta CRL.*Use one of: unspecified, keyCompromise,/,
      );
      expect(error.message).not.toMatch(/Use one of:.*removeFromCRL/);
    },
  );

  it('refuses removeFromCRL however a revocation is asked for, not only from text', () => {
    expect(errorOf(() => revokingReason('removeFromCRL')).code).toBe('INVALID_REASON');
    expect(revokingReason('superseded')).toBe('superseded');
  });

  it('lists only the reasons that revoke when the text is no reason at all', () => {
    const error = errorOf(() => parseRevokingReason('because'));
    expect(error.code).toBe('INVALID_REASON');
    expect(error.message).toBe(`"because" is not a revocation reason. Use one of: ${REVOKING_REASONS.join(', ')}.`);
  });

  it('still reads removeFromCRL where it is on record (a CRL, an index.txt), and puts it on a full CRL as unspecified', () => {
    expect(parseRevocationReason('removeFromCRL')).toBe('removeFromCRL');
    expect(reasonOnFullCrl('removeFromCRL')).toBe('unspecified');
    expect(reasonOnFullCrl('keyCompromise')).toBe('keyCompromise');
  });
});
