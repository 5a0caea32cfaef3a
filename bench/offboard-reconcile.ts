import { performance } from 'node:perf_hooks';
import { WebClient } from '@slack/web-api';
import { SlackMemberDirectory } from '../src/adapters/slack-web/member-directory';
import { startSlackStandIn } from '../src/local/slack-standin/server';
import type { CertificateRecord } from '../src/domain/certificate';
import type { CertificateStore } from '../src/ports';
import { RECONCILE_PACE, type ReconcilePace, reconcileOffboarding } from '../src/services/offboarding';
import { MemoryAuditLog } from '../test/helpers/memory-stores';
import { certificateRecord } from '../test/helpers/records';
import { ms, report } from './lib';

/** Issue #18's company: every person holds a certificate; the workspace also keeps people without one. */
const HOLDERS = 20_000;
const OTHERS = 5_000;
/** Holders deactivated without their user_change arriving. */
const LEFT = 200;
/** The scheduler function's timeout less the minute it keeps for the rest of the run (adapters/aws-lambda/scheduler.ts). */
const BUDGET_S = 540;

const id = (prefix: string, i: number) => `${prefix}${String(i).padStart(5, '0')}`;

/**
 * The daily reconcile at 20,000 holders, run for real over the Slack stand-in's HTTP (rate limits off, the
 * pacing sleeps set to 0) to count the calls, with users.list (ours) beside users.info per holder (the
 * baseline). The paced time is modelled from the counted calls and RECONCILE_PACE, and labelled so.
 */
export async function reconcileAtScale(): Promise<void> {
  const holders = Array.from({ length: HOLDERS }, (_, i) => id('U2H', i));
  // The others are spread among the holders, as they would be in Slack's listing: every page is read.
  const others = Array.from({ length: OTHERS }, (_, i) => ({
    id: id('U2O', i),
    name: `o${i}`,
    real_name: `Other ${i}`,
  }));
  const slack = await startSlackStandIn({
    users: holders.flatMap((slackId, i) => [
      { id: slackId, name: `h${i}`, real_name: `Holder ${i}`, deleted: i % 100 === 7 },
      ...(i % (HOLDERS / OTHERS) === 0 ? [others[i / (HOLDERS / OTHERS)]] : []),
    ]),
  });
  try {
    const run = async (pace: Partial<ReconcilePace>) => {
      const records: CertificateRecord[] = holders.map((slackId) => certificateRecord({ slackId }));
      let revoked = 0;
      slack.reset();
      const started = performance.now();
      const sweep = await reconcileOffboarding({
        policy: { mode: 'auto', guests: true },
        certificates: {
          byUser: async (slackId: string) => records.filter((record) => record.slackId === slackId),
          list: async (filter?: { status?: string }) => records.filter((record) => record.status === filter?.status),
        } as unknown as CertificateStore,
        audit: new MemoryAuditLog(),
        idempotency: { claim: async () => true, release: async () => undefined },
        clock: { now: () => new Date() },
        notifier: { offboarded: async () => undefined, toReview: async () => undefined },
        revoke: async () => {
          revoked += 1;
          return { revoked: [], alreadyRevoked: [], failed: [], sessions: [], crl: [] };
        },
        members: new SlackMemberDirectory(
          new WebClient(slack.token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 2 } }),
        ),
        pace: { ...pace, intervalMs: 0, pageIntervalMs: 0 },
      });
      const wallMs = performance.now() - started;
      if (sweep.checked !== HOLDERS || revoked !== LEFT || sweep.unchecked || sweep.failed.length)
        throw new Error(`bench offboard: the reconcile missed people: ${JSON.stringify({ ...sweep, revoked })}`);
      return { calls: sweep.calls, wallMs };
    };
    const listed = await run({});
    const oneByOne = await run({ listAbove: Infinity, concurrency: RECONCILE_PACE.concurrency });
    const listedPacedS = (listed.calls * RECONCILE_PACE.pageIntervalMs + listed.wallMs) / 1000;
    const oneByOnePacedS = (oneByOne.calls * RECONCILE_PACE.intervalMs + oneByOne.wallMs) / 1000;
    report('offboard_reconcile', {
      holders: HOLDERS,
      workspace_accounts: HOLDERS + OTHERS,
      users_list_calls: listed.calls,
      users_list_unpaced_ms: ms(listed.wallMs),
      users_list_paced_s_modelled: listedPacedS.toFixed(0),
      baseline_users_info_calls: oneByOne.calls,
      baseline_users_info_unpaced_ms: ms(oneByOne.wallMs),
      baseline_users_info_paced_s_modelled: oneByOnePacedS.toFixed(0),
      fits_scheduler_budget_s: `${BUDGET_S}:${listedPacedS <= BUDGET_S ? 'yes' : 'no'}/${oneByOnePacedS <= BUDGET_S ? 'yes' : 'no'}`,
    });
  } finally {
    await slack.stop();
  }
}
