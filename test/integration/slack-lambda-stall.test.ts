import { Response, TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { DynamoDbProxy, startDynamoDbProxy } from '../helpers/dynamodb-proxy';
import { eventually } from '../helpers/eventually';
import { eventCallback } from '../helpers/slack';
import { describeWith } from '../helpers/tools';

/**
 * Longer than Slack's 3 s and shorter than the SDK's own 10 s request timeout, so an answer inside it
 * comes from the Slack function's own bound, not from the SDK giving up.
 */
const STALL_MS = 8_000;

/**
 * Issue #13.6 on Lambda. Bolt's Lambda receiver answers Slack only once the listener has returned, so
 * a stalled DynamoDB held the answer to a slash command until the SDK gave up, long past Slack's 3 s.
 * The proxy holds every database request, as DynamoDB paused with SIGSTOP does. The stand-in cannot
 * show Slack's own "operation_timeout"; what decides it is shown instead: the answer comes while the
 * database is still stalled, and it tells the person what happened.
 */
describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the Slack function with DynamoDB stalled',
  () => {
    let proxy: DynamoDbProxy;
    let bot: TestBot;
    let events = 0;

    beforeAll(async () => {
      proxy = await startDynamoDbProxy(DYNAMODB_ENDPOINT as string);
      bot = await testBot({ env: { DYNAMODB_ENDPOINT: proxy.endpoint } });
      // A warm container, as in the outage: the stall starts after the app was built.
      expect((await bot.command('U0ALICE', 'status')).statusCode).toBe(200);
    });

    afterAll(async () => {
      proxy?.resume();
      await bot?.close();
      await proxy?.stop();
    });

    async function whileStalled(work: () => Promise<Response>): Promise<Response | 'still waiting'> {
      proxy.pause();
      try {
        return await Promise.race([
          work(),
          new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), STALL_MS)),
        ]);
      } finally {
        proxy.resume();
      }
    }

    it('answers /vpn while the database holds every request, and tells the person the database did not answer', async () => {
      const response = await whileStalled(() => bot.command('U0ALICE', 'status'));
      expect(response).not.toBe('still waiting');
      expect((response as Response).statusCode).toBe(200);
      expect(bot.ackText(response as Response)).toMatch(/database is slow to answer/);
      await eventually(
        () => /did not answer in time.*Try again in a minute/.test(bot.lastResponse('U0ALICE')?.text ?? ''),
        'the answer through response_url',
      );
    });

    // The reaction listener already stopped waiting after its own 5 s before this bound; kept so the bound never costs the DM.
    it('answers a 👍 while the database holds every request, and tells its owner it was not recorded', async () => {
      const before = bot.slack.messages('DU0ALICE').length;
      const reaction = eventCallback(
        {
          type: 'reaction_added',
          user: 'U0ALICE',
          reaction: '+1',
          item_user: 'UBOT',
          item: { type: 'message', channel: 'DU0ALICE', ts: '1700000000.000100' },
          event_ts: `${Date.now() / 1000}`,
        },
        `Ev0STALL${++events}`,
      );
      const response = await whileStalled(() => bot.call(reaction));
      expect(response).not.toBe('still waiting');
      expect((response as Response).statusCode).toBe(200);
      const told = bot.slack.messages('DU0ALICE').slice(before);
      expect(JSON.stringify(told)).toMatch(/could not be recorded/);
    });
  },
);
