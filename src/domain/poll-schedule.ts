/** Nobody can react before the DM has reached them and been read: the first read waits this long after the prompt. */
export const FIRST_READ_MS = 250;
/** Most owners answer within this; after it, reads slow down a little. */
export const ATTENTIVE_MS = 10_000;
/** Late answerers' reads: at most this many times the attentive interval apart. */
export const LATE_FACTOR = 1.5;

/**
 * How long to wait before reading a prompt's approval again, by how long its owner has had the prompt.
 * The attentive interval (`pollMs`) covers the seconds in which nearly everyone answers; a late answer
 * costs at most `LATE_FACTOR × pollMs` of wait, and every gap stays within that.
 */
export function nextPollMs(sincePromptMs: number, pollMs: number): number {
  if (sincePromptMs < FIRST_READ_MS) return Math.min(FIRST_READ_MS - Math.max(0, sincePromptMs), FIRST_READ_MS);
  if (sincePromptMs < ATTENTIVE_MS) return pollMs;
  return Math.round(pollMs * LATE_FACTOR);
}
