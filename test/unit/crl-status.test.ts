import type { CrlStateStore, VpnEndpoint } from '../../src/ports';
import { crlStatus } from '../../src/services/crl-status';
import { testCa } from '../helpers/ca';

describe('crlStatus', () => {
  it('reports an AWS endpoint still importing its first CRL as pending, not as having none', async () => {
    const deps = {
      ca: await testCa(),
      crlState: { getEndpoint: async () => undefined } as unknown as CrlStateStore,
      clock: { now: () => new Date('2026-12-04T12:00:00Z') },
      renewBeforeDays: 7,
    };
    const endpoint = (status?: string) =>
      ({ key: 'aws:cvpn-endpoint-1', kind: 'aws-client-vpn', exportCrl: async () => ({ status }) }) as VpnEndpoint;

    expect(await crlStatus(deps, endpoint('pending'))).toMatchObject({
      health: 'warn',
      pending: true,
      problems: [
        'A CRL is published and AWS is still applying it: check again in a few minutes; if it stays pending, run `vpnctl crl publish`.',
      ],
    });
    expect(await crlStatus(deps, endpoint())).toMatchObject({
      health: 'fail',
      problems: ['The endpoint has no CRL: run `vpnctl crl publish`.'],
    });
  });
});
