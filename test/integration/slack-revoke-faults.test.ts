import { DynamoDbCertificateStore } from '../../src/adapters/dynamodb/certificate-store';
import { VpnChatopsError } from '../../src/domain/errors';
import { ACTION } from '../../src/slack/ids';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { blockAction } from '../helpers/slack';
import { describeWith } from '../helpers/tools';

describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'a revoke while Slack fails', () => {
  let bot: TestBot;
  afterEach(async () => {
    jest.restoreAllMocks();
    await bot?.close();
  });

  it('Slack refusing the progress and the report still revokes, and the report reaches the DM instead of "something went wrong"', async () => {
    bot = await testBot();
    await bot.command('U0ALICE', 'issue laptop');
    await bot.idle();
    const [certificate] = await eventually(async () => {
      const mine = await bot.stores.certificates.byUser('U0ALICE');
      return mine.length ? mine : undefined;
    }, 'the certificate');
    // The worker's lines about Slack failing are expected here; keep them out of the test output.
    jest.spyOn(console, 'error').mockImplementation(() => undefined);

    // A Revoke click on the App Home has no response_url: progress and report go to the DM, and Slack refuses both once.
    bot.slack.failNext('chat.postMessage', { error: 'fatal_error' }, 2);
    expect((await bot.call(blockAction('U0ALICE', ACTION.revokeOwn, certificate.serial))).statusCode).toBe(200);
    await bot.idle();

    expect(await bot.stores.certificates.get(certificate.serial)).toMatchObject({
      status: 'revoked',
      reason: 'keyCompromise',
    });
    const dm = bot.slack.messages('DU0ALICE').map((m) => m.text ?? '');
    expect(dm).toContainEqual(expect.stringMatching(/^Revoked 1 certificate;/));
    expect(dm.join('\n')).not.toMatch(/went wrong/i);
  });
  it('an undelivered profile whose certificate the database then refuses to revoke tells the person the truth, not "revoked again"', async () => {
    bot = await testBot();
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    bot.slack.failNext('files.completeUploadExternal', { error: 'channel_not_found' });
    jest
      .spyOn(DynamoDbCertificateStore.prototype, 'markRevoked')
      .mockRejectedValueOnce(new VpnChatopsError('STORE_UNAVAILABLE', 'DynamoDB refused the request.'));
    await bot.command('U0ALICE', 'issue laptop');
    await bot.idle();
    const [certificate] = await bot.stores.certificates.byUser('U0ALICE');
    expect(certificate.status).toBe('active');
    const told = await eventually(
      () => bot.lastResponse('U0ALICE')?.text?.match(/could not be delivered.*/)?.[0],
      'the failure message',
    );
    expect(told).toContain(
      `The certificate (serial ${certificate.serial}) could not be revoked again: ask an admin to revoke it`,
    );
    expect(told).not.toContain('was revoked again');
  });
});
