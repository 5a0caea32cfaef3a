import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { VpnChatopsError } from '../../domain/errors';
import { DAY_MS } from '../../domain/time';
import type {
  AgentEndpointReport,
  AgentHeartbeat,
  AgentRegistry,
  HandshakeOutcome,
  HandshakeTarget,
  VpnSession,
} from '../../ports';
import { Database, guarded, isConditionFailure, queryAll, storeError } from './client';
import { TTL_ATTRIBUTE } from './table';

type Item = Record<string, unknown>;

/** All agents share one small partition: a handful of items, so listing them is one query, never a scan. */
const AGENTS_PK = 'AGENTS';
const agentKey = (agentId: string) => ({ pk: AGENTS_PK, sk: `AGENT#${agentId}` });
/** The agent that last reported an endpoint: `serving` reads it instead of every heartbeat. */
const servingKey = (endpoint: string) => ({ pk: `AGENT-ENDPOINT#${endpoint}`, sk: 'SERVING' });
/**
 * What the admins were told about a fault. Not in AGENTS, which every agent host may update for its heartbeat:
 * only the bot's functions may write this partition, so a VPN host cannot set a flag and silence another's alert.
 */
const alertedKey = (subject: string) => ({ pk: 'AGENT-ALERTS', sk: `ALERTED#${subject}` });

/** A retired agent drops out of the list a month after its last heartbeat (its silence was alerted long before). */
const HEARTBEAT_TTL_MS = 30 * DAY_MS;
/**
 * One heartbeat is one item, and DynamoDB refuses an item over 400 KB: the beat would fail and the agent look
 * silent. The item's size is estimated from its JSON text in UTF-8, which counts more than DynamoDB does (every
 * attribute name costs its quotes and colon, while DynamoDB counts names and values and a byte or three per
 * map or list), and sessions are trimmed until that estimate is under this bound; the 50 KB left cover what
 * the estimate could miss. A CN is at most 64 characters but up to 256 bytes, so no session count is safe.
 */
export const HEARTBEAT_ITEM_BYTES = 350_000;

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

const iso = (date: Date | undefined) => date?.toISOString();
const date = (value: unknown) => (typeof value === 'string' ? new Date(value) : undefined);

/**
 * Drops sessions, from the longest list first, until the item fits; a trimmed report says so, so that the bot
 * never reads a partial list as every session (adapters/agent/endpoint.ts refuses to end sessions from it).
 */
function fitted(reports: Item[], item: Item): Item[] {
  let excess = jsonBytes({ ...item, endpoints: reports }) - HEARTBEAT_ITEM_BYTES;
  if (excess <= 0) return reports;
  const kept: Item[] = reports.map((report) => ({ ...report, sessions: [...(report.sessions as Item[])] }));
  const sessionsOf = (report: Item) => report.sessions as Item[];
  while (excess > 0) {
    const longest = kept.reduce((a, b) => (sessionsOf(b).length > sessionsOf(a).length ? b : a));
    // Nothing left to trim: DynamoDB refuses the beat, and says why.
    if (sessionsOf(longest).length === 0) break;
    if (!longest.sessionsTruncated) {
      longest.sessionsTruncated = true;
      excess += jsonBytes({ sessionsTruncated: true });
    }
    excess -= jsonBytes(sessionsOf(longest).pop()) + 1;
  }
  return kept;
}

function reportItem(report: AgentEndpointReport): Item {
  return {
    endpoint: report.endpoint,
    acting: report.acting,
    health: { ...report.health },
    sessions: report.sessions.map((session) => ({ ...session, connectedAt: iso(session.connectedAt) })),
    clientConfiguration: report.clientConfiguration,
    tlsCryptKey: report.tlsCryptKey,
    serverCertificate: report.serverCertificate && {
      ...report.serverCertificate,
      notAfter: iso(report.serverCertificate.notAfter),
    },
    handshakeProbe: report.handshakeProbe && { ...report.handshakeProbe, at: iso(report.handshakeProbe.at) },
    unhealthySince: iso(report.unhealthySince),
    leaseError: report.leaseError,
  };
}

function toReport(item: Item): AgentEndpointReport {
  const health = item.health as AgentEndpointReport['health'];
  const certificate = item.serverCertificate as Item | undefined;
  const probe = item.handshakeProbe as Item | undefined;
  return {
    endpoint: item.endpoint as string,
    ...(typeof item.acting === 'boolean' && { acting: item.acting }),
    ...(item.sessionsTruncated === true && { sessionsTruncated: true }),
    health,
    sessions: ((item.sessions as Item[] | undefined) ?? []).map((session): VpnSession => ({
      connectionId: session.connectionId as string,
      commonName: session.commonName as string,
      clientIp: session.clientIp as string | undefined,
      connectedAt: date(session.connectedAt),
    })),
    clientConfiguration: item.clientConfiguration as string | undefined,
    tlsCryptKey: item.tlsCryptKey as string | undefined,
    serverCertificate: certificate && {
      location: certificate.location as string,
      subject: certificate.subject as string | undefined,
      notAfter: new Date(certificate.notAfter as string),
      status: certificate.status as string | undefined,
    },
    ...(probe && {
      handshakeProbe: {
        at: new Date(probe.at as string),
        target: probe.target as HandshakeTarget,
        result: probe.result as HandshakeOutcome,
      },
    }),
    ...(typeof item.unhealthySince === 'string' && { unhealthySince: new Date(item.unhealthySince) }),
    ...(typeof item.leaseError === 'string' && { leaseError: item.leaseError }),
  };
}

