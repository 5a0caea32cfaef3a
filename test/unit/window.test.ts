import { MaintenanceWindow, isInWindow, nextWindowStart, parseWindow } from '../../src/domain/window';

const at = (iso: string) => new Date(iso);
const MINUTE = 60_000;

/** The answer nextWindowStart must give, found the slow way: step minute by minute until the window is open. */
function firstOpenMinute(window: MaintenanceWindow, from: Date): Date {
  if (isInWindow(window, from)) return from;
  let t = Math.ceil(from.getTime() / MINUTE) * MINUTE;
  for (let steps = 0; steps <= 8 * 1440 && !isInWindow(window, new Date(t)); steps++) t += MINUTE;
  return new Date(t);
}

describe('CRL_WINDOW parsing', () => {
  it.each([
    ['Sun 03:00-05:00 UTC', { day: 0, startMinute: 180, endMinute: 300, text: 'Sun 03:00-05:00 UTC' }],
    ['Sat 22:15-23:59 UTC', { day: 6, startMinute: 1335, endMinute: 1439, text: 'Sat 22:15-23:59 UTC' }],
    ['Daily 00:00-01:30 UTC', { day: undefined, startMinute: 0, endMinute: 90, text: 'Daily 00:00-01:30 UTC' }],
    ['  Wed 12:00-13:00 UTC\n', { day: 3, startMinute: 720, endMinute: 780, text: 'Wed 12:00-13:00 UTC' }],
  ])('reads %j', (text, expected) => {
    expect(parseWindow(text)).toEqual(expected);
  });

  it.each([
    'Sunday night',
    '',
    'sun 03:00-05:00 UTC',
    'Sun 3:00-5:00 UTC',
    'Sun 03:00-05:00',
    'Sun 03:00-05:00 CET',
    'Weekends 03:00-05:00 UTC',
    'Sun 03:00 - 05:00 UTC',
  ])('refuses %j and shows the expected form', (text) => {
    expect(() => parseWindow(text)).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message: `CRL_WINDOW "${text}" should look like "Sun 03:00-05:00 UTC" or "Daily 02:00-03:00 UTC".`,
      }),
    );
  });

  it.each(['Sun 24:00-25:00 UTC', 'Sun 03:60-04:00 UTC', 'Daily 22:00-99:99 UTC'])(
    'refuses %j: hours run 00-23 and minutes 00-59',
    (text) => {
      expect(() => parseWindow(text)).toThrow(
        expect.objectContaining({
          code: 'INVALID_CONFIG',
          message: expect.stringContaining('should look like "Sun 03:00-05:00 UTC"'),
        }),
      );
    },
  );

  it.each(['Sun 05:00-03:00 UTC', 'Sun 03:00-03:00 UTC', 'Daily 23:00-00:30 UTC'])(
    'refuses %j: a window ends after it starts, on the same day',
    (text) => {
      expect(() => parseWindow(text)).toThrow(
        expect.objectContaining({
          code: 'INVALID_CONFIG',
          message: `CRL_WINDOW "${text}" must end after it starts, on the same day.`,
        }),
      );
    },
  );
});

describe('maintenance window', () => {
  const sunday = parseWindow('Sun 03:00-05:00 UTC');
  const daily = parseWindow('Daily 02:00-03:00 UTC');

  it.each([
    ['2027-01-03T03:00:00.000Z', true], // Sunday: the start is inside
    ['2027-01-03T04:59:59.999Z', true],
    ['2027-01-03T05:00:00.000Z', false], // the end is not
    ['2027-01-03T02:59:59.999Z', false],
    ['2027-01-04T04:00:00.000Z', false], // Monday
    ['2027-01-09T04:00:00.000Z', false], // Saturday
  ])('Sun 03:00-05:00 UTC at %s: inside is %s', (time, inside) => {
    expect(isInWindow(sunday, at(time))).toBe(inside);
  });

  it('opens every day when the window is Daily', () => {
    for (let day = 0; day < 7; day++) {
      const midnight = Date.UTC(2027, 0, 3 + day);
      expect([1.99, 2, 2.5, 3].map((hours) => isInWindow(daily, new Date(midnight + hours * 60 * MINUTE)))).toEqual([
        false,
        true,
        true,
        false,
      ]);
    }
  });

  it.each([
    ['Sunday before it opens', sunday, '2027-01-03T02:59:00.000Z', '2027-01-03T03:00:00.000Z'],
    ['inside it: now', sunday, '2027-01-03T04:30:12.345Z', '2027-01-03T04:30:12.345Z'],
    ['Sunday after it closed: a week later', sunday, '2027-01-03T05:00:00.000Z', '2027-01-10T03:00:00.000Z'],
    ['Saturday night: across midnight', sunday, '2027-01-09T23:30:00.000Z', '2027-01-10T03:00:00.000Z'],
    ['across a month end', sunday, '2027-03-30T12:00:00.000Z', '2027-04-04T03:00:00.000Z'],
    ['across a year end', sunday, '2027-12-27T00:00:00.000Z', '2028-01-02T03:00:00.000Z'],
    ['Daily, after it closed: tomorrow', daily, '2027-01-05T03:00:00.000Z', '2027-01-06T02:00:00.000Z'],
    ["Daily, New Year's Eve: next year", daily, '2027-12-31T23:59:59.000Z', '2028-01-01T02:00:00.000Z'],
  ])('next start, %s', (_case, window, from, expected) => {
    expect(nextWindowStart(window, at(from)).toISOString()).toBe(expected);
  });

  it('gives the first open moment from any time of the week, for a weekly and a daily window', () => {
    for (const window of [sunday, daily, parseWindow('Sat 23:00-23:59 UTC'), parseWindow('Mon 00:00-00:01 UTC')]) {
      // Every 37 minutes (plus seconds) over two weeks: lands on every weekday, inside and outside the window.
      for (let t = Date.UTC(2027, 0, 1); t < Date.UTC(2027, 0, 15); t += 37 * MINUTE + 1_234) {
        expect(nextWindowStart(window, new Date(t))).toEqual(firstOpenMinute(window, new Date(t)));
      }
    }
  });
});
