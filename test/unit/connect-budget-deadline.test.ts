import type { Database } from '../../src/adapters/dynamodb/client';
import { decideDeps } from '../../src/composition/connect-handler';
import { loadConfig } from '../../src/config';
import type { Approval } from '../../src/domain/approval';
import { Deadline } from '../../src/domain/deadline';

describe('connect handler: the Slack budget within a login', () => {
  it("bounds the login's budget calls by its deadline, like its other calls", async () => {
    const sent: { command: string; key?: unknown; signal?: AbortSignal }[] = [];
    const doc = {
      send: async (command: { constructor: { name: string }; input?: { Key?: unknown } }, options?: object) => {
        sent.push({
          command: command.constructor.name,
          key: command.input?.Key,
          signal: (options as { abortSignal?: AbortSignal } | undefined)?.abortSignal,
        });
        return { Attributes: {} };
      },
    };
    const db = { doc, tableName: 'vpn-test', where: 'table vpn-test' } as unknown as Database;
    // Nothing answers Slack here: the budget's call comes before the post, which then fails.
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      TABLE_NAME: 'vpn-test',
    });
    const deadline = new Deadline(new Date(Date.now() + 15_000));
    const approval = {
      id: 'a1',
      status: 'PENDING',
      slackId: 'U0BOUND',
      request: { connectionId: 'c1', endpointId: 'e1', commonName: 'bound', publicIp: '203.0.113.7' },
      requestedAt: new Date(),
      deadline: deadline.at,
    } as Approval;
    const bounded = decideDeps(config, db, async () => config).within?.(deadline);
    await bounded?.notifier.prompt(approval).catch(() => undefined);
    const budget = sent.filter((call) => JSON.stringify(call.key).includes('SLACKBUDGET#'));
    expect(budget).toHaveLength(1);
    expect(budget[0].signal).toBeInstanceOf(AbortSignal);
  });
});
