import { CertificateRecord, effectiveStatus } from '../domain/certificate';
import type { DigestEntry } from '../domain/expiry';
import type { CertificateStore, Clock, ExpiryNotifier, IdempotencyStore } from '../ports';
import { RENEWAL_OPENS_DAYS } from './certificate-renewal';
import type { Deadline } from '../domain/deadline';
import { messageOf } from '../domain/errors';
import { DAY_MS, sleep } from '../domain/time';

/** Owners hear about an expiring certificate at these days left, once each. */
export const REMINDER_DAYS: readonly number[] = [30, 7, 1];
/** How far ahead the admins' weekly digest looks. */
export const DIGEST_DAYS = 30;
/** Claims outlive any certificate they are about, so a reminder is never sent twice. */
const CLAIM_TTL_S = 400 * 86_400;

/**
 * chat.postMessage allows about one message a second per channel under a workspace-wide limit (the stand-in
 * models 300 a minute). Reminders take at most 240 a minute, one DM started every 250 ms, and a second DM to
 * the same owner (another device) waits a second, so a login prompt still finds room. At 20,000 certificates
 * of a year, about 55 cross each threshold a day: 165 DMs, 41 s.
 */
export const REMINDER_PACE: ReminderPace = { intervalMs: 250, perOwnerMs: 1_000 };
/** Without a deadline, how long a reminder may wait for room in the shared budget: its limit is per minute. */
const ROOM_WAIT_MS = 60_000;

export interface ReminderPace {
  /** Between the starts of two DMs. */
  intervalMs: number;
  /** Between the starts of two DMs to the same owner: one channel. */
  perOwnerMs: number;
}

export interface ReminderDeps {
  certificates: CertificateStore;
  idempotency: IdempotencyStore;
  notifier: ExpiryNotifier;
  clock: Clock;
  pace?: Partial<ReminderPace>;
  /** No DM starts after it; the rest are left unclaimed for the next run. */
  deadline?: Deadline;
}

export interface ReminderResult {
  sent: { serial: string; threshold: number }[];
  failed: { serial: string; error: string }[];
  /** Certificates the deadline left unchecked: nothing claimed for them, so the next run reminds whoever is due. */
  notReached: number;
}

const daysLeftOf = (record: CertificateRecord, now: Date) => (record.notAfter.getTime() - now.getTime()) / DAY_MS;

/** A renewed certificate's replacement, when it is still live: then the old one needs no reminders. */
async function liveReplacement(
  certificates: CertificateStore,
  record: CertificateRecord,
): Promise<CertificateRecord | undefined> {
  if (!record.replacedBy) return undefined;
  const replacement = await certificates.get(record.replacedBy);
  return replacement && replacement.status !== 'revoked' ? replacement : undefined;
}

/**
 * DM each owner at 30, 7 and 1 days before expiry, once each: a DynamoDB claim per certificate and
 * threshold makes a second run on the same day (a retried Lambda) send nothing. When a run was
 * missed, only the most urgent threshold crossed is sent. A DM that fails gives its claim back, so
 * the next run tries again. DMs are paced (REMINDER_PACE) in the order given, soonest expiry first from the
 * store, so a run stopped by its deadline leaves the least urgent ones for the next run.
 */
export async function sendExpiryReminders(deps: ReminderDeps, expiring: CertificateRecord[]): Promise<ReminderResult> {
  const now = deps.clock.now();
  const pace = { ...REMINDER_PACE, ...deps.pace };
  const result: ReminderResult = { sent: [], failed: [], notReached: 0 };
  let nextStart = Date.now();
  const lastTo = new Map<string, number>();
  for (const [index, record] of expiring.entries()) {
    if (
      !record.slackId ||
      effectiveStatus(record, now) !== 'active' ||
      (await liveReplacement(deps.certificates, record))
    )
      continue;
    const daysLeft = daysLeftOf(record, now);
    const crossed = REMINDER_DAYS.filter((threshold) => daysLeft <= threshold);
    if (crossed.length === 0) continue;
    const threshold = Math.min(...crossed);
    const start = Math.max(nextStart, (lastTo.get(record.slackId) ?? -Infinity) + pace.perOwnerMs);
    if (deps.deadline && deps.deadline.remainingMs() <= start - Date.now()) {
      result.notReached = expiring.length - index;
      break;
    }
    // Claimed only once it is about to go: a run cut off while it waits (a Lambda frozen when the daily job
    // returns) holds no claim for 400 days on a reminder it never sent.
    if (start > Date.now()) await sleep(start - Date.now());
    // Room under the limit the login prompts share (a claim held by a retried run still spends it); with none
    // before the deadline, this reminder and the rest stay unclaimed for the next run.
    const by = new Date(Date.now() + (deps.deadline ? deps.deadline.remainingMs() : ROOM_WAIT_MS));
    if (deps.notifier.room && !(await deps.notifier.room(by))) {
      result.notReached = expiring.length - index;
      break;
    }
    const keys = crossed.map((days) => `expiry-reminder:${record.serial}:${days}`);
    const fresh = await Promise.all(keys.map((key) => deps.idempotency.claim(key, CLAIM_TTL_S)));
    if (!fresh[crossed.indexOf(threshold)]) continue;
    nextStart = Date.now() + pace.intervalMs;
    lastTo.set(record.slackId, Date.now());
    try {
      await deps.notifier.remind({
        record,
        daysLeft,
        threshold,
        renewable: record.source !== 'csr' && daysLeft <= RENEWAL_OPENS_DAYS,
      });
      result.sent.push({ serial: record.serial, threshold });
    } catch (error) {
      await Promise.all(
        keys.filter((_, i) => fresh[i]).map((key) => deps.idempotency.release(key).catch(() => undefined)),
      );
      result.failed.push({ serial: record.serial, error: messageOf(error) });
    }
  }
  return result;
}

/** ISO 8601 week, e.g. `2027-W01`: the digest goes out on the first daily run of each. */
export function isoWeek(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * Once per ISO week: what expires in the next 30 days, and who has renewed. Sent even when empty, so silence means the
 * job is not running.
 */
export async function sendWeeklyDigest(deps: ReminderDeps, expiring: CertificateRecord[]): Promise<boolean> {
  const now = deps.clock.now();
  const key = `expiry-digest:${isoWeek(now)}`;
  if (!(await deps.idempotency.claim(key, 8 * 86_400))) return false;
  const entries: DigestEntry[] = [];
  for (const record of expiring) {
    const renewed = await liveReplacement(deps.certificates, record);
    entries.push({ record, daysLeft: daysLeftOf(record, now), ...(renewed && { renewedAs: renewed.cn }) });
  }
  try {
    await deps.notifier.digest(entries, now);
  } catch (error) {
    await deps.idempotency.release(key).catch(() => undefined);
    throw error;
  }
  return true;
}
