import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * One table for everything, defined once: tests, the local stack and the CDK app all create it
 * from this. Items (pk / sk):
 *
 *   CERT#<serial> / CERT         a certificate's metadata (never a private key)
 *       gsi1: USER#<slackId> / CERT#<issuedAt>#<serial>      certificates of a member
 *       gsi2: STATUS#<status> / <notAfter>#<serial>          certificates by status, soonest expiry first
 *       gsi3: REVOKED#<0-7> / <notAfter>#<serial>            sparse, sharded by serial: what the next CRL lists
 *   CN#<cn> / CN                 the certificate bearing the CN, until its notAfter, revoked or not (docs/identity.md)
 *   SLOT#<cn without tag> / SLOT the device's live certificate (one per member's device; freed by revocation)
 *   CA#<caId> / CRL              the CA's CRL-number counter
 *   ENDPOINT#<key> / CRL         per-endpoint publish record (requested/served, number, nextUpdate, …)
 *   ENDPOINT#<key> / LEASE       one publisher at a time per endpoint (TTL)
 *   AUDIT#<yyyy-mm-dd>#<0-15> / <at>#<id>   append-only audit, sharded by id (audit-keys.ts; before: AUDIT#<yyyy-mm-dd>)
 *       gsi1: ACTOR#<actor> (ACTOR#system:<job>#<0-15>, sharded likewise) / <at>#<id>
 *       gsi2: TARGET#<target> / <at>#<id>
 *   IDEMPOTENCY#<key> / KEY      "seen once" markers (TTL)
 *   APPROVAL#<id> / APPROVAL     login approvals (TTL)
 *       gsi1: APPROVALS#<slackId> / <requestedAt>#<id>
 *       gsi2: APPROVALS#PENDING#<0-7> / <deadline>#<id>    sparse, sharded: removed by the decision (admin Home)
 *   also APPROVALMSG#<channel>#<ts>, REMEMBER#<serial>#<ip>, PROMPTS#<slackId>, COOLDOWN#<serial> (all TTL)
 *   SLACKBUDGET#<bot>#<method> / WINDOWS  Slack calls per 10-second window, the last seven (TTL; slack-budget.ts)
 *   GRANT#<slackId> / GRANT      temporary eligibility to issue (`/vpn grant`), read by its `until` (TTL)
 *   ACCESSREQ#<id> / ACCESSREQ   an access request; lapses 24 h after creation (`lapsesAt`), kept 30 days more (TTL)
 *       gsi1: ACCESSREQS#<slackId> / <createdAt>#<id>
 *       gsi2: ACCESSREQS#PENDING / <lapsesAt>#<id>         sparse: removed by the decision or the expiry
 *   RECONCILE#offboarding / PROGRESS         where the offboarding reconcile's users.list pass stands (cursor, pages)
 *   RECONCILE#offboarding / PAGE#<pass>#<n>  the holders one page of that pass listed (TTL 3 days)
 *
 * Between the bot and `vpnctl agent` on a self-hosted OpenVPN host:
 *   AGENT-CRL#<key> / NEWEST             the newest CRL published for the agent: number (and `order`, zero-padded),
 * issuer, sha256
 *   AGENT-CRL#<key> / MANIFEST#<number>  one CRL: chunk count, sha256, publishedAt        (TTL 14 days once superseded)
 *   AGENT-CRL#<key> / CHUNK#<number>#<i> 300 KB of its PEM; pointer, manifest and chunks are one transaction (TTL
 * likewise)
 *   AGENT-ENDPOINT#<key> / CRL-APPLIED   what the agent wrote to the server's crl-verify file
 *   KILLS#<key> / KILL#<requestedAt>-<r> a session the agent must end, while it is pending (what the agent's query
 * reads)
 *   KILLS#<key> / SETTLED#<requestedAt>-<r>  the same kill once carried out, moved in one transaction; `state` done |
 * gone (TTL 7 days)
 *   KILLS#<key> / CONN#<connectionId>    the pending kill of that session, so a second request returns it
 *   AGENTS / AGENT#<agentId>             an agent's heartbeat: endpoints, health, sessions (trimmed to ~350 KB,
 * `sessionsTruncated`), `silent` (TTL 30 days)
 *   AGENT-ALERTS / ALERTED#<subject>     a fault the admins were told of (`alerted`); the bot's alone, the agent
 * role does not grant it
 *   AGENT-ENDPOINT#<key> / SERVING       the agent whose heartbeat last reported the endpoint
 *   AGENT-ENDPOINT#<key> / LEASE         the one agent acting for the endpoint: holder, until (TTL)
 *   SHIPPED#<key> / <hour, ISO>          one hour of connection attempts, gzipped JSON ≤ 300 KB (TTL 8 days)
 */
export const TTL_ATTRIBUTE = 'expiresAt';

export const INDEX = { byUser: 'gsi1', byStatus: 'gsi2', revoked: 'gsi3' } as const;

const key = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });

export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'].map(key),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: INDEX.byUser,
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: INDEX.byStatus,
        KeySchema: [
          { AttributeName: 'gsi2pk', KeyType: 'HASH' },
          { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: INDEX.revoked,
        KeySchema: [
          { AttributeName: 'gsi3pk', KeyType: 'HASH' },
          { AttributeName: 'gsi3sk', KeyType: 'RANGE' },
        ],
        // A 20,000-entry CRL reads only these few attributes, not whole certificates.
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['serial', 'revokedAt', 'reason', 'notAfter'] },
      },
    ],
  };
}
