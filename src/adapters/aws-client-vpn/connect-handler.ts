import type { Config } from '../../config';
import { logError } from '../../log';
import { deny } from '../../domain/approval';
import { systemClock } from '../../ports';
import { ApprovalPolicy, DEFAULT_POLICY, DecideDeps, decideConnection } from '../../services/decide-connection';
import { SlackApprovalNotifier } from '../../slack/approval-notifier';
import { adminAlertsFor } from '../../slack/admin-alert';
import { slackClient } from '../../slack/client';
import { connectDatabase } from '../dynamodb/client';
import { storesFor } from '../dynamodb/stores';
import { connectResponse, parseConnectEvent } from './connect-event';

export function approvalPolicy(config: Config): ApprovalPolicy {
  return {
    ...DEFAULT_POLICY,
    certDomain: config.CERT_DOMAIN,
    approvals: config.APPROVALS,
    timeoutMs: config.APPROVAL_TIMEOUT_S * 1000,
    rememberHours: config.REMEMBER_HOURS,
    promptLimit: config.PROMPT_LIMIT,
  };
}

export function decideDeps(config: Config): DecideDeps {
  const stores = storesFor(connectDatabase({ tableName: config.TABLE_NAME, endpoint: config.DYNAMODB_ENDPOINT, region: config.AWS_REGION }));
  const client = slackClient(config);
  return {
    ...stores,
    notifier: new SlackApprovalNotifier(client, adminAlertsFor(config, client, logError)),
    clock: systemClock,
    policy: approvalPolicy(config),
  };
}

/**
 * Client VPN's connect handler (AWSClientVPN-…): 30 s hard limit, any exception or malformed answer
 * is a refusal the user cannot understand, so every path returns a v2 answer with a message.
 */
export function createConnectHandler(loadConfig: () => Config | Promise<Config>) {
  let deps: Promise<DecideDeps> | undefined;
  return async (event: unknown) => {
    const started = systemClock.now();
    const request = parseConnectEvent(event);
    if (!request || !request.commonName) return connectResponse(deny('bad-request', 'The VPN could not read your certificate name. Use the profile from /vpn issue in Slack.'));
    let ready: DecideDeps;
    try {
      deps ??= (async () => decideDeps(await loadConfig()))();
      ready = await deps;
    } catch (error) {
      // Not cached: a Secrets Manager hiccup must not refuse every login this container ever sees.
      deps = undefined;
      logError('connect handler could not start', error);
      return connectResponse(deny('error', 'The VPN login check is misconfigured, so logins are refused. Tell your VPN admin.'));
    }
    return connectResponse(await decideConnection(ready, request, started));
  };
}
