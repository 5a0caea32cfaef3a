import { loadLambdaConfig } from '../adapters/aws-lambda/config';
import { createConnectHandler } from '../composition/connect-handler';

/** Client VPN → here (function name AWSClientVPN-…): allow or deny one new connection. */
export const handler = createConnectHandler(() => loadLambdaConfig());
