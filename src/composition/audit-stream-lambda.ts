import { auditStreamHandler } from '../adapters/aws-lambda/audit-stream';
import { EventBridgeBus } from '../adapters/eventbridge/event-bus';
import { VpnChatopsError } from '../domain/errors';

/** The audit stream function: needs only its bus and region, neither the Slack secret nor the CA. */
export function createAuditStreamHandler(env: NodeJS.ProcessEnv = process.env) {
  return auditStreamHandler(async () => {
    const busName = env.EVENT_BUS_NAME;
    const region = env.AWS_REGION;
    if (!busName || !region)
      throw new VpnChatopsError('INVALID_CONFIG', 'EVENT_BUS_NAME and AWS_REGION must be set for the audit stream.');
    return { bus: new EventBridgeBus({ region }), busName };
  });
}
