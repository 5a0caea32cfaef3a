import { readFileSync } from 'node:fs';
import { LocalCaStore } from '../../src/adapters/local-files/ca-store';
import { createAdmin } from '../../src/composition/worker';
import { loadConfig } from '../../src/config';
import { caMaterial } from '../../src/pki/ca';
import { parseCrl } from '../../src/pki/crl';
import type { VpnAdmin } from '../../src/services/vpn-admin';
import { TestBot, testBot } from '../helpers/bot';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { CONNECTED, ManagedTestVpn, RunningOpenVpn, prepareTestVpn } from '../helpers/openvpn';
import { eventCallback } from '../helpers/slack';
import { HAS_TUN, OPENVPN, describeWith, tempDir } from '../helpers/tools';

const ADMIN_CHANNEL = 'C0VPNADMINS';

describeWith(
  {
    openvpn: OPENVPN !== undefined,
    '/dev/net/tun': HAS_TUN,
    'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined,
  },
  'offboarding on a real OpenVPN server: a deactivation event ends the session and refuses the next login',
  () => {
    let vpn: ManagedTestVpn;
    let bot: TestBot;
    let admin: VpnAdmin;
    let server: RunningOpenVpn;
    const stateDir = tempDir('e2e-offboard-state');

    beforeAll(async () => {
      vpn = await prepareTestVpn({ prefix: 'e2e-offboard', management: true, initialCrl: false });
      // The bot signs with the server's CA, so the profiles it issues connect.
      await new LocalCaStore(stateDir.path).save(caMaterial(vpn.ca));
      bot = await testBot({
        env: {
          ADMIN_CHANNEL_ID: ADMIN_CHANNEL,
          STATE_DIR: stateDir.path,
          VPN_ENDPOINTS: JSON.stringify([
            {
              type: 'openvpn',
              name: 'e2e',
              management: vpn.management,
              crlFile: vpn.files.crl,
              remote: vpn.remote,
              tlsCryptKeyFile: vpn.files.tlsCrypt,
            },
          ]),
        },
      });
      ({ admin } = await createAdmin(loadConfig(bot.env), bot.db));
      expect((await admin.publishAll('U0ADMIN'))[0].outcome).toBe('published');
      server = await vpn.start();
    });
    afterAll(async () => {
      await vpn?.stop();
      await bot?.close();
      stateDir.remove();
    });

    it("halts the deactivated member's live session, leaves the others connected, and the CRL refuses their next login", async () => {
      const alice = await admin.issue({
        slackId: 'U0ALICE',
        displayName: 'Alice Leaver',
        device: 'laptop',
        actor: 'U0ALICE',
      });
      const bob = await admin.issue({ slackId: 'U0BOB', displayName: 'Bob Stays', device: 'laptop', actor: 'U0BOB' });
      const aliceProfile = vpn.file('alice.ovpn', alice.profile);
      const aliceClient = vpn.startClient(aliceProfile);
      const bobClient = vpn.startClient(vpn.file('bob.ovpn', bob.profile));
      await Promise.all([aliceClient.waitFor(CONNECTED), bobClient.waitFor(CONNECTED)]);

      const event = bot.slack.changeAccount('U0ALICE', { deleted: true });
      const response = await bot.call(eventCallback(event, 'Ev0E2EOFFBOARD'));
      expect(response.statusCode).toBe(200);

      // (b) the live session ends: the server pushes HALT, so the client exits instead of reconnecting.
      await aliceClient.waitFor(/server-pushed-halt\] received, process exiting/);
      await bot.idle();
      expect(bobClient.log()).not.toMatch(/process exiting/);
      // (a) the database gate, as system:offboarding.
      expect(await bot.stores.certificates.get(alice.record.serial)).toMatchObject({
        status: 'revoked',
        revokedBy: 'system:offboarding',
      });
      // (c) the CRL on disk lists the serial, and the server refuses the next login.
      expect(parseCrl(readFileSync(vpn.files.crl, 'utf8')).revocations.map((r) => r.serial)).toContain(
        alice.record.serial,
      );
      const before = server.log().length;
      const retry = vpn.startClient(aliceProfile);
      await server.waitFor(
        new RegExp(`VERIFY ERROR: depth=0, error=certificate revoked.*CN=${alice.record.cn.replace(/\./g, '\\.')}`),
        { since: before },
      );
      expect(retry.log()).not.toMatch(CONNECTED);
      // The admin channel has the three-way report, every step done.
      const told = bot.slack.messages(ADMIN_CHANNEL).map((m) => m.text);
      expect(told).toEqual([
        expect.stringMatching(/<@U0ALICE> was deactivated in Slack.*Revoked 1 certificate; 1 session ended; CRL/),
      ]);
      expect(await bot.stores.audit.query({ target: 'U0ALICE' })).toContainEqual(
        expect.objectContaining({ actor: 'system:offboarding', action: 'access.offboard', outcome: 'success' }),
      );
    }, 90_000);
  },
);
