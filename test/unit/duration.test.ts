import { formatDuration, parseDuration } from '../../src/domain/duration';

describe('access durations', () => {
  it.each([
    ['8h', 8],
    ['3d', 72],
    ['2w', 336],
    ['36H', 36],
  ])('reads %s as %i hours', (text, hours) => {
    expect(parseDuration(text)).toEqual({ hours });
  });

  it.each(['', '0h', '8', 'h', '1.5h', '-2d', '8 hours', '3m', '999999h', '8h;rm'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    [8, '8h'],
    [72, '3d'],
    [336, '2w'],
    [36, '36h'],
  ])('says %i hours back as %s', (hours, text) => {
    expect(formatDuration({ hours })).toBe(text);
  });
});
