import { parseDuration } from '../../../domain/duration';

/** `/vpn issue [device] [for <duration>]`: what the `issue` case of parse.ts reads from the words after `issue`. */
export type IssueWords = { device?: string; hours?: number } | { problem: string };

const USAGE =
  'Use `/vpn issue [device] [for 8h|3d|2w]` with a whole number and h, d or w, e.g. `/vpn issue laptop for 8h` or `/vpn issue for 3d`.';

/**
 * The last "for" starts the duration: `laptop for 8h`, `for 3d`. Everything after it must be one duration, so
 * "for 8 hours" or "for 0h" is refused with the usage rather than read as a device label; a device label that
 * needs the word takes a dash (`for-work`).
 */
export function parseIssueWords(words: string[]): IssueWords {
  const at = words.map((word) => word.toLowerCase()).lastIndexOf('for');
  const deviceWords = at === -1 ? words : words.slice(0, at);
  const device = deviceWords.length ? { device: deviceWords.join(' ') } : {};
  if (at === -1) return device;
  const asked = words.slice(at + 1);
  if (asked.length !== 1) {
    const said = asked.join(' ').slice(0, 40);
    return { problem: asked.length ? `"${said}" is not a duration. ${USAGE}` : `For how long? ${USAGE}` };
  }
  const duration = parseDuration(asked[0]);
  if (!duration) {
    const zero = /^0+[hdw]$/i.test(asked[0]);
    return {
      problem: zero
        ? `${asked[0].slice(0, 40)} is no time at all. ${USAGE}`
        : `"${asked[0].slice(0, 40)}" is not a duration. ${USAGE}`,
    };
  }
  return { ...device, hours: duration.hours };
}
