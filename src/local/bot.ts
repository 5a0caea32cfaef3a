import type { Config } from '../config';
import { openDatabase } from '../composition';
import { createSlackApp } from '../slack/app';
import { InProcessJobQueue } from '../slack/jobs';
import { createListenerDeps } from '../slack/ingress';
import { createWorker } from '../slack/runtime';

/**
 * The bot against a real Slack workspace, from a laptop: Socket Mode with SLACK_APP_TOKEN (no
 * public URL needed), else HTTP on PORT at /slack/events (behind a tunnel). Jobs run in-process.
 */
export async function runBot(config: Config): Promise<void> {
  const socketMode = Boolean(config.SLACK_APP_TOKEN);
  const { db, local } = await openDatabase(config);
  const worker = await createWorker(config, db);
  const app = createSlackApp({ config, deps: createListenerDeps(config, db, new InProcessJobQueue((job) => worker.run(job))), socketMode });
  await app.start(config.PORT);
  console.log(socketMode ? '  ✔ bot connected to Slack in Socket Mode' : `  ✔ bot listening on http://localhost:${config.PORT}/slack/events`);
  console.log('  Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log('\n  … stopping');
  await app.stop();
  db.doc.destroy();
  await local?.stop();
}
