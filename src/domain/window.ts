import { VpnChatopsError } from './errors';

/** A weekly (or daily) maintenance window in UTC, e.g. `Sun 03:00-05:00 UTC`. */
export interface MaintenanceWindow {
  /** 0 = Sunday … 6 = Saturday; undefined = every day. */
  day?: number;
  startMinute: number;
  endMinute: number;
  text: string;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function parseWindow(text: string): MaintenanceWindow {
  const match = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun|Daily) ([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d) UTC$/.exec(
    text.trim(),
  );
  if (!match)
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      `CRL_WINDOW "${text}" should look like "Sun 03:00-05:00 UTC" or "Daily 02:00-03:00 UTC".`,
    );
  const startMinute = Number(match[2]) * 60 + Number(match[3]);
  const endMinute = Number(match[4]) * 60 + Number(match[5]);
  if (endMinute <= startMinute)
    throw new VpnChatopsError('INVALID_CONFIG', `CRL_WINDOW "${text}" must end after it starts, on the same day.`);
  return { day: match[1] === 'Daily' ? undefined : DAYS.indexOf(match[1]), startMinute, endMinute, text: text.trim() };
}

export function isInWindow(window: MaintenanceWindow, at: Date): boolean {
  if (window.day !== undefined && at.getUTCDay() !== window.day) return false;
  const minute = at.getUTCHours() * 60 + at.getUTCMinutes();
  return minute >= window.startMinute && minute < window.endMinute;
}

/** The next moment the window opens, at or after `at`. */
export function nextWindowStart(window: MaintenanceWindow, at: Date): Date {
  for (let offset = 0; offset <= 7; offset++) {
    const day = new Date(
      Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + offset, 0, window.startMinute),
    );
    if (
      (window.day === undefined || day.getUTCDay() === window.day) &&
      day.getTime() + (window.endMinute - window.startMinute) * 60_000 > at.getTime()
    ) {
      return day.getTime() < at.getTime() ? at : day;
    }
  }
  throw new Error('unreachable: a weekly window opens within 8 days');
}
