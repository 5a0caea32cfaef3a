import { loadHomeData } from '../../src/slack/jobs/home-data';
import { agentAlertMessage } from '../../src/slack/views/agent-alerts';
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
