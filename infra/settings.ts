import { z } from 'zod';
import { loadConfig } from '../src/config';
import { assertCertDomain } from '../src/domain/cn';

/**
 * The deployment's settings, from CDK context (cdk.json "context", or `-c name=value`), checked before
 * anything is synthesized. Every message names the setting and shows an example.
 */

/** Settings a team may pass through to the functions' environment; secrets are not among them. */
export const BOT_SETTINGS = [
  'CERT_DAYS',
  'CRL_DAYS',
  'CRL_RENEW_BEFORE_DAYS',
  'CRL_PUBLISH_MODE',
  'CRL_WINDOW',
  'APPROVAL_TIMEOUT_S',
  'REMEMBER_HOURS',
  'PROMPT_LIMIT',
  'MAX_ACCESS_HOURS',
  'SLACK_BOT_ID',
  'SLACK_BOT_USER_ID',
] as const;

const EXAMPLES: Record<string, string> = {
  region: '"region": "eu-west-1"',
  account: '"account": "123456789012"',
  stackName: '"stackName": "vpn-chatops"',
  domain: '"domain": "vpn.example.com"',
  endpoint:
    '"endpoint": "cvpn-endpoint-0123456789abcdef0" (or its ARN, arn:aws:ec2:eu-west-1:123456789012:client-vpn-endpoint/cvpn-endpoint-0123456789abcdef0)',
  createEndpoint:
    '"createEndpoint": {"vpcId": "vpc-0123456789abcdef0", "subnetIds": ["subnet-0123456789abcdef0"], "vpcCidr": "10.0.0.0/16", "clientCidr": "10.100.0.0/22", "serverCertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/…"}',
  adminChannelId: '"adminChannelId": "C0123456789"',
  adminSlackIds: '"adminSlackIds": ["U0123456789"]',
  adminUsergroupId: '"adminUsergroupId": "S0123456789"',
  connectProvisionedConcurrency: '"connectProvisionedConcurrency": 2',
  slackReservedConcurrency:
    '"slackReservedConcurrency": 10 (0: none, for an account whose concurrency limit is still 10)',
  approvals: '"approvals": "on"',
  attachConnectHandler: '"attachConnectHandler": true',
  connectionLogGroup:
    '"connectionLogGroup": "/aws/clientvpn/connections" (the log group the existing endpoint\'s connection logging writes to)',
  alarmEmail: '"alarmEmail": "vpn-admins@example.com"',
  reuseRetained: '"reuseRetained": true',
  agentRole: '"agentRole": true (an IAM role for vpnctl agent on a self-hosted OpenVPN host)',
  agentEndpoints:
    '"agentEndpoints": [{"name": "office", "management": "127.0.0.1:7505", "crlFile": "/etc/openvpn/server/crl/crl.pem", "remote": "vpn.example.com 1194 udp", "agentHost": "office1"}] (self-hosted OpenVPN servers a vpnctl agent serves; agentHost, optional, gives that host a role of its own; docs/self-hosted.md)',
  botSettings: '"botSettings": {"CRL_PUBLISH_MODE": "window", "CRL_WINDOW": "Sun 03:00-05:00 UTC"}',
};

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ENDPOINT_ID = /^cvpn-endpoint-[0-9a-f]{8,17}$/;
const ENDPOINT_ARN = /^arn:(aws[a-z-]*):ec2:([a-z0-9-]+):(\d{12}):client-vpn-endpoint\/(cvpn-endpoint-[0-9a-f]{8,17})$/;
const ACM_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;
/** Part of the host's construct ids and outputs, so letters and digits only: nothing IAM or CloudFormation strips. */
const AGENT_HOST = /^[A-Za-z0-9]{1,32}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** `-c name=value` arrives as a string; cdk.json can hold real JSON. Accept both. */
const json = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }, schema);
const flag = (fallback: boolean) => json(z.boolean({ error: 'must be true or false' }).default(fallback));
const list = (pattern: RegExp, what: string) =>
  z.preprocess(
    (value) =>
      typeof value === 'string' && !value.trim().startsWith('[')
        ? value
            .split(',')
            .map((item) => item.trim())
            .filter(Boolean)
        : value,
    json(z.array(z.string().regex(pattern, `each must look like ${what}`))),
  );

