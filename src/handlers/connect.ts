import { loadLambdaConfig } from '../adapters/aws-lambda/config';
import { createConnectHandler } from '../composition/connect-handler';
import { loadConfig } from '../config';

/**
 * Client VPN → here (function name AWSClientVPN-…): allow or deny one new connection; the Slack secret only to prompt.
 */
export const handler = createConnectHandler(
  () => loadConfig(),
  () => loadLambdaConfig(),
);
