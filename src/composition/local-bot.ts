import type { RequestListener } from 'node:http';
import { HTTPReceiver, LogLevel } from '@slack/bolt';
import type { Database } from '../adapters/dynamodb/client';
import type { EndpointWiring } from './endpoints';
import type { Config } from '../config';
import { createSlackApp } from '../slack/app';
import { createListenerDeps } from './slack-ingress';
import { inProcessJobs } from './worker';
import type { BotMode } from '../local/prepare';

export interface RunningBot {
  mode: BotMode;
  /** Where Slack (or a tunnel) sends requests, in HTTP mode. */
  url?: string;
  /** In console mode: the app's request handler, mounted at /slack/events on the console's server. */
  listener?: RequestListener;
  stop(): Promise<void>;
}

/**
 * The one Bolt app with its jobs in this process. `wiring` names the endpoint whose server runs beside
 * it. `stop()` waits for jobs already answered in Slack (an issue, a revoke) before the caller takes the
 * database away.
 */
export async function startBot(
  config: Config,
  db: Database,
  mode: BotMode,
  wiring: EndpointWiring = {},
): Promise<RunningBot> {
  const jobs = await inProcessJobs(config, db, wiring);
  const deps = createListenerDeps(config, db, jobs);
  if (mode === 'console') {
    const receiver = new HTTPReceiver({ signingSecret: config.SLACK_SIGNING_SECRET ?? '', logLevel: LogLevel.WARN });
    createSlackApp({ config, deps, receiver });
    return { mode, listener: receiver.requestListener, stop: () => jobs.idle() };
  }
  const app = createSlackApp({ config, deps, socketMode: mode === 'socket' });
  await (mode === 'socket' ? app.start() : app.start({ port: config.PORT, host: '127.0.0.1' }));
  return {
    mode,
    url: mode === 'http' ? `http://127.0.0.1:${config.PORT}/slack/events` : undefined,
    stop: async () => {
      await app.stop();
      await jobs.idle();
    },
  };
}
