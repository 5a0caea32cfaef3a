import { FAILED, SUCCESSFUL, type ConnectionAttempt } from '../domain/connection-log';
import { failureClassOf, likelyFix, type TlsFailureClass } from '../domain/tls-negotiation';
import type { ConnectionLogRead, ConnectionLogSource } from '../ports';
import { attemptsIn, insightWindow, readEachEndpoint, type InsightWindow } from './connection-insights';

/** Groups listed per endpoint; the rest are counted. Seed 003's `sort | uniq -c | sort -r`, with a head. */
export const TLS_TOP_GROUPS = 20;

/** What a log did not say: the report shows this rather than an empty string. */
export const UNKNOWN = '';

/** Failed attempts sharing client version × TLS version × cipher × class: seed 003's `uniq -c` line. */
export interface TlsFailureGroup {
  clientVersion: string;
  tlsVersion: string;
  cipher: string;
  failure: TlsFailureClass;
  attempts: number;
  /** Distinct certificate names and addresses among them: one person retrying, or many. */
  commonNames: number;
  sourceIps: number;
  /** The data ciphers most of them offered (`IV_CIPHERS`), when logged. */
  offeredCiphers?: string;
  lastAt: number;
}

export interface TlsClassCount {
  failure: TlsFailureClass;
  attempts: number;
  /** The likely fix, one sentence, for the ciphers most of this class offered. */
  fix: string;
}

/** Successful attempts by control-channel protocol and cipher: what does work, beside what fails. */
export interface NegotiatedCount {
  tlsVersion: string;
  cipher: string;
  attempts: number;
}

export interface TlsSummary {
  endpoint: string;
  window: InsightWindow;
  attempts: number;
  successful: number;
  failed: number;
  /** Most attempts first; at most TLS_TOP_GROUPS. */
  groups: TlsFailureGroup[];
  /** Groups in all, listed or not. */
  distinctGroups: number;
  byClass: TlsClassCount[];
  negotiated: NegotiatedCount[];
  /** Attempts whose log carried any TLS detail: none for AWS Client VPN, which logs no TLS. */
  withTlsDetails: number;
  input: { events: number; malformed: number; truncated?: string; notes: string[] };
}

export interface EndpointTls {
  endpoint: string;
  summary?: TlsSummary;
  error?: string;
}

export interface TlsReport {
  window: InsightWindow;
  endpoints: EndpointTls[];
}

interface GroupTally extends TlsFailureGroup {
  names: Set<string>;
  ips: Set<string>;
  offered: Map<string, number>;
}

/** Sets stop growing here: past it, "many" is the answer. */
const MAX_DISTINCT = 1000;

const mostCommon = (counts: Map<string, number>): string | undefined => {
  let best: string | undefined;
  for (const [key, n] of counts) if (best === undefined || n > counts.get(best)!) best = key;
  return best;
};

const AWS_NOTE =
  'AWS Client VPN logs no TLS version, cipher or failed certificate handshake ("failed mutual authentication attempts are not logged"): only connect-handler and policy refusals show here; watch the AuthenticationFailures metric for the rest.';

