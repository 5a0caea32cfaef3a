import { slackRequestKeys } from '../../src/slack/lambda';
import type { VerifiedEvent } from '../../src/slack/verify-request';

const request = (
  body: string,
  headers: Record<string, unknown> = { 'X-Slack-Request-Timestamp': '1764880000' },
): VerifiedEvent => ({ body, headers, isBase64Encoded: false });
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('the log keys of a Slack request: what ties its lines to what Slack sent', () => {
  it("an Events API delivery: its event id and type, and the request timestamp whatever the header's case", () => {
    const body = JSON.stringify({
      type: 'event_callback',
      event_id: 'Ev0AB12CD34',
      event: { type: 'reaction_added', user: 'U0ALICE' },
    });
    expect(slackRequestKeys(request(body, { 'x-slack-request-timestamp': '1764880001' }))).toEqual({
      slack_request_timestamp: '1764880001',
      slack_type: 'reaction_added',
      slack_event_id: 'Ev0AB12CD34',
    });
  });

  it('a click: its type, trigger and action ids, and the modal it came from', () => {
    const payload = {
      type: 'block_actions',
      trigger_id: '123.456.abc',
      actions: [{ action_id: 'approval_approve', value: 'a-1' }],
      view: { callback_id: 'home' },
    };
    expect(slackRequestKeys(request(form({ payload: JSON.stringify(payload) })))).toEqual({
      slack_request_timestamp: '1764880000',
      slack_type: 'block_actions',
      slack_trigger_id: '123.456.abc',
      slack_action_id: 'approval_approve',
      slack_callback_id: 'home',
    });
  });

  it('a slash command: its trigger id', () => {
    expect(slackRequestKeys(request(form({ command: '/vpn', text: 'status', trigger_id: '789.012.def' })))).toEqual({
      slack_request_timestamp: '1764880000',
      slack_type: 'command',
      slack_trigger_id: '789.012.def',
    });
  });

  it('anything else: the timestamp alone, never a throw', () => {
    expect(slackRequestKeys(request('ssl_check=1&token=x'))).toEqual({ slack_request_timestamp: '1764880000' });
    expect(slackRequestKeys(request('{"type":"url_verification","challenge":"x"}', {}))).toEqual({
      slack_request_timestamp: undefined,
      slack_type: 'url_verification',
      slack_event_id: undefined,
    });
  });
});