function cidr(text: string): { base: number; bits: number } | undefined {
  const match = CIDR.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((octet) => octet > 255) || bits > 32) return undefined;
  return { base: octets.reduce((sum, octet) => sum * 256 + octet, 0), bits };
}

const overlaps = (a: { base: number; bits: number }, b: { base: number; bits: number }) => {
  const bits = Math.min(a.bits, b.bits);
  const block = 2 ** (32 - bits);
  return Math.floor(a.base / block) === Math.floor(b.base / block);
};

const createEndpointSchema = z
  .object(
    {
      vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'vpcId must look like vpc-0123456789abcdef0'),
      subnetIds: list(/^subnet-[0-9a-f]{8,17}$/, 'subnet-0123456789abcdef0').pipe(
        z.array(z.string()).min(1, 'subnetIds needs at least one subnet').max(5, 'subnetIds takes at most 5 subnets'),
      ),
      vpcCidr: z
        .string()
        .refine((value) => cidr(value) !== undefined, 'vpcCidr must be a CIDR block such as 10.0.0.0/16'),
      clientCidr: z.string().refine((value) => {
        const block = cidr(value);
        return block !== undefined && block.bits >= 12 && block.bits <= 22;
      }, 'clientCidr must be a CIDR block from /12 to /22 (AWS Client VPN), e.g. 10.100.0.0/22'),
      serverCertificateArn: z
        .string()
        .regex(
          ACM_ARN,
          'serverCertificateArn must be an ACM certificate ARN, arn:aws:acm:<region>:<account>:certificate/<id>',
        ),
      clientCaCertificateArn: z
        .string()
        .regex(ACM_ARN, 'clientCaCertificateArn must be an ACM certificate ARN')
        .optional(),
      splitTunnel: z.boolean().default(true),
      dnsServers: z.array(z.ipv4()).max(2, 'dnsServers takes at most 2 addresses').optional(),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object' : undefined) },
  )
  .strict()
  .refine((value) => !overlaps(cidr(value.vpcCidr)!, cidr(value.clientCidr)!), {
    message: 'clientCidr must not overlap vpcCidr (AWS Client VPN)',
    path: ['clientCidr'],
  });

