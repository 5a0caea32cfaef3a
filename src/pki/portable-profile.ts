import { VpnChatopsError } from '../domain/errors';

/**
 * Directives whose argument is a file the client must open. OpenVPN Connect on iOS and Android imports one
 * `.ovpn` file into its sandbox and cannot reach a second one, so each of these must come as an inline block
 * (`<ca>`, `<cert>`, `<key>`, `<tls-crypt>`, `<tls-crypt-v2>`, …) or, where OpenVPN allows it, `[inline]`.
 */
const FILE_DIRECTIVES = new Set([
  'ca',
  'cert',
  'key',
  'pkcs12',
  'extra-certs',
  'tls-auth',
  'tls-crypt',
  'tls-crypt-v2',
  'secret',
  'crl-verify',
  'askpass',
  'auth-user-pass',
  'http-proxy-user-pass',
]);
/** Directives that may stand alone: with no file they prompt, or take their block. */
const ARGUMENT_OPTIONAL = new Set(['auth-user-pass', 'askpass']);
/** Scripts and plugins: mobile clients run none, and a profile that needs one would not work there. */
const SCRIPT_DIRECTIVES = new Set([
  'script-security',
  'up',
  'down',
  'route-up',
  'route-pre-down',
  'ipchange',
  'tls-verify',
  'auth-user-pass-verify',
  'client-connect',
  'client-disconnect',
  'learn-address',
  'plugin',
]);

const nonPortable = (line: number, text: string, why: string) =>
  new VpnChatopsError(
    'INVALID_PROFILE',
    `The endpoint's client configuration would make a profile OpenVPN Connect on iOS and Android cannot import (line ${line}: "${text.slice(0, 80)}"): ${why} Fix the base configuration (inline blocks only, no scripts) and issue again.`,
  );

/**
 * Checks that an assembled profile is a single self-contained file: every credential inline, no file
 * reference, no script. Fails closed, so a base configuration that would hand out a desktop-only profile
 * (AWS's export with a `ca ca.crt` line, say) stops the issue with the line to fix, before anything is stored.
 *
 * The one exception is a CSR profile: the member's key never reaches us, so its profile names the key file
 * (`key <cn>.key`) and the member puts the key in before importing on a phone; `keyFile` allows exactly that line.
 */
export function checkPortableProfile(profile: string, options: { keyFile?: string } = {}): void {
  let block: string | undefined;
  const lines = profile.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (block !== undefined) {
      if (line === `</${block}>`) block = undefined;
      continue;
    }
    const opening = /^<([\w-]+)>$/.exec(line);
    if (opening) {
      block = opening[1];
      continue;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [directive, ...args] = line.split(/\s+/);
    const at = (why: string) => nonPortable(index + 1, line, why);
    if (SCRIPT_DIRECTIVES.has(directive)) throw at('mobile clients run no scripts or plugins.');
    if (!FILE_DIRECTIVES.has(directive)) continue;
    if (args.length === 0 && ARGUMENT_OPTIONAL.has(directive)) continue;
    if (args[0] === '[inline]') continue;
    if (directive === 'key' && options.keyFile !== undefined && args.length === 1 && args[0] === options.keyFile)
      continue;
    throw at(
      ARGUMENT_OPTIONAL.has(directive)
        ? `\`${directive}\` names a file; leave the file name out so the app asks.`
        : `\`${directive}\` names a file; put its contents in a <${directive}> block instead.`,
    );
  }
  if (block !== undefined) throw nonPortable(lines.length, `<${block}>`, 'the block is never closed.');
}
