import type { CertificateRecord } from '../../domain/certificate';
import type { DigestEntry, Reminder } from '../../domain/expiry';
import { REPLACED_GRACE_DAYS } from '../../services/certificate-renewal';
import { ACTION } from '../ids';
import { actions, button, context, message, packedSections, section } from './blocks';
import { formatTime } from './format';
import { code, mention, userText } from './markup';
import type { MessageView } from './types';
import { DAY_MS } from '../../domain/time';

/** Leaves room under the 50-block message limit for the heading and the "more" line. */
const DIGEST_BLOCKS = 40;

const device = (record: CertificateRecord) => userText(record.device ?? 'your device', 60);

function inDays(daysLeft: number): string {
  const whole = Math.floor(daysLeft);
  return whole < 1 ? 'in less than a day' : `in ${whole} day${whole === 1 ? '' : 's'}`;
}

/** The owner's DM at 30, 7 and 1 days left, with Renew when a button can do it. */
export function reminderMessage(reminder: Reminder): MessageView {
  const { record, daysLeft } = reminder;
  const headline = `⏳ Your VPN certificate for *${device(record)}* expires ${inDays(daysLeft)} (${formatTime(record.notAfter)}).`;
  const facts = `${code(record.cn)} · serial ${code(record.serial, 64)}`;
  if (!reminder.renewable) {
    return message(headline, [
      section(`${headline}\n${facts}`),
      section(
        'It uses your own key, so renewing needs a new certificate signing request: paste one under *Use my own key (CSR)* on the Home tab of this app.',
      ),
    ]);
  }
  return message(headline, [
    section(`${headline}\n${facts}`),
    section(
      `*Renew* sends you a new profile for the same device. The current one keeps working until you connect with the new one (or for ${REPLACED_GRACE_DAYS} days at most), so there is no gap.`,
    ),
    actions(button('Renew', ACTION.renew, { value: record.serial, style: 'primary' })),
  ]);
}

/** What the worker answers after a renewal has been delivered. */
export function renewedText(input: { fileName: string; old: CertificateRecord; at: Date }): string {
  const latest = new Date(Math.min(input.old.notAfter.getTime(), input.at.getTime() + REPLACED_GRACE_DAYS * DAY_MS));
  return `✅ Your renewed VPN profile *${userText(input.fileName)}* is in your DM from me. Import it and connect with it: your current certificate (${userText(input.old.cn, 128)}) stops working then, and on ${latest.toISOString().slice(0, 10)} at the latest.`;
}

/** The owner's DM when the old certificate of a renewal has been retired. */
export function retiredMessage(
  old: CertificateRecord,
  replacement: CertificateRecord,
  why: 'used' | 'grace-period',
): MessageView {
  const because =
    why === 'used'
      ? `you connected with the new one, ${code(replacement.cn)}`
      : `its replacement ${code(replacement.cn)} was issued ${REPLACED_GRACE_DAYS} days ago`;
  const text = `🔁 Your previous VPN certificate for *${device(old)}* (${code(old.cn)}) has been retired: ${because}.`;
  return message(text, [
    section(text),
    context(
      'Remove the old profile from your VPN client. If you have not imported the new one yet, it is further up in this conversation.',
    ),
  ]);
}

function digestLine(entry: DigestEntry): string {
  const { record } = entry;
  const owner = record.slackId ? mention(record.slackId) : 'no Slack owner';
  const renewal = entry.renewedAs
    ? `✅ renewed as ${code(entry.renewedAs)}`
    : record.status === 'suspended'
      ? '⏸️ paused'
      : '⏳ not renewed yet';
  return `• ${owner} · *${userText(record.device ?? 'no device label', 60)}* · ${code(record.cn)} · expires ${formatTime(record.notAfter)} (${inDays(entry.daysLeft).replace(/^in /, '')}) · ${renewal}`;
}

/** The admins' weekly digest: every certificate expiring in the next 30 days, soonest first. */
export function digestMessage(entries: DigestEntry[], now: Date): MessageView {
  const pending = entries.filter((entry) => !entry.renewedAs).length;
  const summary = entries.length
    ? `${entries.length} VPN certificate${entries.length === 1 ? '' : 's'} expire in the next 30 days; ${pending} not renewed yet.`
    : 'No VPN certificate expires in the next 30 days.';
  const sorted = [...entries].sort((a, b) => a.record.notAfter.getTime() - b.record.notAfter.getTime());
  return message(summary, [
    section(`*Weekly VPN expiry digest* · ${formatTime(now)}\n${summary}`),
    ...packedSections(sorted.map(digestLine), {
      maxBlocks: DIGEST_BLOCKS,
      more: (hidden) => `…and ${hidden} more: \`vpnctl list\` prints every certificate with its expiry.`,
    }),
    context(
      'Owners are reminded at 30, 7 and 1 days with a Renew button; nothing needs doing unless someone has left.',
    ),
  ]);
}
