import { z } from 'zod';
import { VpnChatopsError } from './domain/errors';
import { assertCertDomain } from './domain/cn';

/** The one configuration object, read from the environment (`.env.example` documents every name). */

const intIn = (min: number, max: number, fallback: number) => {
  const expected = `must be a whole number from ${min} to ${max} (default ${fallback})`;
  return z.coerce.number({ error: expected }).int({ error: expected }).min(min, { error: expected }).max(max, { error: expected }).default(fallback);
};

const csv = z
  .string()
  .default('')
  .transform((text) => text.split(',').map((item) => item.trim()).filter(Boolean));

const endpointSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('aws-client-vpn'),
    id: z.string().regex(/^cvpn-endpoint-[0-9a-f]{8,17}$/, 'an endpoint id looks like cvpn-endpoint-0123456789abcdef0'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region looks like eu-west-1'),
  }),
  z.object({
    type: z.literal('openvpn'),
    name: z.string().min(1),
    management: z.string().regex(/^[\d.]+:\d+$/, 'management is host:port, e.g. 127.0.0.1:7505'),
    crlFile: z.string().min(1),
    remote: z.string().min(1),
    tlsCryptKeyFile: z.string().min(1).optional(),
  }),
]);

export type EndpointConfig = z.infer<typeof endpointSchema>;

const endpoints = z
  .string()
  .default('[]')
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.array(endpointSchema));

const WINDOW = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun|Daily) ([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d UTC$/;

const schema = z.object({
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_API_URL: z.url().optional(),
  SLACK_BOT_ID: z.string().regex(/^B[A-Z0-9]+$/, 'a bot id looks like B0123ABCD').optional(),
  SLACK_BOT_USER_ID: z.string().regex(/^[UW][A-Z0-9]+$/, 'a bot user id looks like U0123ABCD').optional(),
  ADMIN_SLACK_IDS: csv,
  ADMIN_USERGROUP_ID: z.string().optional(),
  ADMIN_CHANNEL_ID: z.string().optional(),
  TABLE_NAME: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, '3 to 255 letters, digits, _ . or -').default('vpn-chatops'),
  DYNAMODB_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().optional(),
  CA_SECRET_ID: z.string().optional(),
  WORKER_FUNCTION_NAME: z.string().optional(),
  VPN_ENDPOINTS: endpoints,
  CERT_DOMAIN: z
    .string()
    .default('vpn.local')
    .refine((value) => {
      try {
        return assertCertDomain(value) === value;
      } catch {
        return false;
      }
    }, 'must be a lower-case DNS name, e.g. vpn.example.com'),
  CERT_DAYS: intIn(1, 3650, 365),
  CRL_DAYS: intIn(2, 3650, 180),
  CRL_RENEW_BEFORE_DAYS: intIn(1, 3649, 30),
  CRL_PUBLISH_MODE: z.enum(['immediate', 'window']).default('immediate'),
  CRL_WINDOW: z.string().regex(WINDOW, 'looks like "Sun 03:00-05:00 UTC"').default('Sun 03:00-05:00 UTC'),
  APPROVAL_TIMEOUT_S: intIn(1, 27, 25),
  REMEMBER_HOURS: intIn(0, 168, 8),
  PROMPT_LIMIT: intIn(1, 100, 3),
  PORT: intIn(1, 65535, 3000),
  STATE_DIR: z.string().min(1).default('.vpn-chatops'),
});

export type Config = z.infer<typeof schema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Treat `VAR=` as unset, the way shells and .env files usually mean it.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(config)'}: ${issue.message}`);
    throw new VpnChatopsError('INVALID_CONFIG', `Invalid configuration:\n${lines.join('\n')}\nSee .env.example for every setting.`);
  }
  const config = result.data;
  if (config.CRL_RENEW_BEFORE_DAYS >= config.CRL_DAYS) {
    throw new VpnChatopsError(
      'INVALID_CONFIG',
      `CRL_RENEW_BEFORE_DAYS (${config.CRL_RENEW_BEFORE_DAYS}) must be less than CRL_DAYS (${config.CRL_DAYS}), or every CRL would be due for renewal the moment it is published.`,
    );
  }
  return config;
}
