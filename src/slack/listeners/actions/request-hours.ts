import type { Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';

/** Picking a duration on an access request changes nothing yet: Approve reads the pick from the message's state. */
export const requestHours: Middleware<SlackActionMiddlewareArgs> = async ({ ack }) => {
  await ack();
};
