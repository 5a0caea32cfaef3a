import type { WebClient } from '@slack/web-api';
import type { AccessRequestDeps } from '../services/access-requests';
import type { MessageView } from './views/types';

/** Who may issue, grants and access requests, as the listeners and the worker both use them. */
export interface SlackAccess extends AccessRequestDeps {
  /** ADMIN_CHANNEL_ID: where requests are posted (loadConfig requires it under ISSUE_POLICY=request). */
  adminChannel?: string;
  client: WebClient;
}

/** A message in the app's DM with `userId` (posting to a member id lands there). */
export async function tell(access: Pick<SlackAccess, 'client'>, userId: string, message: MessageView): Promise<void> {
  await access.client.chat.postMessage({ channel: userId, ...message });
}
