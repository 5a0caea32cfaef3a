import { appendLogKeys, logError, logInvocation, startInvocationLog } from '../../log';
import { deny } from '../../domain/approval';
import { Deadline, OUT_OF_TIME, settleBy } from '../../domain/deadline';
import { systemClock } from '../../ports';
import { DecideDeps, decideConnection } from '../../services/decide-connection';
import { perContainer } from '../../per-container';
import { connectResponse, parseConnectEvent } from './connect-event';

/** Lambda gives a function's initialization at most 10 s; a process older than that was started ahead of the call. */
const INIT_LIMIT_MS = 10_000;

/**
 * When Client VPN started waiting. On a cold start it called before this process ran its first line:
 * the initialization (module loading) counts against its 30 s as well.
 */
function invokedAt(now: Date, cold: boolean): Date {
  const initMs = process.uptime() * 1000;
  return cold && initMs <= INIT_LIMIT_MS ? new Date(now.getTime() - initMs) : now;
}

/** The latest the configuration may take to load (Secrets Manager on a cold start), counted from the call. */
const START_BY_MS = 20_000;

/**
 * Client VPN's connect handler (AWSClientVPN-…): 30 s hard limit, any exception or malformed answer
 * is a refusal the user cannot understand, so every path returns a v2 answer with a message, in time.
 */
export function connectHandler(build: () => Promise<DecideDeps>) {
  // Not kept when it fails: a Secrets Manager hiccup must not refuse every login this container ever sees.
  const deps = perContainer(build);
  let cold = true;
  return async (event: unknown, context?: unknown) => {
    const started = invokedAt(systemClock.now(), cold);
    cold = false;
    startInvocationLog(context);
    const request = parseConnectEvent(event);
    if (!request || !request.commonName)
      return connectResponse(
        deny('bad-request', 'The VPN could not read your certificate name. Use the profile from /vpn issue in Slack.'),
      );
    appendLogKeys({ connection_id: request.connectionId, common_name: request.commonName });
    let ready: DecideDeps | typeof OUT_OF_TIME;
    try {
      ready = await settleBy(deps(), new Deadline(new Date(started.getTime() + START_BY_MS)));
    } catch (error) {
      logError('connect handler could not start', error);
      return connectResponse(
        deny('error', 'The VPN login check is misconfigured, so logins are refused. Tell your VPN admin.'),
      );
    }
    if (ready === OUT_OF_TIME) {
      logError('connect handler could not load its configuration in time');
      return connectResponse(
        deny(
          'error',
          'The VPN login check could not start in time, so this login was refused. Connect again in a minute.',
        ),
      );
    }
    const decision = await decideConnection(ready, request, started);
    logInvocation('login decided', { allow: decision.allow, reason: decision.reason });
    return connectResponse(decision);
  };
}
