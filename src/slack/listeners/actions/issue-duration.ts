import type { Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';

/** Choosing a duration on the Home does nothing yet: Slack sends the choice again with the Issue click. */
export const issueDuration: Middleware<SlackActionMiddlewareArgs> = async ({ ack }) => {
  await ack();
};
