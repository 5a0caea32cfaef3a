import { ACMClient, ACMServiceException, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import {
  DescribeClientVpnEndpointsCommand,
  EC2Client,
  EC2ServiceException,
  type ClientVpnEndpoint,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClientVpnEndpoint } from '../../src/adapters/aws-client-vpn/endpoint';
import { rejectionOf } from '../helpers/errors';

const ID = 'cvpn-endpoint-0123456789abcdef0';
const REGION = 'eu-west-1';
const SERVER_ARN = `arn:aws:acm:${REGION}:123456789012:certificate/11111111-2222-3333-4444-555555555555`;
const HANDLER_ARN = `arn:aws:lambda:${REGION}:123456789012:function:AWSClientVPN-vpn-chatops-connect`;

const ec2 = mockClient(EC2Client);
const acm = mockClient(ACMClient);

const endpoint = () =>
  new AwsClientVpnEndpoint({
    id: ID,
    region: REGION,
    client: new EC2Client({ region: REGION }),
    acm: new ACMClient({ region: REGION }),
    retry: { sleep: async () => undefined },
  });

function describes(extra: Partial<ClientVpnEndpoint>): void {
  ec2.on(DescribeClientVpnEndpointsCommand, { ClientVpnEndpointIds: [ID] }).resolves({
    ClientVpnEndpoints: [
      { ClientVpnEndpointId: ID, Status: { Code: 'available' }, ServerCertificateArn: SERVER_ARN, ...extra },
    ],
  });
}

const denied = (Service: typeof EC2ServiceException | typeof ACMServiceException, name: string) =>
  new Service({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
    message: 'User is not authorized to perform this action',
  });

beforeEach(() => {
  ec2.reset();
  acm.reset();
});

/**
 * EC2 Client VPN has no emulator (moto raises NotImplementedError), so aws-sdk-client-mock plays it; ACM's
 * DescribeCertificate also runs against moto_server in test/integration/aws-adapters-moto.test.ts.
 */
describe('AwsClientVpnEndpoint inspection (for doctor)', () => {
  it('reads the server certificate expiry from ACM, by the ARN the endpoint names', async () => {
    describes({});
    const notAfter = new Date('2027-03-01T12:00:00Z');
    acm.on(DescribeCertificateCommand, { CertificateArn: SERVER_ARN }).resolves({
      Certificate: {
        CertificateArn: SERVER_ARN,
        Subject: 'CN=vpn.example.com',
        NotAfter: notAfter,
        Status: 'ISSUED',
      },
    });
    expect(await endpoint().serverCertificate()).toEqual({
      location: SERVER_ARN,
      subject: 'CN=vpn.example.com',
      notAfter,
      status: 'ISSUED',
    });
    expect(acm.commandCalls(DescribeCertificateCommand).map((call) => call.args[0].input)).toEqual([
      { CertificateArn: SERVER_ARN },
    ]);
  });

  it('names acm:DescribeCertificate when ACM refuses, so doctor can say which permission is missing', async () => {
    describes({});
    acm.on(DescribeCertificateCommand).rejects(denied(ACMServiceException, 'AccessDeniedException'));
    const error = await rejectionOf(endpoint().serverCertificate());
    expect(error.permission).toBe('acm:DescribeCertificate');
    expect(error.message).toBe(
      `Not allowed to call acm:DescribeCertificate on AWS Client VPN endpoint ${ID} in ${REGION}: grant acm:DescribeCertificate to the IAM role the bot runs as.`,
    );
  });

  it('says so when the certificate the endpoint names is gone from ACM', async () => {
    describes({});
    acm.on(DescribeCertificateCommand).rejects(
      new ACMServiceException({
        name: 'ResourceNotFoundException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'not found',
      }),
    );
    const error = await rejectionOf(endpoint().serverCertificate());
    expect(error.message).toBe(
      `The server certificate ${SERVER_ARN} of AWS Client VPN endpoint ${ID} in ${REGION} is not in ACM: import it again and update the endpoint.`,
    );
    expect(error.permission).toBeUndefined();
  });

  it('reports the connect handler as the endpoint describes it', async () => {
    describes({ ClientConnectOptions: { Enabled: true, LambdaFunctionArn: HANDLER_ARN, Status: { Code: 'applied' } } });
    expect(await endpoint().connectHandler()).toEqual({ enabled: true, functionArn: HANDLER_ARN, status: 'applied' });
    ec2.reset();
    describes({});
    expect(await endpoint().connectHandler()).toEqual({ enabled: false, functionArn: undefined, status: undefined });
  });

  it('names ec2:DescribeClientVpnEndpoints when describing is not allowed', async () => {
    ec2.on(DescribeClientVpnEndpointsCommand).rejects(denied(EC2ServiceException, 'UnauthorizedOperation'));
    const error = await rejectionOf(endpoint().connectHandler());
    expect(error.permission).toBe('ec2:DescribeClientVpnEndpoints');
    expect(acm.calls()).toHaveLength(0);
  });
});