/** The TLS view of attempts already read; pure, so the benchmark measures exactly this. */
export function summarizeTls(endpoint: string, read: ConnectionLogRead, window: InsightWindow): TlsSummary {
  const { unique } = attemptsIn(read.attempts, window.from, window.to);
  const groups = new Map<string, GroupTally>();
  const classes = new Map<TlsFailureClass, { attempts: number; offered: Map<string, number> }>();
  const negotiated = new Map<string, NegotiatedCount>();
  let successful = 0;
  let failed = 0;
  let withTlsDetails = 0;
  for (const attempt of unique) {
    if (attempt.tls) withTlsDetails++;
    if (attempt.status === SUCCESSFUL) {
      successful++;
      const tlsVersion = attempt.tls?.version ?? UNKNOWN;
      const cipher = attempt.tls?.cipher ?? UNKNOWN;
      const key = `${tlsVersion}\u0000${cipher}`;
      const count = negotiated.get(key) ?? { tlsVersion, cipher, attempts: 0 };
      count.attempts++;
      negotiated.set(key, count);
    } else if (attempt.status === FAILED) {
      failed++;
      tallyFailure(groups, classes, attempt);
    }
  }
  const ranked = [...groups.values()].sort(
    (a, b) => b.attempts - a.attempts || b.lastAt - a.lastAt || (groupKey(a) < groupKey(b) ? -1 : 1),
  );
  return {
    endpoint,
    window,
    attempts: unique.length,
    successful,
    failed,
    groups: ranked.slice(0, TLS_TOP_GROUPS).map(({ names, ips, offered, ...group }) => ({
      ...group,
      commonNames: names.size,
      sourceIps: ips.size,
      ...(offered.size > 0 && { offeredCiphers: mostCommon(offered) }),
    })),
    distinctGroups: groups.size,
    byClass: [...classes.entries()]
      .map(([failure, { attempts, offered }]) => ({ failure, attempts, fix: likelyFix(failure, mostCommon(offered)) }))
      .sort((a, b) => b.attempts - a.attempts || (a.failure < b.failure ? -1 : 1)),
    negotiated: [...negotiated.values()].sort((a, b) => b.attempts - a.attempts),
    withTlsDetails,
    input: {
      events: read.events,
      malformed: read.malformed,
      ...(read.truncated !== undefined && { truncated: read.truncated }),
      notes: [...(read.notes ?? []), ...(endpoint.startsWith('aws-client-vpn:') ? [AWS_NOTE] : [])],
    },
  };
}

const groupKey = (group: Pick<TlsFailureGroup, 'clientVersion' | 'tlsVersion' | 'cipher' | 'failure'>) =>
  `${group.clientVersion}\u0000${group.tlsVersion}\u0000${group.cipher}\u0000${group.failure}`;

function tallyFailure(
  groups: Map<string, GroupTally>,
  classes: Map<TlsFailureClass, { attempts: number; offered: Map<string, number> }>,
  attempt: ConnectionAttempt,
): void {
  const tls = attempt.tls;
  const failure = failureClassOf(attempt.reason, tls);
  const shape = {
    clientVersion: attempt.clientVersion ?? UNKNOWN,
    tlsVersion: tls?.version ?? UNKNOWN,
    cipher: tls?.cipher ?? UNKNOWN,
    failure,
  };
  const key = groupKey(shape);
  let group = groups.get(key);
  if (!group) {
    group = {
      ...shape,
      attempts: 0,
      commonNames: 0,
      sourceIps: 0,
      lastAt: -Infinity,
      names: new Set(),
      ips: new Set(),
      offered: new Map(),
    };
    groups.set(key, group);
  }
  group.attempts++;
  group.lastAt = Math.max(group.lastAt, attempt.at);
  if (attempt.commonName !== undefined && group.names.size < MAX_DISTINCT) group.names.add(attempt.commonName);
  if (attempt.sourceIp !== undefined && group.ips.size < MAX_DISTINCT) group.ips.add(attempt.sourceIp);
  let perClass = classes.get(failure);
  if (!perClass) {
    perClass = { attempts: 0, offered: new Map() };
    classes.set(failure, perClass);
  }
  perClass.attempts++;
  const offered = tls?.offeredCiphers;
  if (offered !== undefined) {
    group.offered.set(offered, (group.offered.get(offered) ?? 0) + 1);
    perClass.offered.set(offered, (perClass.offered.get(offered) ?? 0) + 1);
  }
}

/**
 * Every endpoint's log over one window, grouped for TLS troubleshooting; one endpoint failing does not hide the others.
 */
export async function tlsTroubleshooting(sources: ConnectionLogSource[], hours: number, now: Date): Promise<TlsReport> {
  const window = insightWindow(hours, now);
  return { window, endpoints: await readEachEndpoint(sources, window, summarizeTls) };
}
