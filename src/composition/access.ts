import type { WebClient } from '@slack/web-api';
import type { Config } from '../config';
import { MINUTE_MS } from '../domain/time';
import { systemClock, type AccessRequestStore, type AdminDirectory, type AuditLog, type GrantStore } from '../ports';
import type { SlackAccess } from '../slack/access';
import { SlackUsergroup } from '../slack/usergroup';

const ISSUING_GROUP_MAX_STALE_MS = 15 * MINUTE_MS;

/** ISSUE_POLICY and what it reads, for the listeners and the worker alike. */
export function accessFor(
  config: Config,
  stores: { grants: GrantStore; accessRequests: AccessRequestStore; audit: AuditLog },
  admins: AdminDirectory,
  client: WebClient,
): SlackAccess {
  return {
    policy: config.ISSUE_POLICY,
    group: config.ISSUE_USERGROUP_ID
      ? new SlackUsergroup(
          config.ISSUE_USERGROUP_ID,
          client,
          'the group that may issue VPN certificates',
          undefined,
          // Someone taken out of the group must not keep issuing for as long as Slack is down.
          ISSUING_GROUP_MAX_STALE_MS,
        )
      : undefined,
    grants: stores.grants,
    requests: stores.accessRequests,
    audit: stores.audit,
    admins,
    clock: systemClock,
    maxHours: config.MAX_ACCESS_HOURS,
    adminChannel: config.ADMIN_CHANNEL_ID,
    client,
  };
}