const schema = z
  .object({
    region: z.string({ error: 'missing' }).regex(REGION, 'must be an AWS Region such as eu-west-1'),
    account: json(
      z
        .union([z.string(), z.number()])
        .transform(String)
        .pipe(z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id')),
    ).optional(),
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,39}$/, 'must start with a letter: letters, digits and -, at most 40')
      .default('vpn-chatops'),
    domain: z.string({ error: 'missing' }).refine((value) => {
      try {
        return assertCertDomain(value) === value;
      } catch {
        return false;
      }
    }, 'must be a lower-case DNS name (the CN suffix of every certificate)'),
    // "none": a first deployment for a new endpoint, whose ACM certificates need the CA this deployment stores.
    endpoint: z
      .string()
      .refine(
        (value) => value === 'none' || ENDPOINT_ID.test(value) || ENDPOINT_ARN.test(value),
        'must be a Client VPN endpoint id or ARN (or "none" before a new endpoint exists)',
      )
      .optional(),
    createEndpoint: json(createEndpointSchema).optional(),
    adminChannelId: z
      .string({ error: 'missing (alarms and CRL alerts are posted there)' })
      .regex(/^[CG][A-Z0-9]{8,}$/, 'must be a Slack channel id (C…), not a #name'),
    adminSlackIds: list(/^[UW][A-Z0-9]{2,}$/, 'U0123456789').default([]),
    adminUsergroupId: z
      .string()
      .regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group id (S…)')
      .optional(),
    connectProvisionedConcurrency: json(
      z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0).max(100).default(0),
    ),
    // Kept for the Slack function, so a reconnect storm of connect handlers cannot take the 👍 path's capacity.
    slackReservedConcurrency: json(
      z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0).max(100).default(10),
    ),
    approvals: z.enum(['on', 'off'], { error: 'must be "on" or "off"' }).default('on'),
    attachConnectHandler: flag(true),
    // CloudWatch Logs group names: 1–512 of [.-_/#A-Za-z0-9].
    connectionLogGroup: z
      .string()
      .regex(/^[.\-_/#A-Za-z0-9]{1,512}$/, 'must be a CloudWatch Logs group name such as /aws/clientvpn/connections')
      .optional(),
    alarmEmail: z.email('must be an e-mail address').optional(),
    reuseRetained: flag(false),
    // The least-privilege identity vpnctl agent runs as on a self-hosted OpenVPN host (infra/agent-role.ts).
    agentRole: flag(false),
    // Self-hosted OpenVPN servers the bot reaches only through the table, each served by a vpnctl agent on its host.
    agentEndpoints: json(
      z.array(z.record(z.string(), z.unknown(), { error: 'each must be an object' }), { error: 'must be a list' }),
    ).default([]),
    botSettings: json(z.record(z.string(), z.union([z.string(), z.number()]).transform(String))).default({}),
    example: flag(false),
    deploy: flag(false),
  })
  .superRefine((value, ctx) => {
    const arn = value.endpoint ? ENDPOINT_ARN.exec(value.endpoint) : null;
    if (arn && arn[2] !== value.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['endpoint'],
        message: `${arn[4]} is in ${arn[2]}, but region is ${value.region}. Client VPN only calls a connect handler in its own Region and account: set region to ${arn[2]}, or use an endpoint in ${value.region}`,
      });
    }
    if (arn && value.account && arn[3] !== value.account) {
      ctx.addIssue({
        code: 'custom',
        path: ['endpoint'],
        message: `${arn[4]} belongs to account ${arn[3]}, but account is ${value.account}; the connect handler must be in the endpoint's account`,
      });
    }
    for (const key of ['serverCertificateArn', 'clientCaCertificateArn'] as const) {
      const certificateRegion = value.createEndpoint?.[key] ? ACM_ARN.exec(value.createEndpoint[key])?.[1] : undefined;
      if (certificateRegion && certificateRegion !== value.region) {
        ctx.addIssue({
          code: 'custom',
          path: ['createEndpoint', key],
          message: `is an ACM certificate in ${certificateRegion}, but region is ${value.region}: import it into ACM in ${value.region}`,
        });
      }
    }
    const unknown = Object.keys(value.botSettings).filter(
      (name) => !(BOT_SETTINGS as readonly string[]).includes(name),
    );
    if (unknown.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['botSettings'],
        message: `${unknown.join(', ')} cannot be set here (allowed: ${BOT_SETTINGS.join(', ')}); Slack tokens belong in the Slack secret`,
      });
    }
    value.agentEndpoints.forEach((endpoint, index) => {
      if (
        endpoint.agentHost !== undefined &&
        !(typeof endpoint.agentHost === 'string' && AGENT_HOST.test(endpoint.agentHost))
      )
        ctx.addIssue({
          code: 'custom',
          path: ['agentEndpoints', index, 'agentHost'],
          message: "must be 1 to 32 letters and digits (it names that host's role: Agent<agentHost>Role)",
        });
    });
    // The role names each served endpoint's partitions: without one it could do nothing an agent needs.
    if (value.agentRole && value.agentEndpoints.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['agentEndpoints'],
        message:
          'missing, but agentRole is true: list the servers the agent serves; its role reaches only their partitions',
      });
    }
    if (value.example && value.deploy) {
      ctx.addIssue({
        code: 'custom',
        path: ['example'],
        message:
          'cdk.json still holds the example settings: put in your region, domain, endpoint (or createEndpoint) and adminChannelId, then remove "example": true',
      });
    }
  });

export type Settings = z.output<typeof schema> & { endpointId?: string };

export const SETTING_NAMES = Object.keys(schema.shape) as (keyof z.output<typeof schema>)[];

export class SettingsError extends Error {}

