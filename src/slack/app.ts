import { App, LogLevel, type Receiver } from '@slack/bolt';
import type { Config } from '../config';
import { VpnChatopsError } from '../domain/errors';
import type { ListenerDeps } from './context';
import { registerListeners } from './listeners/index';

export interface SlackAppOptions {
  config: Config;
  deps: ListenerDeps;
  /** The Lambda entry point passes its AwsLambdaReceiver; locally Bolt's HTTP receiver or Socket Mode is used. */
  receiver?: Receiver;
  socketMode?: boolean;
}

/** The one Bolt app, used by the Lambda handler and the local run alike. */
export function createSlackApp(options: SlackAppOptions): App {
  const { config, deps } = options;
  if (!config.SLACK_BOT_TOKEN) throw new VpnChatopsError('INVALID_CONFIG', 'SLACK_BOT_TOKEN is not set.');
  if (!options.receiver && !options.socketMode && !config.SLACK_SIGNING_SECRET) {
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      'SLACK_SIGNING_SECRET is not set: requests from Slack could not be verified.',
    );
  }
  const app = new App({
    token: config.SLACK_BOT_TOKEN,
    receiver: options.receiver,
    signingSecret: options.receiver ? undefined : config.SLACK_SIGNING_SECRET,
    socketMode: options.socketMode,
    appToken: options.socketMode ? config.SLACK_APP_TOKEN : undefined,
    // Known ids spare a cold start the auth.test round trip.
    botId: config.SLACK_BOT_ID,
    botUserId: config.SLACK_BOT_USER_ID,
    logLevel: LogLevel.WARN,
    clientOptions: {
      slackApiUrl: config.SLACK_API_URL,
      retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 2_000 },
      timeout: 5_000,
    },
  });
  registerListeners(app, deps);
  // Without this, a listener that throws after ack turns into a 500, and Slack retries events forever.
  app.error(async (error) => {
    deps.log('listener failed', error);
  });
  return app;
}
