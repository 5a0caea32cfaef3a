import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AccessDeniedException,
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  ResourceNotFoundException,
  ThrottlingException,
  type FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchConnectionLog } from '../../src/adapters/cloudwatch-logs/connection-log';
import { VpnChatopsError } from '../../src/domain/errors';
import { rejectionOf } from '../helpers/errors';

const ENDPOINT_ID = 'cvpn-endpoint-0123456789abcdef0';
const GROUP = '/aws/clientvpn/connections';
const FROM = new Date('2026-03-01T00:00:00Z');
const TO = new Date('2026-03-01T12:00:00Z');

const logs = mockClient(CloudWatchLogsClient);
let delays: number[];

const fixtureEvents: FilteredLogEvent[] = readFileSync(
  join(__dirname, '..', 'fixtures', 'connection-logs', 'aws-client-vpn-connection-log.jsonl'),
  'utf8',
)
  .split('\n')
  .slice(0, -1)
  .map((message, i) => ({
    message,
    timestamp: Date.UTC(2026, 2, 1, 8) + i * 1000,
    logStreamName: 'cvpn-endpoint-0123456789abcdef0-eu-west-1-2026/03/01-abc',
    eventId: String(i),
  }));

function source(
  options: { logStream?: string; maxEvents?: number; maxPages?: number; attempts?: number } = {},
): CloudWatchConnectionLog {
  return new CloudWatchConnectionLog({
    endpointId: ENDPOINT_ID,
    region: 'eu-west-1',
    logGroup: GROUP,
    logStream: options.logStream,
    maxEvents: options.maxEvents,
    maxPages: options.maxPages,
    client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
    retry: { attempts: options.attempts, sleep: async (ms) => void delays.push(ms) },
  });
}

const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

beforeEach(() => {
  logs.reset();
  delays = [];
});

/**
 * aws-sdk-client-mock here for paging, throttling, AccessDenied and empty pages, which moto does not produce;
 * reading a real log group on moto_server: test/integration/aws-adapters-moto.test.ts.
 */
describe('CloudWatchConnectionLog', () => {
  it('pages through FilterLogEvents over the window with exact inputs, parsing every event and counting the bad ones', async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: fixtureEvents.slice(0, 7), nextToken: 'page-2' })
      .resolvesOnce({ events: [], nextToken: 'page-3' })
      .resolvesOnce({ events: fixtureEvents.slice(7) });
    const log = source({ logStream: 'one-stream' });
    const read = await log.read(FROM, TO);

    expect(log.endpoint).toBe(`aws-client-vpn:${ENDPOINT_ID}`);
    const inputs = logs.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input);
    const base = {
      logGroupName: GROUP,
      logStreamNames: ['one-stream'],
      startTime: FROM.getTime(),
      endTime: TO.getTime() - 1,
      limit: 10_000,
    };
    expect(inputs).toEqual([base, { ...base, nextToken: 'page-2' }, { ...base, nextToken: 'page-3' }]);
    expect(read).toMatchObject({ events: 19, malformed: 6, ignored: 1 });
    expect(read.attempts).toHaveLength(12);
    expect([...read.unrecognisedFields].sort()).toEqual(['aws-client-version', 'tunnel-mtu']);
    expect(read.truncated).toBeUndefined();
    expect(read.notes?.[0]).toMatch(/does not log failed mutual-TLS attempts/);
  });

  it('reads every stream of the group when no stream is configured', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    await source().read(FROM, TO);
    expect(logs.commandCalls(FilterLogEventsCommand)[0].args[0].input).not.toHaveProperty('logStreamNames');
  });

  it('says which permission is missing on AccessDeniedException, without retrying', async () => {
    logs.on(FilterLogEventsCommand).rejects(
      new AccessDeniedException({
        message: 'User: arn:aws:sts::1:assumed-role/bot is not authorized to perform: logs:FilterLogEvents',
        ...metadata(400),
      }),
    );
    const error = await rejectionOf(source().read(FROM, TO));
    expect(error).toBeInstanceOf(VpnChatopsError);
    expect((error as VpnChatopsError).message).toBe(
      `aws-client-vpn:${ENDPOINT_ID}: missing permission logs:FilterLogEvents on log group ${GROUP} in eu-west-1: grant it to the IAM role the bot runs as.`,
    );
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(1);
  });

  it('says to check the log group when it does not exist', async () => {
    logs
      .on(FilterLogEventsCommand)
      .rejects(new ResourceNotFoundException({ message: 'The specified log group does not exist.', ...metadata(400) }));
    expect(((await rejectionOf(source().read(FROM, TO))) as Error).message).toMatch(
      /log group \/aws\/clientvpn\/connections in eu-west-1 was not found: check "logGroup" in VPN_ENDPOINTS/,
    );
  });

  it('retries throttling with growing backoff and carries on where it was', async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: fixtureEvents.slice(0, 3), nextToken: 't2' })
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', ...metadata(400) }))
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', ...metadata(400) }))
      .resolvesOnce({ events: fixtureEvents.slice(3, 4) });
    const read = await source().read(FROM, TO);
    expect(read.events).toBe(4);
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(
      logs
        .commandCalls(FilterLogEventsCommand)
        .slice(1)
        .map((call) => call.args[0].input.nextToken),
    ).toEqual(['t2', 't2', 't2']);
  });

  it('gives up after the configured attempts and says it was throttled', async () => {
    logs.on(FilterLogEventsCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', ...metadata(400) }));
    const error = (await rejectionOf(source({ attempts: 3 }).read(FROM, TO))) as Error;
    expect(error.message).toBe(
      `aws-client-vpn:${ENDPOINT_ID}: AWS throttled logs:FilterLogEvents on log group ${GROUP} in eu-west-1 3 times in a row: try again in a few minutes.`,
    );
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(3);
  });

  it('stops after maxEvents and says how far it got', async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: fixtureEvents.slice(0, 5), nextToken: 'a' })
      .resolvesOnce({ events: fixtureEvents.slice(5, 10), nextToken: 'b' })
      .resolves({ events: fixtureEvents.slice(10), nextToken: 'c' });
    const read = await source({ maxEvents: 8 }).read(FROM, TO);
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(2);
    expect(read.events).toBe(10);
    expect(read.truncated).toBe(
      'stopped after 10 log events in 2 pages (up to 2026-03-01 08:00 UTC); ask for fewer hours to see the rest of the window',
    );
  });

  it('bounds the calls when FilterLogEvents keeps answering with empty pages', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [], nextToken: 'again' });
    const read = await source({ maxPages: 4 }).read(FROM, TO);
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(4);
    expect(read.truncated).toMatch(/^stopped after 0 log events in 4 pages;/);
  });
});
