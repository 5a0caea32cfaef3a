import * as z from 'zod/mini';
import { VpnChatopsError } from './domain/errors';
import { assertCertDomain } from './domain/cn';
import { parseWindow } from './domain/window';

/**
 * The one configuration object, read from the environment (`.env.example` documents every name).
 * zod/mini rather than zod: the same checks at 1/25 of the size in every Lambda bundle.
 */

const intIn = (min: number, max: number, fallback: number) => {
  const expected = `must be a whole number from ${min} to ${max} (default ${fallback})`;
  return z._default(
    z.coerce
      .number({ error: expected })
      .check(z.int({ error: expected }), z.minimum(min, { error: expected }), z.maximum(max, { error: expected })),
    fallback,
  );
};

const matching = (pattern: RegExp, error: string) => z.string().check(z.regex(pattern, { error }));

const csv = z.pipe(
  z._default(z.string(), ''),
  z.transform((text: string) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  ),
);

const MANAGEMENT = /^(unix:\/.+|(\d{1,3}\.){3}\d{1,3}:\d{1,5}|localhost:\d{1,5}|\[[0-9a-fA-F:.]+\]:\d{1,5})$/;
const LOOPBACK_MANAGEMENT = /^(unix:|127\.\d{1,3}\.\d{1,3}\.\d{1,3}:|localhost:|\[::1\]:)/;
const REMOTE_MANAGEMENT = (issue: { input?: unknown }) =>
  `${(issue.input as { management?: string } | undefined)?.management} is not on this host: whoever reaches it can approve any login and end any session. Use 127.0.0.1 or a unix: socket, or, if the network is trusted, set "allowRemoteManagement": true together with "managementPasswordFile"`;

/**
 * Anyone who reaches the management interface can send client-auth-nt, so off-host needs both an explicit yes and a
 * password.
 */
function managementStaysLocal(endpoint: {
  management: string;
  allowRemoteManagement?: true;
  managementPasswordFile?: string;
}): boolean {
  // A malformed address has its own message already.
  if (LOOPBACK_MANAGEMENT.test(endpoint.management) || !MANAGEMENT.test(endpoint.management)) return true;
  return endpoint.allowRemoteManagement === true && endpoint.managementPasswordFile !== undefined;
}

const endpointSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('aws-client-vpn'),
    id: matching(/^cvpn-endpoint-[0-9a-f]{8,17}$/, 'an endpoint id looks like cvpn-endpoint-0123456789abcdef0'),
    region: matching(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region looks like eu-west-1'),
    /** The CloudWatch Logs group its connection logging writes to: what `/vpn logs` reads. */
    logGroup: z.optional(
      matching(/^[A-Za-z0-9_./#-]{1,512}$/, 'a log group name is 1 to 512 letters, digits and _ - / . #'),
    ),
    logStream: z.optional(z.string().check(z.minLength(1))),
  }),
  z
    .object({
      type: z.literal('openvpn'),
      name: z.string().check(z.minLength(1)),
      management: matching(
        MANAGEMENT,
        'management is host:port (e.g. 127.0.0.1:7505) or unix:/absolute/path (e.g. unix:/run/openvpn/mgmt.sock)',
      ),
      /** The file, mode 0600, whose first line is the password the server's `--management … pw-file` names. */
      managementPasswordFile: z.optional(z.string().check(z.minLength(1))),
      /** Only this permits a management address off the host; it needs a password too. */
      allowRemoteManagement: z.optional(z.literal(true, { error: 'allowRemoteManagement is true or absent' })),
      crlFile: z.string().check(z.minLength(1)),
      remote: z.string().check(z.minLength(1)),
      tlsCryptKeyFile: z.optional(z.string().check(z.minLength(1))),
      /**
       * The server's `--tls-crypt-v2` key (docs/self-hosted.md#per-client-keys-tls-crypt-v2): each profile then
       * carries its own client key, and revoked ones are refused before TLS. Read by whoever issues profiles.
       */
      tlsCryptV2ServerKeyFile: z.optional(z.string().check(z.minLength(1))),
      /** The server's --log-append file: what `/vpn logs` reads. */
      logFile: z.optional(z.string().check(z.minLength(1))),
      serverCertFile: z.optional(z.string().check(z.minLength(1))),
      /**
       * `vpnctl agent` on the VPN host serves it: the bot then reaches it only through the table, and
       * management, crlFile and logFile are paths on that host, read by the agent alone.
       */
      servedBy: z.optional(
        z.literal('agent', {
          error: 'servedBy is "agent" (served by `vpnctl agent` on the VPN host) or absent (served by the bot itself)',
        }),
      ),
    })
    .check(z.refine(managementStaysLocal, { error: REMOTE_MANAGEMENT, path: ['management'] }))
    .check(
      z.refine((endpoint) => !(endpoint.tlsCryptKeyFile && endpoint.tlsCryptV2ServerKeyFile), {
        error:
          'set tlsCryptKeyFile or tlsCryptV2ServerKeyFile, not both: an OpenVPN server runs tls-crypt or tls-crypt-v2, and a profile carries one of them',
        path: ['tlsCryptV2ServerKeyFile'],
      }),
    ),
]);

