import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../src/adapters/dynamodb/client';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { eventually } from '../helpers/eventually';
import { describeWith } from '../helpers/tools';

type Line = { level?: string; message?: string; code?: string; error?: string };

/** Every structured line the bot writes, whichever console method it used. */
function captureLogs() {
  const lines: Line[] = [];
  const record = (...args: unknown[]) => {
    try {
      lines.push(JSON.parse(String(args[0])) as Line);
    } catch {
      lines.push({ message: String(args[0]) });
    }
  };
  for (const method of ['error', 'warn', 'info', 'log'] as const)
    jest.spyOn(console, method).mockImplementation(record);
  return lines;
}

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  "log levels: a person's mistake is not a fault",
  () => {
    let bot: TestBot;
    afterEach(async () => {
      jest.restoreAllMocks();
      await bot?.close();
    });

    it('a second /vpn issue for one device is logged as a warning with its code, no error line, and tells the person "You already have…"', async () => {
      bot = await testBot();
      await bot.command('U0ALICE', 'issue laptop');
      await bot.idle();
      await eventually(() => bot.lastResponse('U0ALICE')?.text?.includes('is in your DM'), 'the first profile');

      const lines = captureLogs();
      expect((await bot.command('U0ALICE', 'issue laptop')).statusCode).toBe(200);
      await bot.idle();
      const told = await eventually(() => {
        const text = JSON.stringify(bot.lastResponse('U0ALICE'));
        return text.includes('already') ? text : undefined;
      }, 'the refusal');
      expect(told).toContain('You already have an active certificate for device \\"laptop\\"');
      expect(told).not.toContain('U0ALICE');
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'warn', message: 'job issue failed', code: 'CONFLICT' }),
      );
      expect(lines.filter((line) => line.level === 'error')).toEqual([]);
    });

    it('DynamoDB gone while issuing is still logged as an error, with its code', async () => {
      bot = await testBot();
      await bot.command('U0BOB', 'help');
      await bot.idle();
      const lines = captureLogs();
      await bot.db.doc.send(new DeleteTableCommand({ TableName: bot.db.tableName }));
      try {
        await bot.command('U0BOB', 'issue laptop');
        await bot.idle();
        await eventually(() => lines.find((line) => line.level === 'error'), 'an error line');
        expect(lines).toContainEqual(expect.objectContaining({ level: 'error', code: 'STORE_UNAVAILABLE' }));
        expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
      } finally {
        // close() drops the table: give it one to drop.
        await ensureTable(bot.db);
      }
    });
  },
);
