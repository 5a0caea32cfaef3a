import { createAuditStreamHandler } from '../composition/audit-stream-lambda';

/** DynamoDB Streams (new audit entries) → here → EventBridge. */
export const handler = createAuditStreamHandler();
