import { createHash } from 'node:crypto';
import { DAY_MS } from '../../domain/time';
import { messageOf } from '../../domain/errors';
import type { CaCertificate } from '../../pki/ca';
import { ParsedCrl, parseCrl } from '../../pki/crl';
import type { AgentLog, AlertSink, Clock, CrlDistribution, DistributedCrl, VpnEndpoint } from '../../ports';

export interface CrlSyncDeps {
  distribution: CrlDistribution;
  /** The CA certificate the server's `ca` option names: enough to verify a CRL, never the key. */
  ca: CaCertificate;
  alerts: AlertSink;
  clock: Clock;
  agentId: string;
  log: AgentLog;
  /** What earlier rounds learnt; one per agent, kept across rounds. */
  memory: CrlSyncMemory;
}

export interface CrlSyncMemory {
  /** `endpoint#number#sha256` of CRLs refused for good: not downloaded-and-checked into a new alert every round. */
  refused: Set<string>;
  /** `endpoint#number` already alerted for a refusal that may pass later (a clock behind the bot's). */
  alerted: Set<string>;
  /** The number last reported as applied, per endpoint. */
  reported: Map<string, string>;
}

export const newCrlSyncMemory = (): CrlSyncMemory => ({ refused: new Set(), alerted: new Set(), reported: new Map() });

export type CrlSyncOutcome =
  | { state: 'none' }
  | { state: 'current'; number: string }
  | { state: 'applied'; number: string; replaced?: string }
  | { state: 'refused'; number: string; why: string };

/** Refused for a reason that time cannot change. */
class Refusal extends Error {
  constructor(
    message: string,
    readonly lasting = true,
  ) {
    super(message);
  }
}

/**
 * Bring the endpoint's CRL file up to the newest CRL the bot published: only a complete CRL, signed by
 * our CA, with the number it was published under and a higher one than the file holds, and not expired.
 * Anything else is refused, the file is left as it is, and the admins are alerted once.
 */
export async function syncCrl(deps: CrlSyncDeps, endpoint: VpnEndpoint): Promise<CrlSyncOutcome> {
  // The pointer alone first: a 20,000-entry CRL is ~1.3 MB, and this runs every few seconds.
  const head = await deps.distribution.newest(endpoint.key);
  if (!head) return { state: 'none' };
  const key = `${endpoint.key}#${head.number}#${head.sha256}`;
  if (deps.memory.refused.has(key)) return { state: 'refused', number: head.number, why: 'refused before' };
  const live = await liveCrl(deps, endpoint);
  const liveNumber = live?.number ?? 0n;
  if (live?.sha256 === head.sha256) {
    await reportOnce(deps, endpoint.key, head);
    return { state: 'current', number: head.number };
  }
  const published = await deps.distribution.get(endpoint.key);
  if (!published) return { state: 'none' };
  try {
    verify(deps, published, liveNumber);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    if (error.lasting) deps.memory.refused.add(`${endpoint.key}#${published.number}#${published.sha256}`);
    await refuse(deps, endpoint.key, published, error.message, live?.parsed);
    return { state: 'refused', number: published.number, why: error.message };
  }
  await endpoint.importCrl(published.pem);
  deps.log.info(
    `${endpoint.key}: wrote CRL #${published.number}${live ? ` over #${String(liveNumber)}` : ''} (published ${published.publishedAt.toISOString()})`,
  );
  await reportOnce(deps, endpoint.key, published);
  return { state: 'applied', number: published.number, ...(live && { replaced: String(liveNumber) }) };
}

