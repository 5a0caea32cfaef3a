/**
 * What a connection log says about one attempt's TLS negotiation, and why a failed one failed, in the
 * classes an admin fixes differently (seed 003's method, for OpenVPN rather than a load balancer). The
 * OpenVPN server-log reader feeds each peer's lines through `tlsFact`; AWS Client VPN logs no TLS
 * details (failed mutual authentication is not logged at all), so there the class comes from the
 * logged failure reason only.
 */

export const TLS_FAILURE_CLASSES = [
  'cipher-negotiation',
  'protocol-version',
  'certificate-verify',
  'crl-expired',
  'revoked',
  'tls-crypt',
  'timeout',
  'approval-refused',
  'connect-handler',
  'other',
] as const;
export type TlsFailureClass = (typeof TLS_FAILURE_CLASSES)[number];

/** An attempt's TLS negotiation as far as the log shows it; each field absent when the log did not say. */
export interface TlsDetails {
  /** The control channel's protocol, e.g. `TLSv1.3`. */
  version?: string;
  /** The control channel's cipher suite, e.g. `TLS_AES_256_GCM_SHA384`. */
  cipher?: string;
  /** The data ciphers the client offered (`IV_CIPHERS`), colon-separated as logged. */
  offeredCiphers?: string;
  /** The first line that said why the negotiation failed. */
  failure?: TlsFailureClass;
}

/** One log line's contribution: the control channel, the offered ciphers, or a failure. */
export type TlsFact =
  | { kind: 'control'; version: string; cipher: string }
  | { kind: 'offered'; ciphers: string }
  | { kind: 'failure'; failure: TlsFailureClass };

const MAX_FIELD = 200;
const CONTROL_PREFIX = 'Control Channel: ';
const CONTROL = /^Control Channel: (\S+?),\s*cipher (?:\S+ )?(\S+?),/;
const OFFERED = 'peer info: IV_CIPHERS=';
const VERIFY_ERROR = 'VERIFY ERROR';

const clean = (value: string) =>
  value
    .replace(/\p{Cc}/gu, '')
    .trim()
    .slice(0, MAX_FIELD);

/** What one line of a peer (its address or `cn/address` prefix already removed) says about TLS, if anything. */
export function tlsFact(text: string): TlsFact | undefined {
  if (text.startsWith(CONTROL_PREFIX)) {
    const control = CONTROL.exec(text);
    return control ? { kind: 'control', version: clean(control[1]), cipher: clean(control[2]) } : undefined;
  }
  if (text.startsWith(OFFERED)) return { kind: 'offered', ciphers: clean(text.slice(OFFERED.length)) };
  if (text.startsWith(VERIFY_ERROR)) {
    if (text.includes('CRL has expired')) return { kind: 'failure', failure: 'crl-expired' };
    if (text.includes('certificate revoked')) return { kind: 'failure', failure: 'revoked' };
    return { kind: 'failure', failure: 'certificate-verify' };
  }
  if (text.startsWith('CRL CHECK FAILED')) return { kind: 'failure', failure: 'revoked' };
  return failureOf(text);
}

/**
 * The failure lines, in the words OpenVPN 2.4–2.6 and OpenSSL 1.1/3 use for each class: one pass of one
 * expression per line, since nearly every line matches none of them.
 */
const FAILURE_LINE =
  /(no common cipher|no shared cipher|failed to negotiate cipher|client does not support any cipher|cipher negotiation failed)|(unsupported protocol|wrong version number|alert: protocol version|tls-version-min)|(certificate verify failed)|(TLS key negotiation failed to occur)|(tls-crypt unwrap|HMAC authentication failed|cannot locate HMAC|client key authentication error|TLS CRYPT V2 VERIFY SCRIPT ERROR|could not determine wrapping)/i;
const FAILURE_GROUPS: TlsFailureClass[] = [
  'cipher-negotiation',
  'protocol-version',
  'certificate-verify',
  'timeout',
  'tls-crypt',
];

function failureOf(text: string): TlsFact | undefined {
  const match = FAILURE_LINE.exec(text);
  if (!match) return undefined;
  const group = match.findIndex((part, i) => i > 0 && part !== undefined);
  return { kind: 'failure', failure: FAILURE_GROUPS[group - 1] };
}

/** Fold a fact into an attempt's details; the first failure line is the cause, later ones are its echoes. */
export function addTlsFact(details: TlsDetails | undefined, fact: TlsFact): TlsDetails {
  const next = details ?? {};
  if (fact.kind === 'control') {
    next.version = fact.version;
    next.cipher = fact.cipher;
  } else if (fact.kind === 'offered') next.offeredCiphers = fact.ciphers;
  else next.failure ??= fact.failure;
  return next;
}

