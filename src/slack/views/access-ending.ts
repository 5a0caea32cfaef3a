import type { CertificateRecord } from '../../domain/certificate';
import { formatDuration } from '../../domain/duration';
import { ACTION } from '../ids';
import { actions, button, context, message, section } from './blocks';
import { formatTime } from './format';
import { code, userText } from './markup';
import type { MessageView } from './types';

/**
 * The owner's DM 15 minutes before time-boxed access ends, with Extend for as long again (a CSR's owner makes a new
 * CSR).
 */
export function endingSoonMessage(record: CertificateRecord, input: { now: Date; extendHours: number }): MessageView {
  const minutes = Math.max(1, Math.ceil((record.notAfter.getTime() - input.now.getTime()) / 60_000));
  const device = userText(record.device ?? 'your device', 60);
  const headline = `⏱️ Your VPN access on *${device}* ends in ${minutes} minute${minutes === 1 ? '' : 's'} (${formatTime(record.notAfter)}): then the VPN disconnects you.`;
  const more = formatDuration({ hours: input.extendHours });
  if (record.source === 'csr')
    return message(headline, [
      section(`${headline}\n${code(record.cn)} · serial ${code(record.serial, 64)}`),
      context(
        'It uses your own key, so it is extended with a new certificate signing request: paste one under *Use my own key (CSR)* on the Home tab, with the time you need.',
      ),
    ]);
  return message(headline, [
    section(`${headline}\n${code(record.cn)} · serial ${code(record.serial, 64)}`),
    actions(button(`Extend by ${more}`, ACTION.extend, { value: record.serial, style: 'primary' })),
    context(
      `*Extend* sends you a new profile for another ${more}: import it and connect with it before this one ends. Nothing happens if you let it end.`,
    ),
  ]);
}

/** What the worker answers once the extended profile is in the DM. */
export function extendedText(input: { fileName: string; notAfter: Date }): string {
  return `✅ Extended: your new VPN profile *${userText(input.fileName)}* is in your DM from me. Import it and connect with it; your access now ends ${formatTime(input.notAfter)}.`;
}