/**
 * `agentEndpoints` as VPN_ENDPOINTS entries: OpenVPN servers the bot reaches only through the table. Which host
 * serves one is the deployment's concern (its role), not the bot's, so agentHost stays out.
 */
export function agentServedEndpoints(settings: Pick<Settings, 'agentEndpoints'>): Record<string, unknown>[] {
  return settings.agentEndpoints.map((endpoint) => ({
    ...Object.fromEntries(Object.entries(endpoint).filter(([field]) => field !== 'agentHost')),
    type: 'openvpn',
    servedBy: 'agent',
  }));
}

/** An agent host that gets a role, with the names of the servers it serves; without `host`, the shared role. */
export interface AgentHostGroup {
  host?: string;
  endpointNames: string[];
}

/**
 * The agent-served servers by `agentHost`, in order of first mention: the servers without one share the default
 * role, as before agentHost existed. Names are checked by the bot's own rules (a non-empty string) in readSettings.
 */
export function agentHostGroups(settings: Pick<Settings, 'agentEndpoints'>): AgentHostGroup[] {
  const groups = new Map<string | undefined, string[]>();
  for (const endpoint of settings.agentEndpoints) {
    const host = endpoint.agentHost === undefined ? undefined : String(endpoint.agentHost);
    groups.set(host, [...(groups.get(host) ?? []), String(endpoint.name)]);
  }
  return [...groups].map(([host, endpointNames]) => ({ host, endpointNames }));
}

/** Some agent-served server runs tls-crypt-v2: the worker then wraps each profile's client key with its stored key. */
export function usesTlsCryptV2(settings: Pick<Settings, 'agentEndpoints'>): boolean {
  return settings.agentEndpoints.some((endpoint) => endpoint.tlsCryptV2ServerKeyFile !== undefined);
}

/** Validated settings, or a SettingsError listing every problem with an example of each setting. */
export function readSettings(context: Record<string, unknown>): Settings {
  const result = schema.safeParse(context);
  // Checked on the raw context, so it is reported alongside any other problem.
  const choice =
    context.endpoint === undefined && context.createEndpoint === undefined
      ? [
          {
            path: ['endpoint'],
            message: 'missing: set endpoint (an existing Client VPN endpoint) or createEndpoint (make one)',
          },
        ]
      : context.endpoint !== undefined && context.createEndpoint !== undefined
        ? [
            {
              path: ['createEndpoint'],
              message: 'set endpoint (use an existing endpoint) or createEndpoint (make one), not both',
            },
          ]
        : [];
  if (!result.success || choice.length) {
    const lines = [...choice, ...(result.error?.issues ?? [])].map((issue) => {
      const name = issue.path.map(String).join('.');
      const example = EXAMPLES[String(issue.path[0])];
      return `  ${name}: ${issue.message}${example ? `. Example: ${example}` : ''}`;
    });
    throw new SettingsError(
      `Invalid deployment settings (CDK context: cdk.json "context", or -c name=value):\n${[...new Set(lines)].join('\n')}\nSee docs/deploy.md, "Settings".`,
    );
  }
  const settings: Settings = {
    ...result.data!,
    endpointId:
      result.data!.endpoint && result.data!.endpoint !== 'none'
        ? (ENDPOINT_ARN.exec(result.data!.endpoint)?.[4] ?? result.data!.endpoint)
        : undefined,
  };
  try {
    // The functions' own configuration check, at synth time rather than at the first login.
    loadConfig({
      ...settings.botSettings,
      VPN_ENDPOINTS: JSON.stringify(agentServedEndpoints(settings)),
      CERT_DOMAIN: settings.domain,
      ADMIN_CHANNEL_ID: settings.adminChannelId,
      APPROVALS: settings.approvals,
    });
  } catch (error) {
    throw new SettingsError(
      `Invalid ${settings.agentEndpoints.length ? 'botSettings or agentEndpoints' : 'botSettings'}: ${(error as Error).message.replace('See .env.example for every setting.', 'See .env.example for what each means.')}`,
    );
  }
  return settings;
}
