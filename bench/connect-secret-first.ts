import { loadLambdaConfig } from '../src/adapters/aws-lambda/config';
import { createConnectHandler } from '../src/composition/connect-handler';

/** The baseline for bench/lambda-init.ts: the connect function as before #18, reading the Slack secret on its first login. */
export const handler = createConnectHandler(() => loadLambdaConfig());
