import { spawnSync } from 'node:child_process';
import { startDynamoDbLocal } from '../src/adapters/dynamodb/local-server';

/** One DynamoDB Local (in memory, loopback) for the whole run; each test file makes its own table in it. */
export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (spawnSync('java', ['-version']).status !== 0 && process.env.CI !== 'true') {
    console.warn(
      '\nDynamoDB Local needs Java 17+ (apt-get install -y openjdk-17-jre-headless): store tests are skipped.',
    );
    return;
  }
  const server = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = server.endpoint;
  (globalThis as { __dynamodb?: { stop(): Promise<void> } }).__dynamodb = server;
}
