import { CloudWatchLogsClient, CreateLogGroupCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDbAuditLog } from '../../src/adapters/dynamodb/audit-log';
import { dayKey } from '../../src/adapters/dynamodb/audit-keys';
import type { StreamRecord } from '../../src/adapters/dynamodb/audit-stream-record';
import { forwardAuditRecords } from '../../src/adapters/eventbridge/audit-events';
import { EventBridgeBus } from '../../src/adapters/eventbridge/event-bus';
import type { AuditEntry } from '../../src/domain/audit';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { MOTO_CREDENTIALS, MOTO_SERVER, Moto, startMoto } from '../helpers/moto';
import { describeWith } from '../helpers/tools';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const BUS = 'vpn-chatops';
const SIEM_LOG = '/siem/vpn-chatops';

/*
 * What moto cannot show: DynamoDB Streams and Lambda's event source mapping (its filter, its retries from a
 * reported sequence number) are AWS's; the records here are the table's real audit items, read back from
 * DynamoDB Local and framed as Lambda frames stream records. moto does check PutEvents' 10-entry limit
 * and routes the events through a real rule to a log group, as a SIEM's rule would.
 */
describeWith(
  { moto_server: MOTO_SERVER, 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the audit stream on moto',
  () => {
    let moto: Moto;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let logs: CloudWatchLogsClient;
    const bus = () => new EventBridgeBus({ region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });

    /** The EventBridge set-up a SIEM team would make, in EventBridge's JSON protocol (moto reads the region from the credential scope). */
    async function events(operation: string, body: unknown): Promise<void> {
      const response = await fetch(moto.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `AWSEvents.${operation}`,
          authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${REGION}/events/aws4_request, SignedHeaders=host, Signature=0`,
        },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${operation}: ${response.status} ${await response.text()}`);
    }

    beforeAll(async () => {
      moto = await startMoto();
      db = await testDatabase();
      logs = new CloudWatchLogsClient({ region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
      await events('CreateEventBus', { Name: BUS });
      await logs.send(new CreateLogGroupCommand({ logGroupName: SIEM_LOG }));
      await events('PutRule', {
        Name: 'siem',
        EventBusName: BUS,
        EventPattern: JSON.stringify({ source: ['vpn-chatops'] }),
      });
      await events('PutTargets', {
        Rule: 'siem',
        EventBusName: BUS,
        Targets: [{ Id: 'log', Arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${SIEM_LOG}` }],
      });
    }, 60_000);
    afterAll(async () => {
      logs?.destroy();
      await db?.drop();
      await moto?.stop();
    });

    /** The item DynamoDbAuditLog wrote for `entry`, as a stream record's new image. */
    async function insertRecord(entry: AuditEntry, sequence: number): Promise<StreamRecord> {
      const at = entry.at.toISOString();
      const { Item } = await db.doc.send(
        new GetItemCommand({
          TableName: db.tableName,
          Key: { pk: { S: dayKey(at.slice(0, 10), entry.id) }, sk: { S: `${at}#${entry.id}` } },
        }),
      );
      return {
        eventName: 'INSERT',
        dynamodb: { SequenceNumber: String(sequence), NewImage: Item as Record<string, AttributeValue> },
      };
    }

    it('delivers 23 real audit entries to a SIEM rule: source vpn-chatops, detail type the action, detail the entry with its id', async () => {
      const audit = new DynamoDbAuditLog(db);
      const entries: AuditEntry[] = [];
      for (let n = 0; n < 23; n++)
        entries.push(
          await audit.append({
            actor: 'system:offboarding',
            action: n % 2 ? 'certificate.revoke' : 'access.offboard',
            target: 'U0ALICE',
            outcome: 'success',
            details: { serial: `0A${n}`, reason: 'deactivated in Slack' },
          }),
        );
      const records = await Promise.all(entries.map((entry, n) => insertRecord(entry, 1000 + n)));
      // Another item in the same stream (here a certificate's): not an audit entry, not sent.
      const other: StreamRecord = {
        eventName: 'INSERT',
        dynamodb: { SequenceNumber: '999', NewImage: { type: { S: 'certificate' }, id: { S: 'x' } } },
      };

      const result = await forwardAuditRecords([other, ...records], {
        bus: bus(),
        busName: BUS,
      });
      expect(result).toEqual({ batchItemFailures: [] });

      const delivered = await eventually(async () => {
        const { events: found = [] } = await logs.send(new FilterLogEventsCommand({ logGroupName: SIEM_LOG }));
        return found.length >= entries.length ? found : undefined;
      }, 'the events in the SIEM log group');
      const received = delivered.map((event) => JSON.parse(event.message!) as Record<string, unknown>);
      expect(received).toHaveLength(entries.length);
      for (const event of received) expect(event).toMatchObject({ source: 'vpn-chatops' });
      const byId = new Map(received.map((event) => [(event.detail as AuditEntry).id, event]));
      for (const entry of entries) {
        expect(byId.get(entry.id)).toMatchObject({
          'detail-type': entry.action,
          detail: { ...entry, at: entry.at.toISOString() },
        });
      }
    }, 60_000);

    it('says why when the bus refuses the call', async () => {
      const eventBus = bus();
      const tooMany = Array.from({ length: 11 }, () => ({
        EventBusName: BUS,
        Source: 'vpn-chatops',
        DetailType: 'crl.publish',
        Detail: '{}',
      }));
      await expect(eventBus.putEvents(tooMany)).rejects.toThrow(/PutEvents failed \(400 .*less than or equal to 10/);
    });
  },
);
