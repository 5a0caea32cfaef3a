import { CfnOutput } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  AccountRootPrincipal,
  CompositePrincipal,
  InstanceProfile,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { CONNECT_BATCH_READS, CONNECT_READS, CONNECT_WRITES } from './permissions';

/** A table action the agent sends, and the partitions (`dynamodb:LeadingKeys` patterns) it may send it on. */
export interface AgentTableGrant {
  action: string;
  keys: string[];
  why: string;
}

/** The key an agent-served endpoint goes by in the table, as the agent builds it (src/composition/agent.ts). */
const agentEndpointKey = (name: string) => `openvpn:${name}`;

/** IAM reads `*`, `?` and `${…}` in a StringLike value as wildcards and variables; an endpoint name means itself. */
const literal = (text: string) => text.replace(/[*?$]/g, (special) => `\${${special}}`);

/**
 * What `vpnctl agent` does on the table, action by action, each limited by `dynamodb:LeadingKeys` to the
 * partitions it needs (item shapes: src/adapters/dynamodb/table.ts). Its own partitions are named endpoint by
 * endpoint, so a host cannot settle the kills of an endpoint its role does not list, report its CRL applied, take
 * its lease or ship its log. The login decision's partitions (CONNECT_*) and the heartbeats' (AGENTS) are shared by
 * every endpoint, keyed by CN, serial, approval or agent, so they keep their wildcards: any agent role can approve
 * any certificate's logins and write any agent's heartbeat (docs/self-hosted.md §4). TransactWriteItems is
 * authorized as the Update/Delete it contains. Checked against what the agent's calls send (infra/operations.ts
 * AGENT_CALLS) and the partitions they touch on DynamoDB Local (test/integration/adapter-sends.test.ts). The agent
 * never holds the CA key, so it reads no secret, and never publishes a CRL, requests a kill, or writes a certificate.
 */
export function agentTableGrants(endpointKeys: readonly string[]): AgentTableGrant[] {
  const each = (...prefixes: string[]) =>
    prefixes.flatMap((prefix) => endpointKeys.map((key) => `${prefix}#${literal(key)}`));
  return [
    {
      action: 'dynamodb:GetItem',
      keys: [...CONNECT_READS, ...each('AGENT-CRL')],
      why: "the login decision (services/decide-connection.ts: the certificate by CN, the approval, remembered approvals, cool-down, prompt count) and the CRL download: the newest pointer and a CRL manifest (AGENT-CRL#); what it applied is the bot's to read",
    },
    {
      action: 'dynamodb:BatchGetItem',
      keys: CONNECT_BATCH_READS,
      why: "the login decision's first read (adapters/dynamodb/login-reader.ts): the certificate, its remembered approval and its cooldown together; and the confirmation of a decision with its certificate",
    },
    {
      action: 'dynamodb:Query',
      keys: each('AGENT-CRL', 'KILLS'),
      why: "a CRL's chunks, and the endpoint's pending kills; on the table itself, never an index (an index query carries no leading key)",
    },
    {
      action: 'dynamodb:PutItem',
      keys: [...CONNECT_WRITES, ...each('AGENT-ENDPOINT', 'SHIPPED')],
      why: 'the login decision (a new approval, its message link, remembered approval, prompt count, the audit entry, the flood alert claim, the Slack call budget), the applied CRL, the lease and the endpoint → agent pointer (AGENT-ENDPOINT#: the publisher ENDPOINT# records stay out of reach), and shipped log hours',
    },
    {
      action: 'dynamodb:UpdateItem',
      keys: [...CONNECT_WRITES, 'AGENTS', ...each('KILLS')],
      why: 'the login decision (deciding the approval, attaching the prompt), the heartbeat (AGENTS: one partition for all agents, so the scheduler lists them in one query), and settling (writing the settled kill) or failing a kill',
    },
    {
      action: 'dynamodb:DeleteItem',
      keys: each('KILLS', 'AGENT-ENDPOINT'),
      why: "settling a kill deletes its pending item and frees its connection's guard item (in the settle transaction), and a stopping agent hands its lease back",
    },
  ];
}

/**
 * An optional IAM role for the agent on a VPN host: an EC2 instance takes it through the instance
 * profile; a host elsewhere assumes it with credentials of this account that may call sts:AssumeRole
 * on it. It reaches the table and nothing else: no secret, no Lambda, no EC2. The shared role (no `host`)
 * keeps the ids it always had, so an existing stack's role is not replaced; an agentHost's ids carry its name
 * (AgentOffice1Role, output AgentOffice1RoleArn), and no two kinds of id can end alike.
 */
export function agentRole(
  scope: Construct,
  stackName: string,
  table: ITable,
  endpointNames: readonly string[],
  host?: string,
): Role {
  const id = (kind: string) => `Agent${host ?? ''}${kind}`;
  const leadingKeys = (keys: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } });
  const role = new Role(scope, id('Role'), {
    assumedBy: new CompositePrincipal(new ServicePrincipal('ec2.amazonaws.com'), new AccountRootPrincipal()),
    description: `${stackName}: vpnctl agent on ${host === undefined ? 'a self-hosted OpenVPN host' : `the OpenVPN host ${host}`} (docs/self-hosted.md)`,
    inlinePolicies: {
      table: new PolicyDocument({
        statements: agentTableGrants(endpointNames.map(agentEndpointKey)).map(
          ({ action, keys }) =>
            new PolicyStatement({ actions: [action], resources: [table.tableArn], conditions: leadingKeys(keys) }),
        ),
      }),
    },
  });
  const profile = new InstanceProfile(scope, id('InstanceProfile'), { role });
  new CfnOutput(scope, id('RoleArn'), {
    value: role.roleArn,
    description: `vpnctl agent${host === undefined ? '' : ` on ${host}`}: attach ${id('InstanceProfileName')} to the EC2 VPN host, or assume this role (docs/self-hosted.md)`,
  });
  new CfnOutput(scope, id('InstanceProfileName'), { value: profile.instanceProfileName });
  return role;
}
