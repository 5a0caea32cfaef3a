import { messageOf } from '../../domain/errors';
import type { AgentLog, Clock, SessionKill, SessionKillQueue, VpnEndpoint } from '../../ports';

export interface SessionKillDeps {
  kills: SessionKillQueue;
  clock: Clock;
  log: AgentLog;
}

export interface KillRound {
  done: string[];
  gone: string[];
  failed: string[];
}

/**
 * Carry out the sessions the bot asked to end on this endpoint: `done` when the server ended it, `gone`
 * when it had already ended, and otherwise `failed`, which keeps it queued for the next round.
 */
export async function carryOutKills(deps: SessionKillDeps, endpoint: VpnEndpoint): Promise<KillRound> {
  const round: KillRound = { done: [], gone: [], failed: [] };
  const pending = await deps.kills.pending(endpoint.key);
  if (pending.length === 0) return round;
  let terminated: Set<string>;
  let live: Set<string>;
  try {
    // OpenVPN numbers clients afresh after a restart: a kill whose certificate does not match the live
    // session with its id is for a session that has gone, never for the stranger now holding the id.
    const sessions = await endpoint.listSessions();
    live = new Set(
      pending
        .filter((kill) =>
          sessions.some(
            (session) =>
              session.connectionId === kill.connectionId &&
              (kill.commonName === undefined || session.commonName === kill.commonName),
          ),
        )
        .map((kill) => kill.connectionId),
    );
    const wanted = pending.filter((kill) => live.has(kill.connectionId)).map((kill) => kill.connectionId);
    terminated = new Set(await endpoint.terminateSessions(wanted));
  } catch (error) {
    const why = messageOf(error);
    deps.log.error(
      `${endpoint.key}: could not end ${pending.length} session(s) the bot asked for; they stay queued`,
      error,
    );
    for (const kill of pending) await record(deps, kill, () => deps.kills.failed(kill, why, deps.clock.now()));
    round.failed.push(...pending.map((kill) => kill.id));
    return round;
  }
  for (const kill of pending) {
    if (terminated.has(kill.connectionId)) {
      await record(deps, kill, () => deps.kills.settle(kill, { state: 'done' }, deps.clock.now()));
      round.done.push(kill.id);
    } else if (!live.has(kill.connectionId)) {
      await record(deps, kill, () => deps.kills.settle(kill, { state: 'gone' }, deps.clock.now()));
      round.gone.push(kill.id);
    } else {
      const why = `the server did not end client ${kill.connectionId}`;
      deps.log.error(`${endpoint.key}: ${why}${kill.commonName ? ` (${kill.commonName})` : ''}; it stays queued`);
      await record(deps, kill, () => deps.kills.failed(kill, why, deps.clock.now()));
      round.failed.push(kill.id);
    }
  }
  if (round.done.length || round.gone.length)
    deps.log.info(
      `${endpoint.key}: ended ${round.done.length} session(s) the bot asked for${round.gone.length ? `, ${round.gone.length} had already ended` : ''}`,
    );
  return round;
}

/**
 * A settle that does not reach the table leaves the kill pending: the next round finds the session gone and settles it
 * then.
 */
async function record(deps: SessionKillDeps, kill: SessionKill, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    deps.log.error(
      `${kill.endpoint}: could not record the outcome of kill ${kill.id}; it is retried next round`,
      error,
    );
  }
}
