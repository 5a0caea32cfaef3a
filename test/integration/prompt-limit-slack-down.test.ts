import { randomUUID } from 'node:crypto';
import { decideDeps } from '../../src/composition/connect-handler';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { loadConfig } from '../../src/config';
import { encodeCn } from '../../src/domain/cn';
import { VpnChatopsError } from '../../src/domain/errors';
import { decideConnection } from '../../src/services/decide-connection';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  "connect handler: Slack's credentials unreadable",
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;

    beforeAll(async () => {
      db = await testDatabase();
    });
    afterAll(async () => {
      await db?.drop();
    });

    it("fails each prompted login closed with Slack's message, without using up the member's prompts", async () => {
      const config = loadConfig({ TABLE_NAME: db.tableName, CERT_DOMAIN: 'vpn.test', PROMPT_LIMIT: '3' });
      const cn = encodeCn({ displayName: 'Down', slackId: 'U0DOWN', domain: 'vpn.test', device: 'laptop' });
      const now = new Date();
      await storesFor(db).certificates.create({
        serial: randomUUID().replace(/-/g, '').toUpperCase(),
        cn,
        slackId: 'U0DOWN',
        device: 'laptop',
        status: 'active',
        issuedAt: now,
        notBefore: now,
        notAfter: new Date(now.getTime() + 86_400_000),
        source: 'issued',
        issuedBy: 'test',
      });
      // As when Secrets Manager does not answer: the Slack side is read on demand and fails every time.
      const deps = decideDeps(config, db, async () => {
        throw new VpnChatopsError('SLACK_UNAVAILABLE', 'The Slack secret could not be read.');
      });
      const messages: string[] = [];
      for (let attempt = 1; attempt <= 4; attempt++) {
        const decision = await decideConnection(deps, {
          connectionId: `c${attempt}`,
          endpointId: 'e1',
          commonName: cn,
          publicIp: '203.0.113.60',
          platform: 'mac',
          platformVersion: '14',
          clientVersion: '2.6.14',
        });
        expect(decision).toMatchObject({ allow: false, reason: 'error' });
        messages.push(decision.message);
      }
      expect(messages.every((message) => /could not send your login request to Slack/.test(message))).toBe(true);
    });
  },
);
