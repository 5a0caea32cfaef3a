import type { VpnSession } from '../../src/ports';
import { sweepSessions } from '../../src/services/sessions';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';
import { serviceWorld } from '../helpers/world';

/**
 * The daily sweep finds sessions by CN, as Client VPN lists them. The sessions come from the endpoint
 * stand-in (InstrumentedEndpoint's hook): what is proven here is which CNs the sweep picks from DynamoDB
 * Local, not how an endpoint ends a session (test/e2e/revoke-openvpn.test.ts does that on a real server).
 */
describeWith({ 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined }, 'session sweep after a re-issue', () => {
  let sessions: VpnSession[] = [];
  let world: Awaited<ReturnType<typeof serviceWorld>>;

  beforeAll(async () => {
    world = await serviceWorld({ hooks: { sessions: () => sessions } });
  });
  afterAll(() => world?.close());

  it("ends the revoked certificate's session and keeps its successor's, for the same member and device", async () => {
    const first = await world.admin.issue({
      slackId: 'U0SWEEP',
      displayName: 'Sam Sweep',
      device: 'laptop',
      actor: 'U0ADMIN',
    });
    await world.certificates.markRevoked(first.record.serial, {
      revokedAt: new Date(),
      reason: 'keyCompromise',
      actor: 'U0ADMIN',
    });
    const second = await world.admin.issue({
      slackId: 'U0SWEEP',
      displayName: 'Sam Sweep',
      device: 'laptop',
      actor: 'U0ADMIN',
    });

    // A revoked session that survived its revocation (say, a failed termination), next to the new one.
    sessions = [
      { connectionId: 'stolen', commonName: first.record.cn },
      { connectionId: 'owner', commonName: second.record.cn },
    ];
    const step = await sweepSessions(world.endpoint, {
      certificates: world.certificates,
      audit: world.audit,
      clock: { now: () => new Date() },
      actor: 'system:daily',
    });
    expect(step).toEqual({ endpoint: world.endpoint.key, terminated: 1 });
    expect(world.endpoint.terminated).toEqual(['stolen']);
    expect(second.record.cn).not.toBe(first.record.cn);
  });
});
