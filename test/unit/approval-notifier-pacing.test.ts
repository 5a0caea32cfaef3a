import type { WebClient } from '@slack/web-api';
import type { Approval, ApprovalStatus } from '../../src/domain/approval';
import { SlackApprovalNotifier } from '../../src/slack/approval-notifier';

describe("approval notifier: a decided prompt's final state under the shared budget", () => {
  it('hands the rewrite to the worker when the budget cannot answer, instead of losing it', async () => {
    const updates: unknown[] = [];
    const client = { chat: { update: async (args: unknown) => void updates.push(args) } } as unknown as WebClient;
    const later: [string, ApprovalStatus][] = [];
    const notifier = new SlackApprovalNotifier(client, { send: async () => undefined } as never, undefined, {
      budget: {
        take: async () => {
          throw new Error('DynamoDB did not answer');
        },
      },
      later: async (approval, status) => void later.push([approval.id, status]),
    });
    await notifier.settle({ id: 'a1', channel: 'D0PACE', ts: '1.000001' } as Approval, 'DENIED');
    expect(later).toEqual([['a1', 'DENIED']]);
    expect(updates).toEqual([]);
  });
});
