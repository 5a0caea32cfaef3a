import { randomUUID } from 'node:crypto';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import type { Approval } from '../../src/domain/approval';
import { encodeCn } from '../../src/domain/cn';
import type { ApprovalStore, CertificateStore } from '../../src/ports';
import { DEFAULT_POLICY, DecideDeps, decideConnection } from '../../src/services/decide-connection';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';

const DAY_MS = 86_400_000;

/**
 * A pause or revocation that lands while a 👍 is being turned into an allow: neither the deadline's
 * fallback nor the remembered approval may let the paused certificate's holder in. The races are staged
 * through the stores (DynamoDB Local), one step at a time, instead of hoping for the timing.
 */
describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'login approval races with a pause',
  () => {
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let ids = 0;

    beforeAll(async () => {
      db = await testDatabase();
    });
    afterAll(async () => {
      await db?.drop();
    });

    async function enrol(slackId: string): Promise<{ cn: string; serial: string }> {
      const serial = randomUUID().replace(/-/g, '').toUpperCase();
      const cn = encodeCn({ displayName: 'Pat', slackId, domain: 'vpn.test', device: 'laptop', tag: 'abcde' });
      const now = new Date();
      await storesFor(db).certificates.create({
        serial,
        cn,
        slackId,
        device: 'laptop',
        status: 'active',
        issuedAt: now,
        notBefore: now,
        notAfter: new Date(now.getTime() + DAY_MS),
        source: 'issued',
        issuedBy: 'test',
      });
      return { cn, serial };
    }

    /** Every prompt is answered 👍 by its owner at once. */
    function depsFor(overrides: Partial<DecideDeps> = {}): DecideDeps {
      const stores = storesFor(db);
      return {
        ...stores,
        clock: { now: () => new Date() },
        policy: { ...DEFAULT_POLICY, certDomain: 'vpn.test', promptLimit: 100, timeoutMs: 1_500, closingMs: 1_000 },
        notifier: {
          prompt: async (approval: Approval) => {
            setTimeout(() => void stores.approvals.decide(approval.id, 'APPROVED', approval.slackId, new Date()), 20);
            return { channel: `D${approval.slackId}`, ts: `1700000000.${String(++ids).padStart(6, '0')}` };
          },
          settle: async () => undefined,
          alertAdmins: async () => undefined,
        },
        ...overrides,
      };
    }

    const request = (cn: string) => ({
      connectionId: `c${++ids}`,
      endpointId: 'e1',
      commonName: cn,
      publicIp: '203.0.113.20',
      platform: 'mac',
      platformVersion: '14',
      clientVersion: '2.6.14',
    });

    it('the deadline fallback refuses a 👍 whose certificate was paused meanwhile', async () => {
      const pat = await enrol('U0PAT1');
      const stores = storesFor(db);
      // The decision's own reads of the approval hang (a stalled database), so the deadline's fallback decides;
      // by then the owner has said 👍 to this login, and "Not me" to another, which paused the certificate.
      const hanging = Object.create(stores.approvals, {
        get: { value: () => new Promise<never>(() => undefined) },
      }) as ApprovalStore;
      const deps = depsFor({
        policy: {
          ...DEFAULT_POLICY,
          certDomain: 'vpn.test',
          promptLimit: 100,
          rememberHours: 0,
          timeoutMs: 1_500,
          closingMs: 1_000,
        },
      });
      deps.within = () => ({ ...storesFor(db), approvals: hanging, notifier: deps.notifier });
      const pausedMeanwhile = new Promise<void>((resolve) =>
        setTimeout(() => void stores.certificates.setSuspended(pat.serial, true).then(() => resolve()), 300),
      );
      const decision = await decideConnection(deps, request(pat.cn));
      await pausedMeanwhile;
      expect(decision).toMatchObject({ allow: false, reason: 'revoked' });
    });

    it('a pause that lands while the approval is being remembered ends what is remembered', async () => {
      const pat = await enrol('U0PAT2');
      const stores = storesFor(db);
      let reads = 0;
      // The second read of the certificate is the check after the 👍: the pause lands right after it.
      const pausing = Object.create(stores.certificates, {
        byActiveCn: {
          value: async (cn: string) => {
            const record = await stores.certificates.byActiveCn(cn);
            if (++reads === 2 && record) await stores.certificates.setSuspended(record.serial, true);
            return record;
          },
        },
      }) as CertificateStore;
      expect(await decideConnection(depsFor({ certificates: pausing }), request(pat.cn))).toMatchObject({
        allow: true,
        reason: 'approved',
      });
      // An admin re-enables the certificate: the IP remembered from before the pause asks again.
      await stores.certificates.setSuspended(pat.serial, false);
      expect(await decideConnection(depsFor(), request(pat.cn))).toMatchObject({ allow: true, reason: 'approved' });
    });
  },
);
