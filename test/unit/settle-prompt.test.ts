import type { WebClient } from '@slack/web-api';
import type { Approval, ApprovalStatus } from '../../src/domain/approval';
import type { Job } from '../../src/ports';
import { SlackApprovalNotifier } from '../../src/slack/approval-notifier';
import { settlePrompt } from '../../src/slack/jobs/settle-prompt';

const HOUR_MS = 3_600_000;

function approval(status: ApprovalStatus, requestedAt = new Date()): Approval {
  return {
    id: 'a1',
    status,
    slackId: 'U0SETTLE',
    cn: 'settle.laptop-U0SETTLE.vpn.test',
    serial: 'AB12',
    request: { connectionId: 'c1', endpointId: 'e1', commonName: 'settle' },
    requestedAt,
    deadline: new Date(requestedAt.getTime() + 25_000),
    channel: 'D0SETTLE',
    ts: '1.000001',
  } as Approval;
}

/** The worker's notifier with a Slack client that records chat.update, and a budget with or without room. */
function worker(room: boolean) {
  const updates: unknown[] = [];
  const client = { chat: { update: async (args: unknown) => void updates.push(args) } } as unknown as WebClient;
  const prompts = new SlackApprovalNotifier(client, { send: async () => undefined } as never, undefined, {
    budget: { take: async () => room },
  });
  const queued: Job[] = [];
  const logged: string[] = [];
  return {
    updates,
    queued,
    logged,
    context: (stored: Approval) => ({
      approvals: { get: async () => stored } as never,
      prompts,
      jobs: { enqueue: async (job: Job) => void queued.push(job) },
      log: (message: string) => void logged.push(message),
    }),
  };
}

describe('settle-prompt job', () => {
  it('hands itself on through the queue, same payload and no id, when its window ends without room', async () => {
    const w = worker(false);
    await settlePrompt(w.context(approval('APPROVED')), {
      type: 'settle-prompt',
      approvalId: 'a1',
      status: 'APPROVED',
      id: 'job-1',
    });
    expect(w.queued).toEqual([{ type: 'settle-prompt', approvalId: 'a1', status: 'APPROVED' }]);
    expect(w.updates).toEqual([]);
  });

  it('gives up, logged, once the approval is over an hour old', async () => {
    const w = worker(false);
    const old = approval('DENIED', new Date(Date.now() - HOUR_MS - 60_000));
    await settlePrompt(w.context(old), { type: 'settle-prompt', approvalId: 'a1', status: 'DENIED' });
    expect(w.queued).toEqual([]);
    expect(w.logged).toEqual([expect.stringMatching(/gave up settling the prompt of approval a1/)]);
  });

  it("rewrites the prompt with the store's status, not the job's", async () => {
    const w = worker(true);
    await settlePrompt(w.context(approval('DENIED')), { type: 'settle-prompt', approvalId: 'a1', status: 'APPROVED' });
    expect(w.updates).toHaveLength(1);
    expect(JSON.stringify(w.updates[0])).toMatch(/Not me/i);
  });

  it('leaves a prompt the store still reads as pending alone', async () => {
    const w = worker(true);
    await settlePrompt(w.context(approval('PENDING')), { type: 'settle-prompt', approvalId: 'a1', status: 'APPROVED' });
    expect(w.updates).toEqual([]);
    expect(w.queued).toEqual([]);
  });
});
