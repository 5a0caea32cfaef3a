import { LogLevel, WebClient } from '@slack/web-api';
import { BOT_SCOPES } from '../../src/adapters/slack-web/scopes';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { uploadToDm } from '../../src/slack/jobs/upload';
import { rejectionOf } from '../helpers/errors';

const started: SlackStandIn[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((slack) => slack.stop()));
});

async function setUp(scopes = BOT_SCOPES) {
  const slack = await startSlackStandIn({ scopes });
  started.push(slack);
  return {
    slack,
    client: new WebClient(slack.token, {
      slackApiUrl: slack.apiUrl,
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 0 },
    }),
  };
}

const FILE = { filename: 'audit.csv', content: 'time,actor\r\n' };
const FAST = { attempts: 3, delayMs: 10 };

describe('uploadToDm', () => {
  it('puts the file into the DM, on a later attempt when Slack fails at first', async () => {
    const { slack, client } = await setUp();
    slack.failNext('files.getUploadURLExternal', { status: 503 });
    slack.failNext('files.completeUploadExternal', { error: 'internal_error' });
    await uploadToDm(client, 'U0ADMIN', FILE, FAST);
    const [file] = slack.messages('DU0ADMIN').flatMap((message) => message.files);
    expect(slack.file(file.id)?.bytes?.toString()).toBe(FILE.content);
    expect(slack.callsTo('files.getUploadURLExternal')).toHaveLength(3);
  });

  it('uploads bytes as they are, with a comment, and says where they went', async () => {
    const { slack, client } = await setUp();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    const delivered = await uploadToDm(
      client,
      'U0ADMIN',
      { filename: 'chart.png', content: png, comment: 'Attempts per hour' },
      FAST,
    );
    const [message] = slack.messages('DU0ADMIN');
    expect(delivered).toEqual({ channel: 'DU0ADMIN', fileIds: [message.files![0].id] });
    expect(message.text).toBe('Attempts per hour');
    expect(slack.file(delivered.fileIds[0])?.bytes).toEqual(png);
  });

  it('gives up at once, naming the scope, when the app may not upload', async () => {
    const { slack, client } = await setUp(BOT_SCOPES.filter((scope) => scope !== 'files:write'));
    const error = await rejectionOf(uploadToDm(client, 'U0ADMIN', FILE, FAST));
    expect(error.message).toBe(
      "Slack did not accept audit.csv (the app lacks the files:write scope); nothing was lost. Add files:write to the app's bot scopes (manifest.yml) and reinstall it.",
    );
    expect(slack.callsTo('files.getUploadURLExternal')).toHaveLength(1);
  });
});
