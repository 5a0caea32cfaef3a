import { VpnChatopsError, messageOf } from '../domain/errors';
import { DAY_MS } from '../domain/time';
import type { CertificateAuthority } from '../pki/ca';
import type {
  AgentRegistry,
  Clock,
  CrlStateStore,
  DatabaseProbe,
  FailureMetricsSource,
  HandshakeProbe,
  SlackProbe,
  TimeReference,
  VpnEndpoint,
} from '../ports';

export interface DoctorPolicy {
  renewBeforeDays: number;
  publishMode: 'immediate' | 'window';
  certDays: number;
}

/** What `doctor` probes beyond the stores and endpoints: the database itself, Slack, a remote clock. */
export interface DoctorProbes {
  database: DatabaseProbe;
  /** Undefined when no Slack token is configured. */
  slack?: SlackProbe;
  /** Undefined when there is no remote clock to compare with. */
  time?: TimeReference;
  /** The bot scopes Slack must report for the token (manifest.yml), checked when `slack` is set. */
  requiredScopes: readonly string[];
  /** Sends an unwrapped handshake to a self-hosted server on this host (services/doctor-tls-crypt.ts). */
  handshake?: HandshakeProbe;
}

export interface DoctorDeps extends DoctorProbes {
  /** Undefined when the CA could not be loaded; `caError` says why, and endpoints are not checked. */
  ca?: CertificateAuthority;
  caError?: unknown;
  crlState: CrlStateStore;
  endpoints: VpnEndpoint[];
  /** The agents' heartbeats; without it (no agent-served endpoints wired) no agent is checked. */
  agents?: AgentRegistry;
  /** AWS endpoints' AuthenticationFailures; without it (none wired) the metric is not checked. */
  failureMetrics?: readonly FailureMetricsSource[];
  clock: Clock;
  policy: DoctorPolicy;
  requiredScopes: readonly string[];
}

export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One line of `doctor`: what was checked, what was found, and (unless it passed) the fix in one sentence. */
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export const days = (ms: number) => (ms / DAY_MS).toFixed(1);
export const iso = (date: Date) => date.toISOString().replace('.000Z', 'Z');

/** A check that threw: a missing grant is named as such; anything else keeps its message and gets `fix`. */
export function failure(name: string, error: unknown, fix: string): Check {
  const message = messageOf(error);
  if (error instanceof VpnChatopsError && error.permission) {
    return {
      name,
      status: 'fail',
      detail: `missing permission ${error.permission} (${message})`,
      fix: `Grant ${error.permission} to the IAM role the bot and vpnctl run as.`,
    };
  }
  return { name, status: 'fail', detail: message, fix };
}

/** Run one check; whatever it throws becomes a failed line, so one broken part never hides the others. */
export async function guard(name: string, fix: string, check: () => Promise<Check | Check[]>): Promise<Check[]> {
  try {
    const result = await check();
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    return [failure(name, error, fix)];
  }
}
