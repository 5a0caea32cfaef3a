import { setTimeout as sleep } from 'node:timers/promises';
import type { WebClient } from '@slack/web-api';
import { VpnChatopsError, messageOf } from '../../domain/errors';

/** Slack answers that no retry can change. */
const PERMANENT = new Set([
  'missing_scope',
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'no_permission',
  'channel_not_found',
  'user_not_found',
]);

export interface RetryPolicy {
  attempts: number;
  delayMs: number;
}

export const DEFAULT_UPLOAD_RETRY: RetryPolicy = { attempts: 3, delayMs: 1_000 };

interface Failure {
  text: string;
  /** Set when retrying cannot help: what to do instead. */
  fix?: string;
}

function why(error: unknown): Failure {
  const data = (error as { data?: { error?: string; needed?: string } }).data;
  if (data?.error === 'missing_scope') {
    const scope = data.needed ?? 'files:write';
    return {
      text: `the app lacks the ${scope} scope`,
      fix: `Add ${scope} to the app's bot scopes (manifest.yml) and reinstall it.`,
    };
  }
  if (data?.error && PERMANENT.has(data.error))
    return { text: data.error, fix: "Check the app's installation (`/vpn doctor` shows what is wrong)." };
  return { text: data?.error ?? messageOf(error) };
}

export interface DmFile {
  filename: string;
  /** Text (a profile, a CSV) or bytes (a PNG). */
  content: string | Buffer;
  title?: string;
  comment?: string;
}

export interface Delivered {
  /** The DM the file landed in, for follow-up messages. */
  channel: string;
  fileIds: string[];
}

/**
 * A file into `userId`'s DM (files.uploadV2), tried `attempts` times with growing pauses; the
 * WebClient's own retries cover single calls, this covers the three-step upload as a whole.
 * Fails with a message that says what happened and what to do.
 *
 * Profiles carry a private key, so two rules hold. Nothing here logs, and the error thrown carries
 * no `cause`: Slack's error data names the failure, never the bytes. And a retry may duplicate: if
 * Slack carried out files.completeUploadExternal but its answer was lost, the next attempt shares a
 * second copy. That is acceptable only because the target is always the owner's own DM (no channel
 * can be passed in): the copy reaches nobody new, while giving up would revoke a working certificate.
 */
export async function uploadToDm(
  client: WebClient,
  userId: string,
  file: DmFile,
  retry = DEFAULT_UPLOAD_RETRY,
): Promise<Delivered> {
  let last: Failure = { text: 'no attempt was made' };
  // files.uploadV2 reads `file` as bytes (or a path, for a string) and `content` as text.
  const body = typeof file.content === 'string' ? { content: file.content } : { file: file.content };
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    try {
      const { channel } = await client.conversations.open({ users: userId });
      if (!channel?.id) throw new Error('Slack did not open a DM channel');
      const result = await client.filesUploadV2({
        channel_id: channel.id,
        filename: file.filename,
        title: file.title ?? file.filename,
        initial_comment: file.comment,
        ...body,
      });
      const completions = (result as { files?: { files?: { id?: string }[] }[] }).files ?? [];
      return {
        channel: channel.id,
        fileIds: completions.flatMap((done) => done.files ?? []).flatMap((f) => (f.id ? [f.id] : [])),
      };
    } catch (error) {
      last = why(error);
      if (last.fix) break;
      if (attempt < retry.attempts) await sleep(retry.delayMs * attempt);
    }
  }
  const next = last.fix ?? 'Try again in a few minutes.';
  throw new VpnChatopsError(
    'SLACK_UNAVAILABLE',
    `Slack did not accept ${file.filename} (${last.text})${last.fix ? '' : ` after ${retry.attempts} attempts`}; nothing was lost. ${next}`,
  );
}
