import {
  DescribeClientVpnConnectionsCommand,
  DescribeClientVpnEndpointsCommand,
  EC2Client,
  EC2ServiceException,
  ExportClientVpnClientCertificateRevocationListCommand,
  ExportClientVpnClientConfigurationCommand,
  ImportClientVpnClientCertificateRevocationListCommand,
  TerminateClientVpnConnectionsCommand,
  type ClientVpnConnection,
  type ClientVpnConnectionStatusCode,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClientVpnEndpoint } from '../../src/adapters/aws-client-vpn/endpoint';
import { rejectionOf } from '../helpers/errors';

const ID = 'cvpn-endpoint-0123456789abcdef0';
const REGION = 'eu-west-1';
const CRL_PEM = '-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n';

const ec2 = mockClient(EC2Client);
let delays: number[];

function endpoint(attempts?: number): AwsClientVpnEndpoint {
  return new AwsClientVpnEndpoint({
    id: ID,
    region: REGION,
    client: new EC2Client({ region: REGION }),
    retry: {
      attempts,
      sleep: async (ms) => {
        delays.push(ms);
      },
    },
  });
}

function awsError(name: string, httpStatusCode = 400, message = `${name} from AWS`): EC2ServiceException {
  return new EC2ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message,
  });
}

function connection(
  id: string,
  commonName: string,
  status: ClientVpnConnectionStatusCode,
  extra: Partial<ClientVpnConnection> = {},
): ClientVpnConnection {
  return { ClientVpnEndpointId: ID, ConnectionId: id, CommonName: commonName, Status: { Code: status }, ...extra };
}

beforeEach(() => {
  ec2.reset();
  delays = [];
});

