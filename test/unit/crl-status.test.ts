import type { CrlStateStore, VpnEndpoint } from '../../src/ports';
import { crlStatus } from '../../src/services/crl-status';
import { endpointChecks } from '../../src/services/doctor-endpoint';
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

describe('doctor on an endpoint whose first CRL is not applied yet', () => {
  it('warns that it is pending rather than failing as if there were none', async () => {
    const deps = {
      ca: await testCa(),
      crlState: { getEndpoint: async () => undefined } as unknown as CrlStateStore,
      clock: { now: () => new Date('2026-12-04T12:00:00Z') },
    } as unknown as Parameters<typeof endpointChecks>[0];
    const endpoint = (status?: string) =>
      ({
        key: 'openvpn:office',
        kind: 'openvpn',
        exportCrl: async () => ({ status }),
        health: async () => ({ ok: true, detail: 'answers' }),
      }) as unknown as VpnEndpoint;
    const crlCheck = async (status?: string) =>
      (await endpointChecks(deps, endpoint(status))).find((check) => check.name === 'openvpn:office: CRL');

    expect(await crlCheck('pending')).toMatchObject({ status: 'warn', detail: expect.stringContaining('pending') });
    expect(await crlCheck()).toMatchObject({ status: 'fail', detail: 'the endpoint has no CRL' });
  });
});
