import fc from 'fast-check';
import { handler } from '../../src/handlers/slack';
import { MAX_BODY_BYTES } from '../../src/slack/verify-request';
import { SIGNING_SECRET, sign, signedRequest } from '../helpers/slack';

/**
 * The Slack function's real Lambda entry point, as the Function URL calls it, fed what anyone on the
 * internet can send. Nothing here reaches Slack, DynamoDB or the worker: a refused request must not,
 * and the one signed request that passes (url_verification) is answered by Bolt itself. What this
 * cannot prove is how API Gateway or the Function URL frames an event; the shapes are AWS's documented ones.
 */

type Response = { statusCode: number; body?: string; headers?: Record<string, string> };

const ENV: Record<string, string> = {
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_BOT_TOKEN: 'xoxb-ingress-test',
  SLACK_BOT_ID: 'BBOT',
  SLACK_BOT_USER_ID: 'UBOT',
  // Unreachable on purpose: a request that got as far as a listener would fail loudly.
  SLACK_API_URL: 'http://127.0.0.1:9/api/',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
  AWS_REGION: 'eu-west-1',
  TABLE_NAME: 'vpn-chatops-ingress-test',
  WORKER_FUNCTION_NAME: 'vpn-chatops-worker-ingress-test',
};
const CLEARED = ['SLACK_SECRET_ID', 'VPN_ENDPOINTS', 'CA_SECRET_ID'];

const now = () => Math.floor(Date.now() / 1000);
const call = async (event: unknown) => (await handler(event, {})) as Response;
const REFUSED = [400, 401, 413];

/** Header names as Slack, a proxy or an attacker might spell them. */
const slackHeaderName = fc
  .constantFrom('x-slack-signature', 'x-slack-request-timestamp', 'content-type')
  .chain((name) => fc.mixedCase(fc.constant(name)));
const headerValue = fc.oneof(
  fc.string(),
  fc.constant(''),
  fc.integer().map(String),
  fc.string().map((text) => `v0=${text}`),
  fc.anything(),
);
const junkHeaders = fc.oneof(
  fc.dictionary(fc.oneof(slackHeaderName, fc.string()), headerValue),
  fc.constantFrom(undefined, null, 'x-slack-signature: v0=00', 42, []),
);
const junkBody = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.json(),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes).toString('base64')),
  fc.constantFrom(
    '',
    '{',
    'payload=%7B',
    'payload=not-json',
    'ssl_check=1',
    '{"type":"url_verification","challenge":"x"}',
    'null',
    '[]',
  ),
  fc.anything(),
);

describe('the Slack Lambda entry point refuses what Slack did not sign, before Bolt parses it', () => {
  const saved: Record<string, string | undefined> = {};
  let errors: jest.SpyInstance;

  beforeAll(() => {
    for (const name of [...Object.keys(ENV), ...CLEARED]) saved[name] = process.env[name];
    Object.assign(process.env, ENV);
    for (const name of CLEARED) delete process.env[name];
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  beforeEach(() => {
    // The Slack function's error alarm counts failed invocations and error lines: junk must raise neither.
    errors = jest.spyOn(console, 'error');
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    expect(errors).not.toHaveBeenCalled();
    jest.restoreAllMocks();
  });

  it('answers any unsigned event, whatever its body, headers and base64 flag, with a plain 4xx and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(
        junkBody,
        junkHeaders,
        fc.oneof(fc.boolean(), fc.anything()),
        async (body, headers, isBase64Encoded) => {
          const response = await call({
            version: '2.0',
            rawPath: '/slack/events',
            routeKey: '$default',
            requestContext: {},
            headers,
            body,
            isBase64Encoded,
          });
          expect(REFUSED).toContain(response.statusCode);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses events that are not HTTP requests at all', async () => {
    for (const event of [undefined, null, 'GET /', 7, [], {}]) {
      expect(REFUSED).toContain((await call(event)).statusCode);
    }
  });

  it('answers a signature made with another secret, or with a timestamp more than five minutes off either way, with 401', async () => {
    const signedWrongly = fc.oneof(
      fc.record({
        secret: fc.string({ minLength: 1 }).filter((secret) => secret !== SIGNING_SECRET),
        offset: fc.integer({ min: -290, max: 290 }),
      }),
      fc.record({
        secret: fc.constant(SIGNING_SECRET),
        offset: fc.oneof(fc.integer({ min: 301, max: 10 ** 6 }), fc.integer({ min: -(10 ** 6), max: -301 })),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        junkBody.filter((body): body is string => typeof body === 'string' && body !== ''),
        signedWrongly,
        fc.boolean(),
        async (body, { secret, offset }, base64) => {
          const response = await call(
            signedRequest(body, 'application/json', { secret, timestamp: now() + offset, base64 }),
          );
          expect(response.statusCode).toBe(401);
          expect(response.body).toBe('Unauthorized');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers a correctly signed body that Bolt could not parse with 400', async () => {
    const notAnObject = fc.oneof(fc.string(), fc.json()).filter((text) => text !== '' && !parsesToObject(text));
    const form = fc
      .string()
      .map((text) => `payload=${encodeURIComponent(text)}`)
      .filter((text) => !parsesToObject(decodeURIComponent(text.slice('payload='.length))));
    const cases = fc.oneof(
      fc.record({
        body: notAnObject,
        contentType: fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded; charset=utf-8',
        ),
      }),
      fc.record({ body: form, contentType: fc.constant('application/x-www-form-urlencoded') }),
    );
    await fc.assert(
      fc.asyncProperty(cases, fc.boolean(), async ({ body, contentType }, base64) => {
        const response = await call(signedRequest(body, contentType, { base64 }));
        expect(response.statusCode).toBe(400);
      }),
      { numRuns: 150 },
    );
  });

  it('answers an oversized body with 413 before checking anything else', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'x'.repeat(MAX_BODY_BYTES) });
    expect((await call(signedRequest(body, 'application/json'))).statusCode).toBe(413);
    expect((await call(signedRequest(body, 'application/json', { base64: true }))).statusCode).toBe(413);
    expect((await call({ headers: {}, body: 'é'.repeat(MAX_BODY_BYTES / 2 + 1) })).statusCode).toBe(413);
  });

  it('refuses base64 that is not base64, even with a signature over what a lenient decoder would make of it', async () => {
    const body = '{"type":"url_verification","challenge":"c"}';
    const event = signedRequest(body, 'application/json', { base64: true });
    expect((await call({ ...event, body: `${event.body.slice(0, 8)}!${event.body.slice(8)}` })).statusCode).toBe(400);
  });

  it('still hands correctly signed requests to Bolt: any header case, plain or base64, raw UTF-8 bytes signed', async () => {
    const name = (header: string) => fc.mixedCase(fc.constant(header));
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme' }),
        name('x-slack-signature'),
        name('x-slack-request-timestamp'),
        fc.boolean(),
        fc.integer({ min: -290, max: 290 }),
        async (challenge, signatureHeader, timestampHeader, base64, offset) => {
          const body = JSON.stringify({ type: 'url_verification', token: 'legacy', challenge });
          const timestamp = now() + offset;
          const event = signedRequest(body, 'application/json', {
            base64,
            timestamp,
            omit: ['x-slack-signature', 'x-slack-request-timestamp'],
          });
          event.headers[signatureHeader] = sign(body, timestamp);
          event.headers[timestampHeader] = String(timestamp);
          const response = await call(event);
          expect(response.statusCode).toBe(200);
          expect(JSON.parse(response.body ?? '{}')).toEqual({ challenge });
        },
      ),
      { numRuns: 100 },
    );
  });
});

function parsesToObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
