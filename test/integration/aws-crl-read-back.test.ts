import {
  EC2Client,
  ExportClientVpnClientCertificateRevocationListCommand,
  ImportClientVpnClientCertificateRevocationListCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClientVpnEndpoint } from '../../src/adapters/aws-client-vpn/endpoint';
import { storesFor } from '../../src/adapters/dynamodb/stores';
import { CrlPublisher } from '../../src/services/publish-crl';
import { systemClock } from '../../src/ports';
import { testCa } from '../helpers/ca';
import { DYNAMODB_ENDPOINT, testDatabase } from '../helpers/dynamodb';
import { describeWith } from '../helpers/tools';

/**
 * The publisher against the real AWS Client VPN adapter. EC2's Client VPN API has no emulator (moto raises
 * NotImplementedError), so aws-sdk-client-mock plays it: what it cannot prove is how long AWS really stays
 * `pending`, only that we wait for `active` and the imported number, and never import twice because of it.
 */
describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined },
  'after importing a CRL into AWS Client VPN',
  () => {
    const ec2 = mockClient(EC2Client);
    let db: Awaited<ReturnType<typeof testDatabase>>;
    beforeEach(async () => {
      ec2.reset();
      db = await testDatabase();
    });
    afterEach(() => db.drop());
    afterAll(() => ec2.restore());

    /** Export answers: nothing before the import, then `after` in turn (the last one repeating). */
    function endpointServing(
      after: (imported: string) => { CertificateRevocationList?: string; Status: { Code: 'pending' | 'active' } }[],
    ) {
      let imported: string | undefined;
      let reads = 0;
      ec2
        .on(ImportClientVpnClientCertificateRevocationListCommand)
        .callsFake((input: { CertificateRevocationList: string }) => {
          imported = input.CertificateRevocationList;
          return { Return: true };
        });
      ec2.on(ExportClientVpnClientCertificateRevocationListCommand).callsFake(() => {
        if (imported === undefined) return { Status: { Code: 'active' } };
        const answers = after(imported);
        return answers[Math.min(reads++, answers.length - 1)];
      });
      return new AwsClientVpnEndpoint({
        id: 'cvpn-endpoint-0123456789abcdef0',
        region: 'eu-west-1',
        client: new EC2Client({ region: 'eu-west-1' }),
        retry: { sleep: async () => undefined },
      });
    }

    async function publisher(pauses: number[]) {
      const stores = storesFor(db);
      return {
        stores,
        publisher: new CrlPublisher({
          ...stores,
          ca: await testCa(),
          clock: systemClock,
          crlDays: 30,
          coalesceMs: 0,
          readBackDelaysMs: pauses,
        }),
      };
    }

    it('waits while the endpoint still serves the old CRL or calls the new one pending, and imports once', async () => {
      const endpoint = endpointServing((imported) => [
        { Status: { Code: 'pending' } },
        { CertificateRevocationList: imported, Status: { Code: 'pending' } },
        { CertificateRevocationList: imported, Status: { Code: 'active' } },
      ]);
      const { publisher: crl, stores } = await publisher([1, 1, 1, 1]);
      expect(await crl.publish(endpoint, 'U0ADMIN')).toMatchObject({ outcome: 'published', crlNumber: 1n });
      expect(ec2.commandCalls(ImportClientVpnClientCertificateRevocationListCommand)).toHaveLength(1);
      // One read before the import (the live CRL), three after it: pending without it, pending with it, active.
      expect(ec2.commandCalls(ExportClientVpnClientCertificateRevocationListCommand)).toHaveLength(4);
      expect((await stores.audit.query({})).map((entry) => [entry.action, entry.outcome])).toEqual([
        ['crl.publish', 'success'],
      ]);
    });

    it('never imports again because the read-back stayed stale: it says so and leaves it to the drift check', async () => {
      const endpoint = endpointServing(() => [{ Status: { Code: 'pending' } }]);
      const { publisher: crl, stores } = await publisher([1, 1]);
      expect(await crl.publish(endpoint, 'U0ADMIN')).toMatchObject({ outcome: 'published', crlNumber: 1n });
      // A bounded wait: one read before the import, then one per pause and a last one.
      expect(ec2.commandCalls(ExportClientVpnClientCertificateRevocationListCommand)).toHaveLength(4);
      const [entry] = await stores.audit.query({});
      expect(entry).toMatchObject({
        action: 'crl.publish',
        outcome: 'partial',
        details: { readBack: expect.stringContaining('still served CRL #none (pending)') },
      });
      // Nothing is left outstanding, so the next publish request (a revoke, the daily job) is the only reason to import again.
      const record = await stores.crlState.getEndpoint('aws-client-vpn:cvpn-endpoint-0123456789abcdef0');
      expect(record && record.served).toBe(record?.requested);
      expect(ec2.commandCalls(ImportClientVpnClientCertificateRevocationListCommand)).toHaveLength(1);
    });
  },
);
