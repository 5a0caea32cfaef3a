import type { Config } from '../config';
import { openDatabase } from '../composition';
import { createSlackApp } from '../slack/app';
import { createListenerDeps } from '../slack/ingress';
import { InProcessJobQueue } from '../slack/jobs';
import { createWorker } from '../slack/runtime';

export interface RunningBot {
  /** Where Slack (or a tunnel) sends requests, in HTTP mode. */
  url?: string;
  stop(): Promise<void>;
}

/**
 * The bot against a real Slack workspace, from a laptop: Socket Mode with SLACK_APP_TOKEN (no
 * public URL needed), else HTTP on 127.0.0.1:PORT at /slack/events (a tunnel forwards to it).
 * Jobs run in-process.
 */
export async function startBot(config: Config): Promise<RunningBot> {
  const socketMode = Boolean(config.SLACK_APP_TOKEN);
  const { db, local } = await openDatabase(config);
  try {
    const worker = await createWorker(config, db);
    const jobs = new InProcessJobQueue((job) => worker.run(job));
    const app = createSlackApp({ config, deps: createListenerDeps(config, db, jobs), socketMode });
    await (socketMode ? app.start() : app.start({ port: config.PORT, host: '127.0.0.1' }));
    return {
      url: socketMode ? undefined : `http://127.0.0.1:${config.PORT}/slack/events`,
      stop: async () => {
        await app.stop();
        // A job already answered in Slack (an issue, a revoke) finishes before its table goes away.
        await jobs.idle();
        db.doc.destroy();
        await local?.stop();
      },
    };
  } catch (error) {
    db.doc.destroy();
    await local?.stop();
    throw error;
  }
}

export async function runBot(config: Config): Promise<void> {
  const bot = await startBot(config);
  console.log(bot.url ? `  ✔ bot listening on ${bot.url}` : '  ✔ bot connected to Slack in Socket Mode');
  console.log('  Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  console.log('\n  … stopping');
  await bot.stop();
}
