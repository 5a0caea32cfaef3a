import type { ButtonListener } from './button';

export const revokeCancel: ButtonListener = async ({ ack, respond }) => {
  await ack();
  await respond({ delete_original: true });
};
