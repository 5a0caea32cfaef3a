import { createConnectHandler } from '../adapters/aws-client-vpn/connect-handler';
import { loadLambdaConfig } from './config';

/** Client VPN → here (function name AWSClientVPN-…): allow or deny one new connection. */
export const handler = createConnectHandler(() => loadLambdaConfig());