function toHeartbeat(item: Item): AgentHeartbeat {
  if (typeof item.agentId !== 'string' || typeof item.at !== 'string' || !Array.isArray(item.endpoints))
    throw new VpnChatopsError(
      'STORE_UNAVAILABLE',
      `DynamoDB item ${String(item.pk)} / ${String(item.sk)} is not an agent heartbeat this version of vpn-chatops wrote.`,
    );
  return {
    agentId: item.agentId,
    host: item.host as string,
    version: item.version as string,
    at: new Date(item.at),
    endpoints: (item.endpoints as Item[]).map(toReport),
    ...(typeof item.clockSkewS === 'number' && { clockSkewS: item.clockSkewS }),
  };
}

export class DynamoDbAgentRegistry implements AgentRegistry {
  constructor(private readonly db: Database) {}

  async beat(heartbeat: AgentHeartbeat): Promise<void> {
    if (!heartbeat.agentId) throw new VpnChatopsError('STATE', 'A heartbeat needs the agent id.');
    const at = heartbeat.at.toISOString();
    const values: Item = {
      ':agentId': heartbeat.agentId,
      ':host': heartbeat.host,
      ':version': heartbeat.version,
      ':at': at,
      ':false': false,
      ':ttl': Math.ceil((heartbeat.at.getTime() + HEARTBEAT_TTL_MS) / 1000),
      ...(heartbeat.clockSkewS !== undefined && { ':clockSkewS': heartbeat.clockSkewS }),
    };
    const key = agentKey(heartbeat.agentId);
    values[':endpoints'] = fitted(heartbeat.endpoints.map(reportItem), { ...key, ...values });
    await guarded(this.db, () =>
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: key,
          // `silent` is the alert's memory: a heartbeat leaves it for markSilent, which tells "back" once.
          UpdateExpression:
            'SET agentId = :agentId, host = :host, version = :version, #at = :at, endpoints = :endpoints, silent = if_not_exists(silent, :false), #ttl = :ttl' +
            // An agent that could not measure its clock says nothing of it, rather than repeat an old skew.
            (heartbeat.clockSkewS === undefined ? ' REMOVE clockSkewS' : ', clockSkewS = :clockSkewS'),
          ExpressionAttributeNames: { '#at': 'at', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: values,
        }),
      ),
    );
    // A standby agent's report names the endpoint but says nothing about it: the pointer is the acting agent's.
    for (const { endpoint } of heartbeat.endpoints.filter((report) => report.acting !== false)) {
      try {
        await this.db.doc.send(
          new PutCommand({
            TableName: this.db.tableName,
            Item: { ...servingKey(endpoint), agentId: heartbeat.agentId, at },
            // Two agents for one endpoint (active and standby) both beat: the pointer keeps the newer heartbeat.
            ConditionExpression: 'attribute_not_exists(pk) OR #at <= :at',
            ExpressionAttributeNames: { '#at': 'at' },
            ExpressionAttributeValues: { ':at': at },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw storeError(this.db, error);
      }
    }
  }

  async list(): Promise<AgentHeartbeat[]> {
    const items = await queryAll(this.db, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :agent)',
      ExpressionAttributeValues: { ':pk': AGENTS_PK, ':agent': 'AGENT#' },
      ConsistentRead: true,
    });
    return items.map(toHeartbeat);
  }

  async serving(endpoint: string): Promise<AgentHeartbeat | undefined> {
    const pointer = await this.item(servingKey(endpoint));
    const agent = typeof pointer?.agentId === 'string' ? await this.item(agentKey(pointer.agentId)) : undefined;
    const heartbeat = agent && toHeartbeat(agent);
    const serves = (candidate: AgentHeartbeat) =>
      candidate.endpoints.some((report) => report.endpoint === endpoint && report.acting !== false);
    if (heartbeat && serves(heartbeat)) return heartbeat;
    // The pointed-to agent stopped serving the endpoint (or expired): look through every heartbeat.
    return (await this.list()).filter(serves).sort((a, b) => b.at.getTime() - a.at.getTime())[0];
  }

  private async item(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const { Item } = await guarded(this.db, () =>
      this.db.doc.send(new GetCommand({ TableName: this.db.tableName, Key: key, ConsistentRead: true })),
    );
    return Item;
  }

  async markAlerted(subject: string, alerted: boolean): Promise<boolean> {
    if (!subject) throw new VpnChatopsError('STATE', 'An alert flag needs a subject.');
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: alertedKey(subject),
          UpdateExpression: 'SET alerted = :alerted',
          // Only a flip counts; a subject never told of is not alerted, so it has nothing to take back.
          ConditionExpression: alerted ? 'attribute_not_exists(alerted) OR alerted = :false' : 'alerted = :true',
          ExpressionAttributeValues: alerted
            ? { ':alerted': true, ':false': false }
            : { ':alerted': false, ':true': true },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storeError(this.db, error);
    }
  }

  async markSilent(agentId: string, silent: boolean): Promise<boolean> {
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tableName,
          Key: agentKey(agentId),
          UpdateExpression: 'SET silent = :silent',
          // Only a flip counts, and only for an agent that has beaten (never a bare item for an unknown id).
          ConditionExpression: silent
            ? 'attribute_exists(pk) AND (attribute_not_exists(silent) OR silent = :false)'
            : 'attribute_exists(pk) AND silent = :true',
          ExpressionAttributeValues: silent
            ? { ':silent': true, ':false': false }
            : { ':silent': false, ':true': true },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw storeError(this.db, error);
    }
  }
}