/** EC2 Client VPN has no emulator (moto raises NotImplementedError), so aws-sdk-client-mock plays it, with exact inputs. */
describe('AwsClientVpnEndpoint', () => {
  it('is keyed by its endpoint id', () => {
    const vpn = endpoint();
    expect(vpn.key).toBe(`aws-client-vpn:${ID}`);
    expect(vpn.kind).toBe('aws-client-vpn');
  });

  it('imports the CRL as given', async () => {
    ec2.on(ImportClientVpnClientCertificateRevocationListCommand).resolves({ Return: true });
    await endpoint().importCrl(CRL_PEM);
    const calls = ec2.commandCalls(ImportClientVpnClientCertificateRevocationListCommand);
    expect(calls.map((call) => call.args[0].input)).toStrictEqual([
      { ClientVpnEndpointId: ID, CertificateRevocationList: CRL_PEM },
    ]);
  });

  it('exports the live CRL and its status', async () => {
    ec2
      .on(ExportClientVpnClientCertificateRevocationListCommand)
      .resolvesOnce({ CertificateRevocationList: CRL_PEM, Status: { Code: 'pending' } })
      .resolvesOnce({ CertificateRevocationList: '' });
    const vpn = endpoint();
    expect(await vpn.exportCrl()).toEqual({ pem: CRL_PEM, status: 'pending' });
    expect(await vpn.exportCrl()).toEqual({ pem: undefined, status: undefined });
    expect(ec2.commandCalls(ExportClientVpnClientCertificateRevocationListCommand)[0].args[0].input).toStrictEqual({
      ClientVpnEndpointId: ID,
    });
  });

  it('lists active sessions across every page, leaving out ended ones', async () => {
    ec2
      .on(DescribeClientVpnConnectionsCommand)
      .resolvesOnce({
        Connections: [
          connection('cvpn-connection-1', 'alice-U1.vpn.example.com', 'active', {
            ClientIp: '10.8.0.2',
            ConnectionEstablishedTime: '2019-08-12 07:57:14',
          }),
          connection('cvpn-connection-2', 'bob-U2.vpn.example.com', 'terminated'),
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Connections: [connection('cvpn-connection-3', 'carol-U3.vpn.example.com', 'terminating')],
        NextToken: 'page-3',
      })
      .resolvesOnce({
        Connections: [
          connection('cvpn-connection-4', 'dave-U4.vpn.example.com', 'active', { ClientIp: '10.8.0.9' }),
          connection('cvpn-connection-5', 'erin-U5.vpn.example.com', 'failed-to-terminate'),
        ],
      });

    const sessions = await endpoint().listSessions();

    expect(sessions).toEqual([
      {
        connectionId: 'cvpn-connection-1',
        commonName: 'alice-U1.vpn.example.com',
        clientIp: '10.8.0.2',
        connectedAt: new Date('2019-08-12T07:57:14Z'),
      },
      { connectionId: 'cvpn-connection-4', commonName: 'dave-U4.vpn.example.com', clientIp: '10.8.0.9' },
    ]);
    expect(ec2.commandCalls(DescribeClientVpnConnectionsCommand).map((call) => call.args[0].input)).toStrictEqual([
      { ClientVpnEndpointId: ID, MaxResults: 1000 },
      { ClientVpnEndpointId: ID, MaxResults: 1000, NextToken: 'page-2' },
      { ClientVpnEndpointId: ID, MaxResults: 1000, NextToken: 'page-3' },
    ]);
  });

  it('terminates each connection by id', async () => {
    ec2.on(TerminateClientVpnConnectionsCommand).callsFake((input) => ({
      ClientVpnEndpointId: ID,
      ConnectionStatuses: [
        {
          ConnectionId: input.ConnectionId,
          PreviousStatus: { Code: 'active' },
          CurrentStatus: { Code: 'terminating' },
        },
      ],
    }));
    expect(await endpoint().terminateSessions(['cvpn-connection-1', 'cvpn-connection-2'])).toEqual([
      'cvpn-connection-1',
      'cvpn-connection-2',
    ]);
    expect(ec2.commandCalls(TerminateClientVpnConnectionsCommand).map((call) => call.args[0].input)).toStrictEqual([
      { ClientVpnEndpointId: ID, ConnectionId: 'cvpn-connection-1' },
      { ClientVpnEndpointId: ID, ConnectionId: 'cvpn-connection-2' },
    ]);
  });

  it('keeps terminating after one connection fails, and returns only those terminated', async () => {
    ec2
      .on(TerminateClientVpnConnectionsCommand)
      .resolves({})
      .on(TerminateClientVpnConnectionsCommand, { ConnectionId: 'cvpn-connection-2' })
      .rejects(awsError('InvalidParameterValue'))
      .on(TerminateClientVpnConnectionsCommand, { ConnectionId: 'cvpn-connection-3' })
      .resolves({
        ConnectionStatuses: [{ ConnectionId: 'cvpn-connection-3', CurrentStatus: { Code: 'failed-to-terminate' } }],
      });

    const terminated = await endpoint().terminateSessions([
      'cvpn-connection-1',
      'cvpn-connection-2',
      'cvpn-connection-3',
      'cvpn-connection-4',
    ]);

    expect(terminated).toEqual(['cvpn-connection-1', 'cvpn-connection-4']);
    expect(ec2.commandCalls(TerminateClientVpnConnectionsCommand)).toHaveLength(4);
  });

  it('throws when no connection could be terminated', async () => {
    ec2.on(TerminateClientVpnConnectionsCommand).rejects(awsError('InvalidParameterValue', 400, 'bad connection id'));
    const error = await rejectionOf(endpoint().terminateSessions(['cvpn-connection-1', 'cvpn-connection-2']));
    expect(error.code).toBe('ENDPOINT');
    expect(error.message).toContain('bad connection id');
    expect(ec2.commandCalls(TerminateClientVpnConnectionsCommand)).toHaveLength(2);
  });

  it('makes no call when there is nothing to terminate', async () => {
    expect(await endpoint().terminateSessions([])).toEqual([]);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('exports the client configuration, and refuses an empty one', async () => {
    ec2
      .on(ExportClientVpnClientConfigurationCommand)
      .resolvesOnce({ ClientConfiguration: 'client\ndev tun\n' })
      .resolvesOnce({});
    const vpn = endpoint();
    expect(await vpn.clientConfiguration()).toBe('client\ndev tun\n');
    const error = await rejectionOf(vpn.clientConfiguration());
    expect(error.code).toBe('ENDPOINT');
    expect(error.message).toContain(`${ID} in ${REGION}`);
    expect(ec2.commandCalls(ExportClientVpnClientConfigurationCommand)[0].args[0].input).toStrictEqual({
      ClientVpnEndpointId: ID,
    });
  });

  describe('health', () => {
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:AWSClientVPN-connect';

    it('is ok when available, and names the connect handler', async () => {
      ec2.on(DescribeClientVpnEndpointsCommand).resolves({
        ClientVpnEndpoints: [
          {
            ClientVpnEndpointId: ID,
            Status: { Code: 'available' },
            ClientConnectOptions: { Enabled: true, LambdaFunctionArn: arn, Status: { Code: 'applied' } },
          },
        ],
      });
      expect(await endpoint().health()).toEqual({
        ok: true,
        detail: `AWS Client VPN endpoint ${ID} in ${REGION} is available; connect handler enabled: ${arn}.`,
      });
      expect(ec2.commandCalls(DescribeClientVpnEndpointsCommand)[0].args[0].input).toStrictEqual({
        ClientVpnEndpointIds: [ID],
      });
    });

    it('is not ok while pending, and says when no connect handler is set', async () => {
      ec2.on(DescribeClientVpnEndpointsCommand).resolves({
        ClientVpnEndpoints: [
          {
            ClientVpnEndpointId: ID,
            Status: { Code: 'pending-associate', Message: 'no subnet associated' },
            ClientConnectOptions: { Enabled: false },
          },
        ],
      });
      const health = await endpoint().health();
      expect(health.ok).toBe(false);
      expect(health.detail).toBe(
        `AWS Client VPN endpoint ${ID} in ${REGION} is pending-associate (no subnet associated); connect handler not enabled.`,
      );
    });

    it('says when the handler change is still being applied', async () => {
      ec2.on(DescribeClientVpnEndpointsCommand).resolves({
        ClientVpnEndpoints: [
          {
            ClientVpnEndpointId: ID,
            Status: { Code: 'available' },
            ClientConnectOptions: { Enabled: true, LambdaFunctionArn: arn, Status: { Code: 'applying' } },
          },
        ],
      });
      expect((await endpoint().health()).detail).toContain(`connect handler enabled: ${arn} (applying)`);
    });
  });

  describe('retries', () => {
    it('retries throttling with growing backoff, then succeeds', async () => {
      ec2
        .on(ImportClientVpnClientCertificateRevocationListCommand)
        .rejectsOnce(awsError('RequestLimitExceeded', 503))
        .rejectsOnce(awsError('RequestLimitExceeded', 503))
        .rejectsOnce(awsError('Throttling'))
        .resolves({ Return: true });

      await endpoint().importCrl(CRL_PEM);

      expect(ec2.commandCalls(ImportClientVpnClientCertificateRevocationListCommand)).toHaveLength(4);
      expect(delays).toHaveLength(3);
      // Equal jitter with a 200 ms base: attempt n waits in [200·2^(n-1), 200·2^n).
      delays.forEach((ms, index) => {
        expect(ms).toBeGreaterThanOrEqual(200 * 2 ** index);
        expect(ms).toBeLessThan(200 * 2 ** (index + 1));
      });
    });

    it('gives up after the configured attempts and says how often it was throttled', async () => {
      ec2
        .on(DescribeClientVpnConnectionsCommand)
        .rejects(awsError('RequestLimitExceeded', 503, 'Request limit exceeded.'));

      const error = await rejectionOf(endpoint().listSessions());

      expect(ec2.commandCalls(DescribeClientVpnConnectionsCommand)).toHaveLength(5);
      expect(delays).toHaveLength(4);
      for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]);
      expect(error.code).toBe('ENDPOINT');
      expect(error.message).toBe(
        `AWS throttled ec2:DescribeClientVpnConnections on AWS Client VPN endpoint ${ID} in ${REGION} 5 times in a row: try again in a few minutes.`,
      );
      expect(error.cause).toBeInstanceOf(EC2ServiceException);
    });

    it('honours a smaller attempt count', async () => {
      ec2.on(ExportClientVpnClientCertificateRevocationListCommand).rejects(awsError('TooManyRequestsException', 429));
      const error = await rejectionOf(endpoint(2).exportCrl());
      expect(ec2.commandCalls(ExportClientVpnClientCertificateRevocationListCommand)).toHaveLength(2);
      expect(error.message).toContain('2 times');
    });

    it('retries transient service errors and says how many attempts failed', async () => {
      ec2
        .on(DescribeClientVpnEndpointsCommand)
        .rejects(awsError('InternalError', 500, 'An internal error has occurred'));
      const error = await rejectionOf(endpoint(3).health());
      expect(ec2.commandCalls(DescribeClientVpnEndpointsCommand)).toHaveLength(3);
      expect(error.message).toBe(
        `ec2:DescribeClientVpnEndpoints failed on AWS Client VPN endpoint ${ID} in ${REGION} after 3 attempts: InternalError: An internal error has occurred`,
      );
    });

    it('retries a bare 503 whatever its name', async () => {
      ec2
        .on(ExportClientVpnClientConfigurationCommand)
        .rejectsOnce(awsError('SlowDown', 503))
        .resolves({ ClientConfiguration: 'client\n' });
      expect(await endpoint().clientConfiguration()).toBe('client\n');
      expect(delays).toHaveLength(1);
    });

    it('does not retry other errors', async () => {
      ec2
        .on(ImportClientVpnClientCertificateRevocationListCommand)
        .rejects(awsError('InvalidParameterValue', 400, 'The CRL is malformed'));
      const error = await rejectionOf(endpoint().importCrl('not a crl'));
      expect(ec2.commandCalls(ImportClientVpnClientCertificateRevocationListCommand)).toHaveLength(1);
      expect(delays).toEqual([]);
      expect(error.message).toBe(
        `ec2:ImportClientVpnClientCertificateRevocationList failed on AWS Client VPN endpoint ${ID} in ${REGION}: InvalidParameterValue: The CRL is malformed`,
      );
    });
  });

  describe('errors', () => {
    it.each(['InvalidClientVpnEndpointId.NotFound', 'InvalidClientVpnEndpointId.Malformed'])(
      '%s names the endpoint and region',
      async (name) => {
        ec2.on(DescribeClientVpnEndpointsCommand).rejects(awsError(name));
        const error = await rejectionOf(endpoint().health());
        expect(error.code).toBe('ENDPOINT');
        expect(error.message).toBe(
          `AWS Client VPN endpoint ${ID} was not found in ${REGION}: check VPN_ENDPOINTS (id and region).`,
        );
        expect(delays).toEqual([]);
      },
    );

    it('an empty describe result is also not found', async () => {
      ec2.on(DescribeClientVpnEndpointsCommand).resolves({ ClientVpnEndpoints: [] });
      await expect(endpoint().health()).rejects.toThrow(`AWS Client VPN endpoint ${ID} was not found in ${REGION}`);
    });

    it.each([
      ['UnauthorizedOperation', 'ImportClientVpnClientCertificateRevocationList'],
      ['AccessDenied', 'ImportClientVpnClientCertificateRevocationList'],
    ])('%s names the IAM action', async (name, action) => {
      ec2
        .on(ImportClientVpnClientCertificateRevocationListCommand)
        .rejects(awsError(name, 403, 'You are not authorized to perform this operation.'));
      const error = await rejectionOf(endpoint().importCrl(CRL_PEM));
      expect(error.code).toBe('ENDPOINT');
      expect(error.message).toBe(
        `Not allowed to call ec2:${action} on AWS Client VPN endpoint ${ID} in ${REGION}: grant ec2:${action} to the IAM role the bot runs as.`,
      );
    });

    it('names the action of whichever call was denied', async () => {
      ec2.on(TerminateClientVpnConnectionsCommand).rejects(awsError('UnauthorizedOperation', 403));
      await expect(endpoint().terminateSessions(['cvpn-connection-1'])).rejects.toThrow(
        'ec2:TerminateClientVpnConnections',
      );
    });

    it('wraps errors without an AWS name', async () => {
      ec2.on(ExportClientVpnClientCertificateRevocationListCommand).rejects(new Error('socket hang up'));
      const error = await rejectionOf(endpoint().exportCrl());
      expect(error.message).toBe(
        `ec2:ExportClientVpnClientCertificateRevocationList failed on AWS Client VPN endpoint ${ID} in ${REGION}: Error: socket hang up`,
      );
    });
  });
});
