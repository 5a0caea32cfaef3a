import { join } from 'node:path';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import { storesFor } from '../../src/composition';
import { loadConfig } from '../../src/config';
import { StandInOptions, startSlackStandIn } from '../../src/local/slack-standin/server';
import { caMaterial } from '../../src/pki/ca';
import type { InProcessJobQueue, Job } from '../../src/slack/jobs';
import { createSlackLambdaHandler } from '../../src/slack/lambda';
import { inProcessJobs } from '../../src/slack/runtime';
import { testCa } from './ca';
import { testDatabase } from './dynamodb';
import { blockAction, botEnv, slashCommand } from './slack';
import { tempDir } from './tools';

export type Response = { statusCode: number; body?: string };

/**
 * The real Lambda entry point and Bolt app, wired to the Slack stand-in, a fresh DynamoDB Local
 * table and a file-backed OpenVPN endpoint (no server), with jobs running in this process.
 */
export async function testBot(options: { slack?: StandInOptions; env?: Record<string, string> } = {}) {
  const [slack, db] = await Promise.all([startSlackStandIn(options.slack), testDatabase()]);
  const dir = tempDir('bot');
  const crlFile = join(dir.path, 'crl.pem');
  const ca = await testCa();
  await new LocalCaStore(dir.path).save(caMaterial(ca));
  const env = botEnv(slack, db.tableName, dir.path, {
    VPN_ENDPOINTS: JSON.stringify([{ type: 'openvpn', name: 'test', management: '127.0.0.1:9', crlFile, remote: '127.0.0.1 1194 udp' }]),
    ...options.env,
  });
  const queues: InProcessJobQueue[] = [];
  const handler = createSlackLambdaHandler(() => loadConfig(env), async (config, database) => {
    const queue = await inProcessJobs(config, database);
    queues.push(queue);
    return queue;
  }) as unknown as (event: unknown, context: unknown) => Promise<Response>;

  const call = (event: unknown) => handler(event, {});
  return {
    slack,
    db,
    dir,
    ca,
    crlFile,
    env,
    stores: storesFor(db),
    call,
    command: (user: string, text: string) => call(slashCommand(user, text, slack.mintResponseUrl(user))),
    click: (user: string, actionId: string, value: string) => call(blockAction(user, actionId, value, slack.mintResponseUrl(user))),
    ackText: (response: Response) => (JSON.parse(response.body ?? '{}') as { text?: string }).text ?? '',
    lastResponse: (user: string) => slack.responses(user).at(-1)?.body as { text?: string; blocks?: unknown[] } | undefined,
    /** A job straight to the worker, as a late or replayed queue entry arrives; the bot must have served a request first. */
    enqueue(job: Job) {
      if (!queues[0]) throw new Error('The bot has no job queue yet: send it a command first.');
      return queues[0].enqueue(job);
    },
    /** Wait for every job the bot has queued, e.g. before looking at what it did, and before closing. */
    idle: () => Promise.all(queues.map((queue) => queue.idle())),
    async close() {
      await Promise.all(queues.map((queue) => queue.idle()));
      await slack.stop();
      await db.drop();
      dir.remove();
    },
  };
}

export type TestBot = Awaited<ReturnType<typeof testBot>>;
