import { Arn, Stack } from 'aws-cdk-lib';
import {
  CfnClientVpnAuthorizationRule,
  CfnClientVpnEndpoint,
  CfnClientVpnTargetNetworkAssociation,
  CfnSecurityGroup,
} from 'aws-cdk-lib/aws-ec2';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  AwsSdkCall,
  PhysicalResourceId,
} from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import type { Settings } from './settings';

export interface VpnEndpoint {
  id: string;
  arn: string;
  /** Where the endpoint's connection log goes, for /vpn logs; unknown for an existing endpoint unless configured. */
  logGroup?: string;
  /** Its server certificate in ACM, for /vpn doctor; unknown for an existing endpoint. */
  serverCertificateArn?: string;
  /** The security group a created endpoint's traffic into the VPC comes from. */
  securityGroupId?: string;
}

const endpointArn = (scope: Construct, id: string) =>
  Arn.format({ service: 'ec2', resource: 'client-vpn-endpoint', resourceName: id }, Stack.of(scope));

/**
 * An existing endpoint (settings.endpoint): its connect handler is switched on with
 * ModifyClientVpnEndpoint at deploy time, and off again when the stack is deleted (otherwise every
 * login would be refused by a function that no longer exists). `attachConnectHandler: false` leaves the
 * endpoint alone, for a first deployment before the existing certificates are imported.
 */
function existingEndpoint(scope: Construct, settings: Settings, handlerArn: string): VpnEndpoint {
  const id = settings.endpointId!;
  const arn = settings.endpoint!.startsWith('arn:') ? settings.endpoint! : endpointArn(scope, id);
  if (settings.attachConnectHandler) {
    const modify = (enabled: boolean): AwsSdkCall => ({
      service: 'EC2',
      action: 'ModifyClientVpnEndpoint',
      parameters: {
        ClientVpnEndpointId: id,
        ClientConnectOptions: enabled ? { Enabled: true, LambdaFunctionArn: handlerArn } : { Enabled: false },
      },
      physicalResourceId: PhysicalResourceId.of(`${id}-connect-handler`),
    });
    // CDK's provider function would otherwise get the managed basic-execution policy and its "*" on logs.
    const logs = new LogGroup(scope, 'AttachConnectHandlerLogs', { retention: RetentionDays.THREE_MONTHS });
    const role = new Role(scope, 'AttachConnectHandlerRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${settings.stackName}: attaches the connect handler to ${id} at deploy time`,
      inlinePolicies: {
        logs: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logs.logGroupArn],
            }),
          ],
        }),
      },
    });
    new AwsCustomResource(scope, 'AttachConnectHandler', {
      role,
      logGroup: logs,
      onCreate: modify(true),
      onUpdate: modify(true),
      onDelete: modify(false),
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['ec2:ModifyClientVpnEndpoint'], resources: [arn] }),
      ]),
      installLatestAwsSdk: false,
    });
  }
  return { id, arn, logGroup: settings.connectionLogGroup };
}

/**
 * A new endpoint (settings.createEndpoint): mutual authentication with the CA imported into ACM,
 * the server certificate from ACM, connection logs in CloudWatch Logs, the connect handler attached,
 * one association per subnet, and access to the VPC's CIDR for every authenticated client.
 */
function newEndpoint(scope: Construct, settings: Settings, handlerArn: string): VpnEndpoint {
  const create = settings.createEndpoint!;
  const logs = new LogGroup(scope, 'ConnectionLogs', {
    logGroupName: `/vpn-chatops/${settings.stackName}/connections`,
    retention: RetentionDays.ONE_YEAR,
  });
  const securityGroup = new CfnSecurityGroup(scope, 'EndpointSecurityGroup', {
    groupDescription: `${settings.stackName}: Client VPN endpoint`,
    vpcId: create.vpcId,
    securityGroupEgress: [
      {
        ipProtocol: '-1',
        cidrIp: '0.0.0.0/0',
        description: 'VPN clients reach the VPC; authorization rules decide where',
      },
    ],
  });
  const endpoint = new CfnClientVpnEndpoint(scope, 'Endpoint', {
    description: `${settings.stackName} (vpn-chatops)`,
    clientCidrBlock: create.clientCidr,
    serverCertificateArn: create.serverCertificateArn,
    authenticationOptions: [
      {
        type: 'certificate-authentication',
        mutualAuthentication: {
          clientRootCertificateChainArn: create.clientCaCertificateArn ?? create.serverCertificateArn,
        },
      },
    ],
    connectionLogOptions: { enabled: true, cloudwatchLogGroup: logs.logGroupName },
    clientConnectOptions: settings.attachConnectHandler
      ? { enabled: true, lambdaFunctionArn: handlerArn }
      : { enabled: false },
    vpcId: create.vpcId,
    securityGroupIds: [securityGroup.attrGroupId],
    splitTunnel: create.splitTunnel,
    dnsServers: create.dnsServers,
    transportProtocol: 'udp',
    selfServicePortal: 'disabled',
  });
  create.subnetIds.forEach((subnetId, i) => {
    new CfnClientVpnTargetNetworkAssociation(scope, `Subnet${i + 1}`, { clientVpnEndpointId: endpoint.ref, subnetId });
  });
  new CfnClientVpnAuthorizationRule(scope, 'VpcAccess', {
    clientVpnEndpointId: endpoint.ref,
    targetNetworkCidr: create.vpcCidr,
    authorizeAllGroups: true,
    description: 'Every client with a valid, approved certificate',
  });
  return {
    id: endpoint.ref,
    arn: endpointArn(scope, endpoint.ref),
    logGroup: logs.logGroupName,
    serverCertificateArn: create.serverCertificateArn,
    securityGroupId: securityGroup.attrGroupId,
  };
}

/** The endpoint the bot serves; undefined for `"endpoint": "none"` (the bot runs, but can issue nothing yet). */
export function vpnEndpoint(scope: Construct, settings: Settings, handlerArn: string): VpnEndpoint | undefined {
  if (settings.createEndpoint) return newEndpoint(scope, settings, handlerArn);
  return settings.endpointId ? existingEndpoint(scope, settings, handlerArn) : undefined;
}
