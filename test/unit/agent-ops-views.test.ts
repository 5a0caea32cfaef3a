import { loadHomeData } from '../../src/slack/jobs/home-data';
import { agentAlertMessage } from '../../src/slack/views/agent-alerts';
import { agentHealthAlertMessage } from '../../src/slack/views/agent-health-alert';
import { homeView } from '../../src/slack/views/home';
import { assertWithinSlackLimits } from '../../src/slack/views/limits';
import type { AgentRow, Block, HomeData } from '../../src/slack/views/types';
import type { VpnAdmin } from '../../src/services/vpn-admin';
import { heartbeat } from '../helpers/agent-ops-fakes';

const NOW = new Date('2026-12-04T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const textOf = (blocks: Block[]) => JSON.stringify(blocks);

function adminHome(agents?: AgentRow[]): HomeData {
  return {
    userId: 'U0ADMIN',
    now: NOW,
    certificates: [],
    recentLogins: [],
    admin: {
      crl: [],
      pendingApprovals: [],
      sessions: [],
      certificates: { records: [], counts: { active: 0, suspended: 0, expired: 0, revoked: 0 }, page: 0 },
      audit: [],
      agents,
    },
  };
}

const row = (agentId: string, at: Date, endpoints: AgentRow['endpoints'] = [{ endpoint: 'openvpn:office' }]) => ({
  agentId,
  host: `${agentId}.example.net`,
  version: '0.2.0',
  at,
  endpoints,
});

describe('the admin Home: VPN agents', () => {
  it('lists each agent with its last heartbeat, version and endpoints, the silent ones first', () => {
    const view = homeView(
      adminHome([
        row('fresh', ago(10_000), [
          { endpoint: 'openvpn:office', acting: true },
          { endpoint: 'openvpn:lab', acting: false },
        ]),
        row('gone', ago(10 * 60_000)),
        row('late', ago(120_000)),
      ]),
    );
    assertWithinSlackLimits('home', view);
    const section = view.blocks.find((block) => textOf([block]).includes('VPN agents'))!;
    const lines = (section.text as { text: string }).text.split('\n');
    expect(lines).toEqual([
      '*VPN agents* (3)',
      '🔴 silent `gone` on `gone.example.net` · `0.2.0` · last heartbeat 2026-12-04 11:50 UTC (10 min ago) · `openvpn:office`',
      '⚠️ late `late` on `late.example.net` · `0.2.0` · last heartbeat 2026-12-04 11:58 UTC (2 min ago) · `openvpn:office`',
      '🟢 `fresh` on `fresh.example.net` · `0.2.0` · last heartbeat 2026-12-04 11:59 UTC (0 min ago) · `openvpn:office`, `openvpn:lab` (standby)',
    ]);
  });

  it("shows a clock 10 s off, as the agent measured it or as its heartbeat's date shows", () => {
    const view = homeView(
      adminHome([
        { ...row('behind', ago(10_000)), clockSkewS: -75.4 },
        { ...row('ahead', new Date(NOW.getTime() + 45_000)), clockSkewS: 0 },
        { ...row('fine', ago(5_000)), clockSkewS: 9 },
      ]),
    );
    const lines = textOf(view.blocks);
    expect(lines).toContain(
      '`behind` on `behind.example.net` · `0.2.0` · last heartbeat 2026-12-04 11:59 UTC (0 min ago) · ⚠️ clock 75 s behind ·',
    );
    expect(lines).toContain('(0 min ago) · ⚠️ clock 45 s ahead · `openvpn:office`');
    expect(lines.match(/⚠️ clock/g)).toHaveLength(2);
  });

  it('shows a clock 12 s off: two agents off in opposite directions add up past the lease margin', () => {
    const lines = textOf(homeView(adminHome([{ ...row('vpn1', ago(5_000)), clockSkewS: 12.2 }])).blocks);
    expect(lines).toContain('(0 min ago) · ⚠️ clock 12 s ahead · `openvpn:office`');
  });

  it('shows no agents section to a team without agents', () => {
    for (const agents of [undefined, []])
      expect(textOf(homeView(adminHome(agents)).blocks)).not.toContain('VPN agents');
  });

  it("loads the agents' heartbeats without their sessions or keys, and a registry that fails shows none", async () => {
    const beat = heartbeat('vpn1', ago(5_000));
    beat.endpoints[0] = { ...beat.endpoints[0], tlsCryptKey: 'SECRET-KEY', acting: true };
    const deps = (agentHeartbeats: () => Promise<(typeof beat)[]>) => ({
      admin: { clock: { now: () => NOW }, crlStatuses: async () => [], agentHeartbeats } as unknown as VpnAdmin,
      certificates: {
        byUser: async () => [],
        page: async () => ({ records: [] }),
        counts: async () => ({ active: 0, suspended: 0, expired: 0, revoked: 0 }),
      } as never,
      audit: { query: async () => [] } as never,
      endpoints: [],
    });
    const data = await loadHomeData(
      deps(async () => [beat]),
      'U0ADMIN',
      true,
    );
    expect(data.admin?.agents).toEqual([
      {
        agentId: 'vpn1',
        host: 'vpn1.example.net',
        version: '0.1.0',
        at: beat.at,
        endpoints: [{ endpoint: 'openvpn:office', acting: true }],
      },
    ]);
    expect(JSON.stringify(data)).not.toContain('SECRET-KEY');
    const failing = await loadHomeData(
      deps(async () => {
        throw new Error('table unreachable');
      }),
      'U0ADMIN',
      true,
    );
    expect(failing.admin?.agents).toEqual([]);
  });
});

describe("alerts on an agent's heartbeat: an endpoint that cannot serve, a clock that is off", () => {
  const base = { endpoint: 'openvpn:office', agentId: 'vpn1', host: 'vpn1.example.net' };

  it('names the endpoint, the agent, the reason from the heartbeat and what to check', () => {
    const message = agentHealthAlertMessage({
      kind: 'cannot-serve',
      ...base,
      reason: 'management interface at 127.0.0.1:7505: wrong password',
      at: ago(6 * 60_000),
    });
    assertWithinSlackLimits('message', message);
    expect(message.text).toBe(
      ':rotating_light: `openvpn:office` cannot serve: its agent `vpn1` on `vpn1.example.net` has found it unhealthy since 2026-12-04 11:54 UTC: ' +
        'management interface at 127.0.0.1:7505: wrong password. While it is, its logins may get no approval prompt and no answer, and revocations may not reach it. ' +
        'On that host: is the OpenVPN server running, does its `management` line match the endpoint in VPN_ENDPOINTS, ' +
        'does the management password file (`managementPasswordFile`) hold the password the server reads, and can the agent write its CRL file (`crlFile`)? ' +
        '`journalctl -u vpnctl-agent` names the fault (docs/self-hosted.md, "Faults").',
    );
    const own = agentHealthAlertMessage({ kind: 'cannot-serve', ...base, reason: 'down', fix: 'Restart it.', at: NOW });
    expect(own.text).toMatch(/Restart it\.$/);
    expect(agentHealthAlertMessage({ kind: 'serves-again', ...base, reason: 'answers', at: NOW }).text).toBe(
      ':white_check_mark: `openvpn:office` serves again: its agent `vpn1` on `vpn1.example.net` finds it healthy (answers).',
    );
  });

  it('says how far the clock is off, by what measure, and what it breaks', () => {
    const agent = { agentId: 'vpn1', host: 'vpn1.example.net' };
    expect(
      agentHealthAlertMessage({ kind: 'clock-skewed', ...agent, skewS: -61.2, measuredBy: 'reference' }).text,
    ).toBe(
      ':warning: The VPN agent `vpn1` on `vpn1.example.net`: its clock is 61 s behind its time reference. ' +
        'The endpoint lease relies on clocks within 20 s of each other: past that, two agents may act for one endpoint at once. ' +
        'On that host: `timedatectl` and `timedatectl set-ntp true`.',
    );
    expect(
      agentHealthAlertMessage({ kind: 'clock-skewed', ...agent, skewS: 45, measuredBy: 'heartbeat' }).text,
    ).toMatch(/its heartbeat is dated 45 s ahead of the bot's clock \(one of the two is off\)/);
    expect(agentHealthAlertMessage({ kind: 'clock-back', ...agent, skewS: 1, measuredBy: 'reference' }).text).toBe(
      ':white_check_mark: The VPN agent `vpn1` on `vpn1.example.net`: its clock is within 10 s again.',
    );
  });

  it('names every agent acting for one endpoint at once and what to do, and says when one acts again', () => {
    const agents = [
      { agentId: 'vpn1', host: 'vpn1.example.net' },
      { agentId: 'vpn2', host: 'vpn2.example.net' },
    ];
    const message = agentHealthAlertMessage({ kind: 'two-acting', endpoint: 'openvpn:office', agents });
    assertWithinSlackLimits('message', message);
    expect(message.text).toBe(
      ':rotating_light: 2 VPN agents act for `openvpn:office` at once: `vpn1` on `vpn1.example.net` and `vpn2` on `vpn2.example.net`. ' +
        'Each answers its logins and writes its CRL, though the endpoint lease lets one act at a time: their clocks likely disagree by more than 20 s. ' +
        'On each host: `timedatectl` (and `timedatectl set-ntp true`); until they agree, stop all but one agent (`systemctl stop vpnctl-agent`).',
    );
    expect(
      agentHealthAlertMessage({ kind: 'one-acting', endpoint: 'openvpn:office', agents: agents.slice(0, 1) }).text,
    ).toBe(':white_check_mark: One VPN agent acts for `openvpn:office` again: `vpn1` on `vpn1.example.net`.');
  });

  it('names the kills that could not be carried out, their tries and last error, and says they stay queued', () => {
    const kill = (i: number) => ({
      connectionId: String(i),
      ...(i % 2 === 0 && { commonName: `user${i}` }),
      requestedAt: ago(11 * 60_000),
      attempts: 30 + i,
      ...(i === 0 && { lastError: 'the server did not end client 0' }),
    });
    const message = agentHealthAlertMessage({
      kind: 'kills-stuck',
      ...base,
      kills: Array.from({ length: 7 }, (_, i) => kill(i)),
    });
    assertWithinSlackLimits('message', message);
    expect(message.text).toBe(
      ':rotating_light: 7 sessions revoked on `openvpn:office` could not be ended by its agent `vpn1` on `vpn1.example.net`: ' +
        '`user0` since 2026-12-04 11:49 UTC (30 tries, last: the server did not end client 0); ' +
        'client `1` since 2026-12-04 11:49 UTC (31 tries); `user2` since 2026-12-04 11:49 UTC (32 tries); ' +
        'client `3` since 2026-12-04 11:49 UTC (33 tries); `user4` since 2026-12-04 11:49 UTC (34 tries); and 2 more. ' +
        'They stay queued and are retried every 2 s; the CRL refuses their next connection. ' +
        'On that host: `journalctl -u vpnctl-agent` says why; restarting the OpenVPN server ends every session.',
    );
    expect(agentHealthAlertMessage({ kind: 'kills-done', ...base, kills: [] }).text).toBe(
      ':white_check_mark: No revoked session on `openvpn:office` is waiting to be ended any more (agent `vpn1` on `vpn1.example.net`).',
    );
  });
});

describe('agent alerts', () => {
  const alert = {
    agentId: 'vpn1',
    host: 'vpn1.example.net',
    version: '0.2.0',
    endpoints: ['openvpn:office'],
    lastBeatAt: ago(6 * 60_000),
  };

  it('says what stops while an agent is silent and where to look', () => {
    const message = agentAlertMessage({ kind: 'silent', ...alert });
    assertWithinSlackLimits('message', message);
    expect(message.text).toBe(
      ':rotating_light: The VPN agent `vpn1` on `vpn1.example.net` (version `0.2.0`) has sent no heartbeat since 2026-12-04 11:54 UTC. ' +
        'Until it is back, logins on `openvpn:office` get no approval prompt, new CRLs do not reach the server, and session kills wait in the queue. ' +
        'On that host: `systemctl status vpnctl-agent` and `journalctl -u vpnctl-agent`.',
    );
  });

  it('says when it is back, and caps a long endpoint list', () => {
    const endpoints = Array.from({ length: 13 }, (_, i) => `openvpn:e${i}`);
    const message = agentAlertMessage({ kind: 'back', ...alert, endpoints });
    expect(message.text).toMatch(
      /^:white_check_mark: The VPN agent `vpn1` .* is back \(heartbeat at 2026-12-04 11:54 UTC\)/,
    );
    expect(message.text).toContain('`openvpn:e9` and 3 more endpoints');
    expect(message.text).not.toContain('openvpn:e10');
  });
});
