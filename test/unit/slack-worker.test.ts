import type { SlackAccess } from '../../src/slack/access';
import { LogLevel, WebClient } from '@slack/web-api';
import type { VpnAdmin } from '../../src/services/vpn-admin';
import type { AuditEntry } from '../../src/domain/audit';
import type { AuditLog, CertificateStore, IdempotencyStore } from '../../src/ports';
import { SlackStandIn, startSlackStandIn } from '../../src/local/slack-standin/server';
import { SlackWorker } from '../../src/slack/jobs/worker';

let slack: SlackStandIn;
afterEach(async () => {
  await slack.stop();
});

/** The worker over the Slack stand-in, with stores that record what it asked of them. */
async function setUp(log?: (message: string) => void) {
  slack = await startSlackStandIn();
  const client = new WebClient(slack.token, {
    slackApiUrl: slack.apiUrl,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 0 },
  });
  const claims = new Set<string>();
  const released: string[] = [];
  const idempotency: IdempotencyStore = {
    claim: async (key) => !claims.has(key) && Boolean(claims.add(key)),
    release: async (key) => {
      released.push(key);
    },
  };
  const entries: AuditEntry[] = [];
  const audit: AuditLog = {
    append: async (entry) => {
      const written = { ...entry, id: String(entries.length), at: entry.at ?? new Date(0) };
      entries.push(written);
      return written;
    },
    query: async () => entries,
  };
  let published = 0;
  const admin = {
    publishAll: async () => {
      published++;
      return [];
    },
    retireReplaced: async () => {
      throw new Error('the certificate store did not answer');
    },
  } as unknown as VpnAdmin;
  const worker = new SlackWorker({
    admin,
    client,
    admins: { isAdmin: async (id) => id === 'U0ADMIN' },
    idempotency,
    probes: { database: { probe: async () => 'ok' }, requiredScopes: [] },
    certificates: {} as CertificateStore,
    audit,
    endpoints: [],
    log,
    access: {} as SlackAccess,
  });
  return { worker, released, entries, published: () => published };
}

describe('SlackWorker', () => {
  it('runs a job delivered twice once, and the duplicate leaves the click claim to the first', async () => {
    const { worker, released, published } = await setUp();
    await worker.run({ type: 'publish-crl', actorId: 'U0ADMIN', id: 'invocation-1', claim: 'click-1' });
    await worker.run({ type: 'publish-crl', actorId: 'U0ADMIN', id: 'invocation-1', claim: 'click-1' });
    expect(published()).toBe(1);
    expect(released).toEqual(['click-1']);
    // No response_url: the progress and the report go to the admin's DM.
    expect(slack.messages('DU0ADMIN').map((message) => message.text)).toEqual([
      expect.stringMatching(/Publishing a new CRL/),
      expect.stringMatching(/Nothing was published/),
    ]);
  });

  it('tells the person why a job was refused, audits the refusal, and releases the click claim', async () => {
    const { worker, released, entries, published } = await setUp();
    await worker.run({ type: 'publish-crl', actorId: 'U0ALICE', claim: 'click-2' });
    expect(slack.messages('DU0ALICE').map((message) => message.text)).toEqual([
      expect.stringMatching(/Only VPN admins can publish the CRL/),
    ]);
    expect(entries).toEqual([
      expect.objectContaining({ actor: 'U0ALICE', action: 'access.refused', details: { what: 'publish the CRL' } }),
    ]);
    expect(published()).toBe(0);
    expect(released).toEqual(['click-2']);
  });

  it('lets system jobs, which have nobody to tell, fail into the log only', async () => {
    const logged: string[] = [];
    const { worker } = await setUp((message) => logged.push(message));
    await worker.run({ type: 'retire-replaced', serial: '0A' });
    expect(logged).toEqual(['job retire-replaced failed']);
    expect(slack.callsTo('chat.postMessage')).toEqual([]);
  });
});
