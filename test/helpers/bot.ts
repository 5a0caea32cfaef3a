import { join } from 'node:path';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { loadConfig } from '../../src/config';
import { StandInOptions, startSlackStandIn } from '../../src/local/slack-standin/server';
import { caMaterial } from '../../src/pki/ca';
import type { Job, JobQueue } from '../../src/ports';
import type { InProcessJobQueue } from '../../src/slack/jobs/in-process-queue';
import { OrgInstall, blockActionRequest } from '../../src/local/slack-requests';
import { createSlackLambdaHandler } from '../../src/composition/slack-lambda';
import { inProcessJobs } from '../../src/composition/worker';
import { testCa } from './ca';
import { testDatabase } from './dynamodb';
import { blockAction, botEnv, lambdaEvent, slashCommand } from './slack';
import { tempDir } from './tools';

export type Response = { statusCode: number; body?: string };

/**
 * The real Lambda entry point and Bolt app, wired to the Slack stand-in, a fresh DynamoDB Local
 * table and a file-backed OpenVPN endpoint (no server), with jobs running in this process.
 */
export async function testBot(
  options: { slack?: StandInOptions; env?: Record<string, string>; handOff?: HandOff } = {},
) {
  const [slack, db] = await Promise.all([startSlackStandIn(options.slack), testDatabase()]);
  const dir = tempDir('bot');
  const crlFile = join(dir.path, 'crl.pem');
  const ca = await testCa();
  await new LocalCaStore(dir.path).save(caMaterial(ca));
  const env = botEnv(slack, db.tableName, dir.path, {
    VPN_ENDPOINTS: JSON.stringify([
      { type: 'openvpn', name: 'test', management: '127.0.0.1:9', crlFile, remote: '127.0.0.1 1194 udp' },
    ]),
    ...options.env,
  });
  const queues: InProcessJobQueue[] = [];
  const handler = createSlackLambdaHandler(
    () => loadConfig(env),
    async (config, database): Promise<JobQueue> => {
      const queue = await inProcessJobs(config, database);
      queues.push(queue);
      const { handOff } = options;
      return handOff ? { enqueue: (job) => handOff(job, (held) => queue.enqueue(held)) } : queue;
    },
  ) as unknown as (event: unknown, context: unknown) => Promise<Response>;

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
    click: (user: string, actionId: string, value: string) =>
      call(blockAction(user, actionId, value, slack.mintResponseUrl(user))),
    /** The buttons with `actionId` on the Home view the bot last published for `user`. */
    homeButtons(user: string, actionId: string): { action_id: string; value?: string }[] {
      const blocks = (slack.homeView(user)?.view.blocks ?? []) as { accessory?: unknown; elements?: unknown[] }[];
      return blocks
        .flatMap((block) => [block.accessory, ...(block.elements ?? [])])
        .filter(
          (e): e is { action_id: string; value?: string } =>
            (e as { action_id?: string } | undefined)?.action_id === actionId,
        );
    },
    /** A click on the Home view the bot published for `user`, with that view's id as real Slack sends it. */
    homeClick(user: string, actionId: string, value?: string, org?: OrgInstall) {
      const home = slack.homeView(user);
      if (!home) throw new Error(`The bot has published no Home view for ${user}: there is nothing to click.`);
      const view = { ...home.view, id: home.id, hash: home.hash, state: { values: {} } };
      return call(
        lambdaEvent(blockActionRequest({ userId: user, actionId, value, container: { type: 'view', view }, org })),
      );
    },
    ackText: (response: Response) => (JSON.parse(response.body ?? '{}') as { text?: string }).text ?? '',
    lastResponse: (user: string) =>
      slack.responses(user).at(-1)?.body as { text?: string; blocks?: unknown[] } | undefined,
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

/** What stands between the listeners and the worker: lets a test fail or hold the hand-off, as a Lambda Invoke could. */
export type HandOff = (job: Job, enqueue: (job: Job) => Promise<void>) => Promise<void>;