export type EndpointConfig = z.infer<typeof endpointSchema>;

const endpoints = z.pipe(
  z.pipe(
    z._default(z.string(), '[]'),
    z.transform((text: string, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.issues.push({ code: 'custom', message: 'is not JSON', input: text });
        return z.NEVER;
      }
    }),
  ),
  z.array(endpointSchema),
);

const WINDOW = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun|Daily) ([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d UTC$/;

const isCertDomain = (value: string) => {
  try {
    return assertCertDomain(value) === value;
  } catch {
    return false;
  }
};

/** What only `vpnctl agent` reads, on the VPN host. */
const agentSettings = {
  /** The CA certificate (the server's --ca file): the agent verifies CRLs with it and never has the CA key. */
  CA_CERT_FILE: z.optional(z.string().check(z.minLength(1))),
};

const schema = z.object({
  ...agentSettings,
  SLACK_BOT_TOKEN: z.optional(z.string()),
  SLACK_SIGNING_SECRET: z.optional(z.string()),
  SLACK_APP_TOKEN: z.optional(z.string()),
  SLACK_SECRET_ID: z.optional(z.string().check(z.minLength(1))),
  SLACK_API_URL: z.optional(z.url()),
  SLACK_BOT_ID: z.optional(matching(/^B[A-Z0-9]+$/, 'a bot id looks like B0123ABCD')),
  SLACK_BOT_USER_ID: z.optional(matching(/^[UW][A-Z0-9]+$/, 'a bot user id looks like U0123ABCD')),
  ADMIN_SLACK_IDS: csv,
  ADMIN_USERGROUP_ID: z.optional(z.string()),
  ADMIN_CHANNEL_ID: z.optional(z.string()),
  TABLE_NAME: z._default(matching(/^[A-Za-z0-9_.-]{3,255}$/, '3 to 255 letters, digits, _ . or -'), 'vpn-chatops'),
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  AWS_REGION: z.optional(z.string()),
  CA_SECRET_ID: z.optional(z.string()),
  /** Where a bot away from its VPN hosts (Lambda) keeps each agent-served endpoint's tls-crypt-v2 server key. */
  TLS_CRYPT_V2_SECRET_ID: z.optional(z.string().check(z.minLength(1))),
  WORKER_FUNCTION_NAME: z.optional(z.string()),
  VPN_ENDPOINTS: endpoints,
  CERT_DOMAIN: z._default(
    z.string().check(z.refine(isCertDomain, { error: 'must be a lower-case DNS name, e.g. vpn.example.com' })),
    'vpn.local',
  ),
  CERT_DAYS: intIn(1, 3650, 365),
  CRL_DAYS: intIn(2, 3650, 180),
  CRL_RENEW_BEFORE_DAYS: intIn(1, 3649, 30),
  CRL_PUBLISH_MODE: z._default(z.enum(['immediate', 'window']), 'immediate'),
  CRL_WINDOW: z._default(matching(WINDOW, 'looks like "Sun 03:00-05:00 UTC"'), 'Sun 03:00-05:00 UTC'),
  APPROVALS: z._default(
    z.enum(['on', 'off'], { error: 'must be "on" (ask in Slack) or "off" (certificate check only, for emergencies)' }),
    'on',
  ),
  // Client VPN waits 30 s: 25 s for the owner plus closingMs (3 s) answers by 28 s, cold start included.
  APPROVAL_TIMEOUT_S: intIn(1, 25, 25),
  REMEMBER_HOURS: intIn(0, 168, 8),
  PROMPT_LIMIT: intIn(1, 100, 3),
  PORT: intIn(1, 65535, 3000),
  STATE_DIR: z._default(z.string().check(z.minLength(1)), '.vpn-chatops'),
  LOCAL_VPN_PORT: intIn(1, 65535, 1194),
  LOCAL_VPN_MANAGEMENT_PORT: intIn(1, 65535, 7505),
  OPENVPN_BIN: z.optional(z.string().check(z.minLength(1))),
  LOCAL_VPN_NOEXEC: z._default(z.enum(['true', 'false']), 'false'),
  /** npm start's own server gives each profile its own tls-crypt-v2 key instead of sharing one tls-crypt key. */
  LOCAL_VPN_TLS_CRYPT_V2: z._default(z.enum(['true', 'false']), 'false'),
  /**
   * Deactivated (or, with OFFBOARD_GUESTS, turned-guest) members: revoke (auto), tell admins (report), or nothing
   * (off).
   */
  OFFBOARDING: z._default(z.enum(['auto', 'report', 'off'], { error: 'must be auto, report or off' }), 'auto'),
  OFFBOARD_GUESTS: z._default(z.enum(['true', 'false'], { error: 'must be true or false' }), 'true'),
  /** The longest time-boxed access anyone may ask for (`/vpn issue laptop for 8h`, a grant, an Extend, a request). */
  MAX_ACCESS_HOURS: intIn(1, 87_600, 720),
  /**
   * Who may issue: anyone (open), ISSUE_USERGROUP_ID members and grant holders (group), others ask admins (request).
   */
  ISSUE_POLICY: z._default(z.enum(['open', 'group', 'request'], { error: 'must be open, group or request' }), 'open'),
  ISSUE_USERGROUP_ID: z.optional(matching(/^S[A-Z0-9]+$/, 'a user group id looks like S0123ABCD')),
});

export type Config = z.infer<typeof schema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Treat `VAR=` as unset, the way shells and .env files usually mean it.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(config)'}: ${issue.message}`);
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      `Invalid configuration:\n${lines.join('\n')}\nSee .env.example for every setting.`,
    );
  }
  const config = result.data;
  if (config.CRL_RENEW_BEFORE_DAYS >= config.CRL_DAYS) {
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      `CRL_RENEW_BEFORE_DAYS (${config.CRL_RENEW_BEFORE_DAYS}) must be less than CRL_DAYS (${config.CRL_DAYS}), or every CRL would be due for renewal the moment it is published.`,
    );
  }
  // The pattern above cannot see a window that ends before it starts; VpnAdmin would only refuse it later.
  parseWindow(config.CRL_WINDOW);
  // Requests go to the admin channel; without one nobody would ever see them. Without ISSUE_USERGROUP_ID,
  // group and request still work: only grants (and approved requests) let anyone issue, a valid locked-down setup.
  if (config.ISSUE_POLICY === 'request' && !config.ADMIN_CHANNEL_ID) {
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      'ISSUE_POLICY=request needs ADMIN_CHANNEL_ID: access requests are posted there for the admins to approve or deny.',
    );
  }
  return config;
}
