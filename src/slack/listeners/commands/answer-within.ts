import type { RespondArguments } from '@slack/bolt';
import { progressMessage } from '../../views/progress';
import type { MessageView } from '../../views/types';

export type Ack = (response: RespondArguments) => Promise<void>;
export const ephemeral = (message: MessageView): RespondArguments => ({ response_type: 'ephemeral', ...message });

/**
 * Slack shows "operation_timeout" and drops a command the app has not acknowledged within 3 seconds. A
 * command still waiting on the database by this time is acknowledged with a holding message; its answer
 * then replaces that message through response_url.
 */
export const ACK_BUDGET_MS = 2_000;

/**
 * The command's one answer: the ack when it comes in time, otherwise a holding ack at `budgetMs` and the
 * answer later through `respond`. `finish()` stops the clock once the handler is done.
 */
export function answerWithin(
  budgetMs: number,
  ack: Ack,
  respond: Ack,
  late: () => void,
): { answer: Ack; finish(): void } {
  let acked: Promise<void> | undefined;
  const timer = setTimeout(() => {
    acked = ack(
      ephemeral(
        progressMessage(
          "⏳ This is taking longer than usual (the VPN bot's database is slow to answer); the answer replaces this message.",
        ),
      ),
    );
    late();
  }, budgetMs);
  return {
    answer: async (response) => {
      if (acked === undefined) {
        clearTimeout(timer);
        acked = ack(response);
        return acked;
      }
      await acked;
      await respond({ ...response, replace_original: true });
    },
    finish: () => clearTimeout(timer),
  };
}
