import type { FloodAlert } from '../../ports';
import { context, message, section } from './blocks';
import { count, formatTime, plural } from './format';
import { code } from './markup';
import type { Block, MessageView } from './types';

const NAMES_SHOWN = 10;

/** Seed 002's lesson, fitted to what the log shows: whether the server already drops these before TLS. */
function advice(alert: FloodAlert): string {
  if (!alert.selfHosted)
    return 'AWS Client VPN cannot use tls-crypt, seed 002’s defence: AWS absorbs the handshakes, but they crowd the connection log. If they persist, report the sources to AWS Support.';
  if (alert.sources.length > 0 && alert.sources.every((source) => source.droppedBeforeTls))
    return 'The server already drops these at the first packet (tls-crypt), as seed 002 advises: each costs it one packet, not a TLS session. If they persist, block the sources at the firewall.';
  return 'Seed 002: every handshake without the tls-crypt key holds a TLS session on the server for up to 60 s, and a flood of them took a server down. Add `tls-crypt` (or per-client `tls-crypt-v2`) to the server so it drops them at the first packet, check with `/vpn doctor` (tls-crypt enforced), and block the sources at the firewall meanwhile.';
}

function headline(alert: FloodAlert, endpoint: string): string {
  const flood = alert.sources.length + alert.moreSources;
  const what = [
    flood > 0 &&
      `${plural(flood, 'address', 'addresses')} flooding with ${count(alert.ratePerHour)} failed handshakes an hour`,
    alert.failingNames.length > 0 && `${plural(alert.failingNames.length, 'certificate name')} failing again and again`,
  ]
    .filter(Boolean)
    .join(', and ');
  const since = alert.previous && ` (told at ${formatTime(alert.previous.since)})`;
  switch (alert.kind) {
    case 'started':
      return `:rotating_light: ${endpoint}: ${what} in the last hour.`;
    case 'changed':
      return `:rotating_light: ${endpoint}: the flood changed${since ?? ''}: now ${what} in the last hour.`;
    case 'over':
      return `:white_check_mark: ${endpoint}: flood over${since ?? ''}: no address over the flood rule and no name still failing in the last hour.`;
  }
}

/**
 * A handshake flood or names that keep failing, found by the 15-minute watch. Addresses, names and reasons
 * come from a connection log anyone on the internet can write to, so each goes through `code`.
 */
export function floodAlertMessage(alert: FloodAlert): MessageView {
  const endpoint = code(alert.endpoint, 100);
  const text = headline(alert, endpoint);
  const blocks: Block[] = [section(text)];
  if (alert.kind !== 'over') {
    if (alert.sources.length > 0) {
      const lines = alert.sources.map(
        (source) =>
          `• ${code(source.ip, 60)}: ${count(source.failedPerHour)} an hour${source.droppedBeforeTls ? ', dropped before TLS' : ''}`,
      );
      if (alert.moreSources > 0) lines.push(`…and ${plural(alert.moreSources, 'more address', 'more addresses')}`);
      blocks.push(section(`*Sources*\n${lines.join('\n')}`));
    }
    if (alert.failingNames.length > 0) {
      const shown = alert.failingNames
        .slice(0, NAMES_SHOWN)
        .map(
          (name) =>
            `• ${code(name.commonName, 100)}: ${plural(name.failed, 'failure')}${name.topReason ? `, mostly ${code(name.topReason, 60)}` : ''}`,
        );
      const more = alert.failingNames.length - shown.length;
      if (more > 0) shown.push(`…and ${plural(more, 'more name')}`);
      blocks.push(section(`*Keeps failing*, latest attempt failed too\n${shown.join('\n')}`));
    }
    blocks.push(context(`${advice(alert)} Details: \`/vpn logs\`.`));
  }
  blocks.push(context(`Window ${formatTime(alert.from)} – ${formatTime(alert.to)}; checked every 15 minutes.`));
  return message(text, blocks);
}
