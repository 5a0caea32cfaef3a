import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { rejectionOf } from '../helpers/errors';
import { describeWith } from '../helpers/tools';
import { serviceWorld } from '../helpers/world';

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'the revoke use case and removeFromCRL',
  () => {
    let world: Awaited<ReturnType<typeof serviceWorld>>;
    beforeAll(async () => {
      world = await serviceWorld();
    });
    afterAll(() => world.close());

    it('refuses removeFromCRL from any caller, before anything is asked for or written', async () => {
      const dave = await world.enrol('Dave Example', 'U0DAVE', 'laptop');
      const error = await rejectionOf(
        world.admin.revoke({ target: { serial: dave.serial }, reason: 'removeFromCRL', actor: 'U0ADMIN' }),
      );
      expect(error.code).toBe('INVALID_REASON');
      expect(error.message).toMatch(/^removeFromCRL is not a reason to revoke/);
      expect((await world.certificates.get(dave.serial))?.status).toBe('active');
      expect(await world.crlState.getEndpoint(world.endpoint.key)).toBeUndefined();
      expect(await world.audit.query({ target: 'U0DAVE' })).toEqual([]);

      const report = await world.admin.revoke({
        target: { serial: dave.serial },
        reason: 'keyCompromise',
        actor: 'U0ADMIN',
      });
      expect(report.revoked.map((r) => r.serial)).toEqual([dave.serial]);
    });
  },
);
