import type { Approval, ApprovalStatus } from '../../domain/approval';
import { ACTION } from '../ids';
import { userText } from './markup';
import type { Block, MessageView } from './types';

const when = (date: Date) =>
  `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} at {time_secs}|${date.toISOString()}>`;

function context(approval: Approval): string {
  const { request } = approval;
  // The VPN client reports its own platform and versions: whoever holds the certificate chooses them.
  const device = [request.platform, request.platformVersion].filter(Boolean).join(' ') || 'an unknown device';
  return [
    `*Device:* ${userText(device, 100)}${request.clientVersion ? ` · client ${userText(request.clientVersion, 40)}` : ''}`,
    `*From:* ${userText(request.publicIp || 'an unknown address', 64)}`,
    `*Certificate:* ${userText(approval.cn, 128)}`,
    `*VPN:* ${userText(request.endpointId || 'unknown', 100)} · ${when(approval.requestedAt)}`,
  ].join('\n');
}

/** The DM that asks the owner. A 👍 on this exact message approves, like the button. */
export function approvalPromptMessage(approval: Approval): MessageView {
  const seconds = Math.max(1, Math.round((approval.deadline.getTime() - approval.requestedAt.getTime()) / 1000));
  const blocks: Block[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `:lock: *Is this you connecting to the VPN?*\n${context(approval)}` },
    },
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ACTION.approve,
          text: { type: 'plain_text', text: 'Approve' },
          style: 'primary',
          value: approval.id,
        },
        {
          type: 'button',
          action_id: ACTION.notMe,
          text: { type: 'plain_text', text: 'Not me' },
          style: 'danger',
          value: approval.id,
          confirm: {
            title: { type: 'plain_text', text: 'Refuse this login?' },
            text: {
              type: 'mrkdwn',
              text: 'The login is refused, your certificate is paused and VPN admins are alerted.',
            },
            confirm: { type: 'plain_text', text: 'Not me' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
      ],
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `…or react :+1: to this message. Expires in ${seconds} s; if you do nothing, the login is refused.`,
        },
      ],
    },
  ];
  return {
    text: `Is this you connecting to the VPN from ${userText(approval.request.publicIp || 'an unknown address', 64)}? Approve or react 👍 within ${seconds} s.`,
    blocks,
  };
}

const SETTLED: Record<Exclude<ApprovalStatus, 'PENDING'>, string> = {
  APPROVED: ':white_check_mark: *Approved*: you are connected.',
  DENIED: ':no_entry: *Refused ("Not me")*: the certificate is paused and VPN admins were alerted.',
  EXPIRED:
    ':hourglass: *Expired*: nobody answered in time, so the login was refused. Connect again to get a new prompt.',
};

export function approvalSettledMessage(approval: Approval, status: Exclude<ApprovalStatus, 'PENDING'>): MessageView {
  return {
    text: SETTLED[status].replace(/[*:]|_/g, '').trim(),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: SETTLED[status] } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context(approval) }] },
    ],
  };
}

/** When a 👍 could not be written: the person must not believe they approved, nor be blamed for the refusal. */
export function approvalNotRecordedMessage(): MessageView {
  const text =
    ":warning: Your :thumbsup: could not be recorded: the VPN bot's database did not answer in time. If your VPN client does not connect, that is why, not something you did: connect again and approve the new message.";
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