/** What the server enforces now; a file that is not a CRL counts as none, so a good one may replace it. */
async function liveCrl(
  deps: CrlSyncDeps,
  endpoint: VpnEndpoint,
): Promise<{ number: bigint; sha256: string; parsed: ParsedCrl } | undefined> {
  const { pem } = await endpoint.exportCrl();
  if (pem === undefined) return undefined;
  try {
    const parsed = parseCrl(pem, deps.ca, { entries: false });
    // Numbers count within one CA: after the CA is replaced, the old CA's CRL must not hold back the new one's.
    const ours = parsed.signedBy?.issuerMatches === true && parsed.signedBy.signatureValid;
    if (!ours)
      deps.log.warn(`${endpoint.key}: the CRL file on disk is not signed by the CA in CA_CERT_FILE; replacing it`);
    return { number: ours ? (parsed.number ?? 0n) : 0n, sha256: sha256(pem), parsed };
  } catch (error) {
    deps.log.warn(`${endpoint.key}: the CRL file on disk is not a readable CRL (${messageOf(error)}); replacing it`);
    return undefined;
  }
}

function verify(deps: CrlSyncDeps, published: DistributedCrl, liveNumber: bigint): void {
  if (sha256(published.pem) !== published.sha256)
    throw new Refusal(`its SHA-256 does not match the one published with it (a truncated or altered download)`);
  let parsed: ParsedCrl;
  try {
    parsed = parseCrl(published.pem, deps.ca, { entries: false });
  } catch (error) {
    throw new Refusal(`it is not a readable CRL (${messageOf(error)})`);
  }
  if (!parsed.signedBy?.issuerMatches || !parsed.signedBy.signatureValid)
    throw new Refusal(
      `it is not signed by the CA in CA_CERT_FILE (issuer "${parsed.issuer}"): the bot and this agent must use the same CA`,
    );
  if (parsed.number === undefined || String(parsed.number) !== published.number)
    throw new Refusal(
      `its CRL number (${parsed.number === undefined ? 'none' : String(parsed.number)}) is not the one it was published under`,
    );
  if (parsed.number <= liveNumber)
    throw new Refusal(`it is not newer than the CRL on disk (#${String(liveNumber)}): a CRL never goes back`);
  const now = deps.clock.now();
  if (parsed.nextUpdate === undefined || parsed.nextUpdate <= now)
    throw new Refusal(
      `it expired at ${parsed.nextUpdate?.toISOString() ?? '(no nextUpdate)'}: OpenVPN would refuse every client with it`,
      // Tried again each round: a host clock running ahead makes a good CRL look expired until NTP fixes it.
      parsed.nextUpdate === undefined,
    );
  if (parsed.thisUpdate > now)
    throw new Refusal(
      `it is valid only from ${parsed.thisUpdate.toISOString()}, after this host's clock (${now.toISOString()}): OpenVPN would refuse every client with it; check this host's clock (NTP)`,
      false,
    );
}

async function refuse(
  deps: CrlSyncDeps,
  endpoint: string,
  published: DistributedCrl,
  why: string,
  live: ParsedCrl | undefined,
): Promise<void> {
  const message = `${endpoint}: refused CRL #${published.number} published ${published.publishedAt.toISOString()}: ${why}. The CRL on disk${live ? ` (#${String(live.number ?? 0n)})` : ''} is kept.`;
  deps.log.error(message);
  const once = `${endpoint}#${published.number}`;
  if (deps.memory.alerted.has(once)) return;
  deps.memory.alerted.add(once);
  const daysLeft = live?.nextUpdate ? Math.floor((live.nextUpdate.getTime() - deps.clock.now().getTime()) / DAY_MS) : 0;
  await deps.alerts
    .send({ level: 'critical', endpoint, daysLeft, message })
    .catch((error: unknown) => deps.log.error(`${endpoint}: could not alert the admins about the refused CRL`, error));
}

/**
 * The bot's read-back waits for this: reported after every write, and once for a file already current (a restart
 * between the two).
 */
async function reportOnce(
  deps: CrlSyncDeps,
  endpoint: string,
  crl: Pick<DistributedCrl, 'number' | 'sha256'>,
): Promise<void> {
  if (deps.memory.reported.get(endpoint) === crl.number) return;
  await deps.distribution.reportApplied(endpoint, {
    number: crl.number,
    sha256: crl.sha256,
    at: deps.clock.now(),
    agentId: deps.agentId,
  });
  deps.memory.reported.set(endpoint, crl.number);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
