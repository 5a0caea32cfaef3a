import { HOUR_MS } from './time';

/** How long access lasts: `8h`, `3d`, `2w`, in whole hours (the certificate's, the grant's, the request's). */
export interface AccessDuration {
  hours: number;
}

const DURATION = /^(\d{1,5})(h|d|w)$/i;
const HOURS_PER_UNIT = { h: 1, d: 24, w: 168 } as const;

/** `8h`, `3d` or `2w`; anything else, and zero, is undefined (the caller says what it expected). */
export function parseDuration(text: string): AccessDuration | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const hours = Number(match[1]) * HOURS_PER_UNIT[match[2].toLowerCase() as keyof typeof HOURS_PER_UNIT];
  return hours > 0 ? { hours } : undefined;
}

/** `8h`, `3d`, `2w`, or `36h` where days do not divide it: the shortest exact way to say it back. */
export function formatDuration(duration: AccessDuration): string {
  const { hours } = duration;
  if (hours % 168 === 0) return `${hours / 168}w`;
  if (hours % 24 === 0) return `${hours / 24}d`;
  return `${hours}h`;
}

export const durationMs = (duration: AccessDuration) => duration.hours * HOUR_MS;