/**
 * The failure reasons the connection-log readers name (openvpn-log.ts, and AWS's documented ones,
 * reference/aws-client-vpn.md §1.4 and §5.2), by class, for attempts whose lines gave no TLS detail.
 */
const REASON_CLASSES: Record<string, TlsFailureClass> = {
  'certificate-revoked': 'revoked',
  'crl-expired': 'crl-expired',
  'crl-not-yet-valid': 'certificate-verify',
  'crl-missing': 'certificate-verify',
  'certificate-expired': 'certificate-verify',
  'certificate-not-yet-valid': 'certificate-verify',
  'unknown-ca': 'certificate-verify',
  'tls-crypt-failed': 'tls-crypt',
  'tls-auth-failed': 'tls-crypt',
  'tls-crypt-v2-no-key': 'tls-crypt',
  'tls-crypt-v2-foreign-key': 'tls-crypt',
  'tls-crypt-v2-refused': 'tls-crypt',
  'tls-handshake-timeout': 'timeout',
  'no-shared-cipher': 'cipher-negotiation',
  'auth-failed': 'approval-refused',
  'client-connect-failed': 'approval-refused',
  'authorization-policy-deny': 'approval-refused',
};

/** Why a failed attempt failed, as a class: from its TLS lines when the log had them, else from its logged reason. */
export function failureClassOf(reason: string | undefined, tls: TlsDetails | undefined): TlsFailureClass {
  if (tls?.failure) return tls.failure;
  if (reason === undefined) return 'other';
  if (reason.startsWith('client-deny')) return 'approval-refused';
  if (reason.startsWith('client-connect-handler-')) return 'connect-handler';
  return REASON_CLASSES[reason] ?? 'other';
}

/** Data ciphers OpenVPN 2.5+ no longer negotiates by default: a client offering only these is an old or pinned one. */
const LEGACY_CIPHERS = new Set(['BF-CBC', 'DES-CBC', 'DES-EDE3-CBC', 'CAST5-CBC', 'RC2-CBC', 'DESX-CBC']);

/** One sentence per class: the likely fix, worded for the admin reading the report. */
export function likelyFix(failure: TlsFailureClass, offeredCiphers?: string): string {
  switch (failure) {
    case 'cipher-negotiation': {
      const offered = offeredCiphers?.toUpperCase().split(':').filter(Boolean) ?? [];
      // Only names from LEGACY_CIPHERS reach the sentence, never arbitrary log text.
      if (offered.length > 0 && offered.every((cipher) => LEGACY_CIPHERS.has(cipher)))
        return `The client offers only ${offered.join(', ')}: add \`data-ciphers-fallback ${offered[0]}\` (and the cipher to \`data-ciphers\`) on the server, or better, upgrade the client.`;
      return "The client offers none of the server's `data-ciphers`: remove the client's `data-ciphers`/`cipher` override or upgrade it, or add one of the ciphers it offers to the server's `data-ciphers`.";
    }
    case 'protocol-version':
      return "Client and server share no TLS version: align `tls-version-min`/`tls-version-max` on both sides (TLS 1.2 is a safe floor), or upgrade the client's OpenVPN/OpenSSL.";
    case 'certificate-verify':
      return "The server does not accept the client's certificate (another CA, expired, not yet valid, or the CRL is missing): issue the person a new profile and check the server's `ca` and `crl-verify` files.";
    case 'crl-expired':
      return "The server's CRL is past its next update, so it refuses every client: publish a fresh CRL now (`/vpn crl` shows it, `vpnctl crl publish`) and check that the daily renewal runs.";
    case 'revoked':
      return 'The certificate is revoked: expected after a revocation or offboarding; if the person should have access, issue them a new profile.';
    case 'tls-crypt':
      return "The client has no tls-crypt key or another server's (an old profile, or a scanner), or its tls-crypt-v2 key is revoked: send a fresh profile if the person should connect; many from one address is a flood (seed 002), block it upstream.";
    case 'timeout':
      return 'The handshake did not finish within the hand-window: the client lost its network or a firewall drops UDP between them, or the server is overloaded; check reachability from the client and the server load.';
    case 'approval-refused':
      return 'The login was refused on purpose (approval denied or timed out, or not eligible): the audit log has the decision; nothing is broken.';
    case 'connect-handler':
      return "AWS's connect handler failed (timed out, throttled or errored): check the connect function's logs and alarms.";
    case 'other':
      return 'No known failure line: read the server log around these attempts.';
  }
}
