import fc from 'fast-check';
import type { AuditEntry } from '../../src/domain/audit';
import type { CertificateRecord } from '../../src/domain/certificate';
import type { CrlStatus } from '../../src/services/crl-status';
import { revocationReport } from '../../src/cli/render';
import { ACTION, BLOCK, VIEW } from '../../src/slack/ids';
import { HOME_PAGE_SIZE, homeView } from '../../src/slack/views/home';
import { parsePlace } from '../../src/slack/views/certificate-pager';
import { SLACK_LIMITS, assertWithinSlackLimits } from '../../src/slack/views/limits';
import {
  certificateListMessage,
  LIST_PAGE_SIZE,
  certificatePageMessage,
  statusMessage,
} from '../../src/slack/views/certificate-list';
import { crlHealthMessage } from '../../src/slack/views/crl-health';
import { errorMessage } from '../../src/slack/views/errors';
import { helpMessage } from '../../src/slack/views/help';
import { issuedDmMessage } from '../../src/slack/views/issued-profile';
import { clip, clipMrkdwn, escapeMrkdwn } from '../../src/slack/views/markup';
import { progressMessage } from '../../src/slack/views/progress';
import { publishReportMessage } from '../../src/slack/views/publish-report';
import { revocationReportMessage } from '../../src/slack/views/revocation-report';
import { revokeConfirmMessage } from '../../src/slack/views/revoke-confirm';
import { csrModal } from '../../src/slack/views/modals';
import type {
  Block,
  CertificatePageRows,
  HomeData,
  LoginRecord,
  PendingApprovalRow,
  SessionRow,
} from '../../src/slack/views/types';
import type { PublishOutcome, RevocationReport } from '../../src/domain/revocation-report';

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;
const ALICE = 'U012ABCDEF';
const HOSTILE = '<!channel> & co';

function certificate(overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    serial: '0A1B2C3D4E5F',
    cn: `alice.laptop-${ALICE}.vpn.example.com`,
    slackId: ALICE,
    device: 'laptop',
    displayName: 'Alice',
    status: 'active',
    issuedAt: new Date(NOW.getTime() - 30 * DAY),
    notBefore: new Date(NOW.getTime() - 30 * DAY),
    notAfter: new Date('2026-04-12T09:30:00Z'),
    source: 'issued',
    issuedBy: ALICE,
    ...overrides,
  };
}

function crl(overrides: Partial<CrlStatus> = {}): CrlStatus {
  return {
    endpoint: 'aws:cvpn-endpoint-0123456789abcdef0',
    health: 'ok',
    live: {
      number: '42',
      entries: 3,
      thisUpdate: '2026-02-20T00:00:00.000Z',
      nextUpdate: '2026-08-19T00:00:00.000Z',
      signedByOurCa: true,
      status: 'active',
    },
    daysLeft: 170.5,
    recordedNumber: '42',
    publishedAt: '2026-02-20T00:00:05.000Z',
    outstanding: 0,
    problems: [],
    ...overrides,
  };
}

const member = (overrides: Partial<HomeData> = {}): HomeData => ({
  userId: ALICE,
  now: NOW,
  certificates: [certificate()],
  recentLogins: [],
  ...overrides,
});

const NO_CERTIFICATES = { active: 0, suspended: 0, expired: 0, revoked: 0 };

/** One page of the admin's certificate list as the store hands it over. */
const pageOf = (records: CertificateRecord[], more: Partial<CertificatePageRows> = {}): CertificatePageRows => ({
  records,
  counts: { ...NO_CERTIFICATES, active: records.length },
  page: 0,
  ...more,
});

function adminData(overrides: Partial<NonNullable<HomeData['admin']>> = {}): HomeData {
  return member({
    admin: {
      crl: [crl()],
      pendingApprovals: [],
      sessions: [],
      certificates: pageOf([certificate()]),
      audit: [],
      ...overrides,
    },
  });
}

// ---- reading the JSON ------------------------------------------------------------------------

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function walk(node: unknown, visit: (node: Json) => void): void {
  if (Array.isArray(node)) node.forEach((child) => walk(child, visit));
  else if (isObject(node)) {
    visit(node);
    Object.values(node).forEach((child) => walk(child, visit));
  }
}

function buttons(blocks: Block[]): Json[] {
  const found: Json[] = [];
  walk(blocks, (node) => node.type === 'button' && found.push(node));
  return found;
}

const buttonsWith = (blocks: Block[], actionId: string) => buttons(blocks).filter((b) => b.action_id === actionId);

/** Markup in mrkdwn that is not a member mention: `<!channel>`, a link, half an entity's worth of `<`. */
function rawMarkup(blocks: Block[]): string[] {
  const found: string[] = [];
  walk(blocks, (node) => {
    if (node.type === 'mrkdwn' && typeof node.text === 'string')
      found.push(...(node.text.replace(/<@[UW][A-Z0-9]{2,}>/g, '').match(/[<>]/g) ?? []));
  });
  return found;
}

/** Every mrkdwn and plain text in the blocks, one per line. */
function textOf(blocks: Block[]): string {
  const texts: string[] = [];
  walk(
    blocks,
    (node) =>
      (node.type === 'mrkdwn' || node.type === 'plain_text') && typeof node.text === 'string' && texts.push(node.text),
  );
  return texts.join('\n');
}

// ---- content ---------------------------------------------------------------------------------

describe('homeView for a member', () => {
  const view = homeView(
    member({
      certificates: [
        certificate(),
        certificate({
          serial: 'FF01',
          device: 'phone',
          status: 'revoked',
          revokedAt: new Date('2026-02-01T08:00:00Z'),
          reason: 'keyCompromise',
          revokedBy: ALICE,
        }),
      ],
    }),
  );
  const text = textOf(view.blocks);

  it('shows each certificate with its device, CN, status, exact expiry, days left and serial', () => {
    expect(text).toContain('*laptop*');
    expect(text).toContain(`alice.laptop-${ALICE}.vpn.example.com`);
    expect(text).toContain('✅ Active');
    expect(text).toContain('Expires 2026-04-12 09:30 UTC (41 days left)');
    expect(text).toContain('`0A1B2C3D4E5F`');
    expect(text).toContain('⛔ Revoked');
    expect(text).toContain('Revoked 2026-02-01 08:00 UTC (keyCompromise)');
    expect(text).toContain('Would have expired 2026-04-12 09:30 UTC');
  });

  it('offers Issue, CSR, and Revoke only on the active certificate, behind a confirmation dialog', () => {
    expect(buttonsWith(view.blocks, ACTION.issue)).toHaveLength(1);
    expect(buttonsWith(view.blocks, ACTION.issueWithCsr)).toEqual([
      expect.objectContaining({ text: expect.objectContaining({ text: 'Use my own key (CSR)' }) }),
    ]);
    const revoke = buttonsWith(view.blocks, ACTION.revokeOwn);
    expect(revoke).toHaveLength(1);
    expect(revoke[0]).toMatchObject({
      value: '0A1B2C3D4E5F',
      style: 'danger',
      confirm: { title: { text: 'Revoke this certificate?' }, confirm: { text: 'Revoke' } },
    });
  });

  it('says so when there are no logins, and no certificates', () => {
    expect(text).toContain('No VPN logins yet');
    expect(textOf(homeView(member({ certificates: [] })).blocks)).toContain('You have none yet');
  });

  it('lists recent logins, newest first', () => {
    const logins: LoginRecord[] = [
      { at: new Date('2026-02-27T10:00:00Z'), cn: 'old', outcome: 'denied' },
      {
        at: new Date('2026-02-28T10:00:00Z'),
        cn: 'new',
        publicIp: '203.0.113.7',
        platform: 'macOS',
        outcome: 'allowed',
      },
    ];
    const loginText = textOf(homeView(member({ recentLogins: logins })).blocks);
    expect(loginText).toContain('✅ Allowed · 2026-02-28 10:00 UTC · `new` from 203.0.113.7 · macOS');
    expect(loginText.indexOf('`new`')).toBeLessThan(loginText.indexOf('`old`'));
  });

  it('shows nothing of the admin view', () => {
    expect(text).not.toMatch(/CRL health|VPN administration|Pending approvals|Active sessions|All certificates|audit/i);
    for (const action of [ACTION.publishCrl, ACTION.homePage, ACTION.revokeCertificate])
      expect(buttonsWith(view.blocks, action)).toEqual([]);
  });
});

describe('homeView for an admin', () => {
  it('shows CRL health per endpoint, worst first, with a Publish now button behind a confirmation', () => {
    const view = homeView(
      adminData({
        crl: [
          crl(),
          crl({
            endpoint: 'openvpn:local',
            health: 'fail',
            daysLeft: 1.2,
            problems: ['Only 1.2 days until every connection is refused: run `vpnctl crl publish` now.'],
          }),
          crl({
            endpoint: 'aws:drift',
            health: 'warn',
            recordedNumber: '43',
            problems: ['The endpoint holds #42, but our last publish was #43.'],
          }),
        ],
      }),
    );
    const text = textOf(view.blocks);
    expect(text).toContain('1 ❌ failing · 1 ⚠️ warning · 1 ✅ OK');
    expect(text).toContain(
      'Live CRL #42 · 3 entries (limit 20,000) · next update 2026-08-19 00:00 UTC (170.5 days left)',
    );
    expect(text).toContain('Last publish #42 at 2026-02-20 00:00 UTC');
    expect(text).toContain('→ The endpoint holds #42, but our last publish was #43.');
    expect(text.indexOf('❌ *openvpn:local*')).toBeLessThan(text.indexOf('⚠️ *aws:drift*'));
    expect(text.indexOf('⚠️ *aws:drift*')).toBeLessThan(text.indexOf('✅ *aws:cvpn-endpoint'));
    const [publish] = buttonsWith(view.blocks, ACTION.publishCrl);
    expect(publish.confirm).toMatchObject({ title: { text: 'Publish a new CRL now?' } });
  });

  it('shows approvals, sessions and the latest audit entries, or says they are empty', () => {
    const empty = textOf(homeView(adminData()).blocks);
    expect(empty).toContain('No logins are waiting for approval.');
    expect(empty).toContain('No one is connected.');
    expect(empty).toContain('Nothing recorded yet.');

    const approvals: PendingApprovalRow[] = [
      {
        id: 'a1',
        slackId: ALICE,
        cn: 'alice-cn',
        publicIp: '198.51.100.4',
        requestedAt: new Date(NOW.getTime() - 5 * 60_000),
      },
    ];
    const sessions: SessionRow[] = [
      {
        endpoint: 'openvpn:local',
        connectionId: 'c1',
        commonName: 'bob-cn',
        clientIp: '10.0.0.9',
        connectedAt: new Date('2026-03-01T11:00:00Z'),
      },
    ];
    const audit: AuditEntry[] = [
      {
        id: 'e1',
        at: new Date('2026-03-01T11:30:00Z'),
        actor: 'vpnctl:root',
        action: 'certificate.revoke',
        target: ALICE,
        outcome: 'success',
        details: { serial: '0A' },
      },
    ];
    const text = textOf(homeView(adminData({ pendingApprovals: approvals, sessions, audit })).blocks);
    expect(text).toContain(`⏳ <@${ALICE}> · \`alice-cn\` from 198.51.100.4 · asked 2026-03-01 11:55 UTC (5 min ago)`);
    expect(text).toContain('🔌 `bob-cn` on *openvpn:local* from 10.0.0.9 · since 2026-03-01 11:00 UTC');
    expect(text).toContain(`✅ 2026-03-01 11:30 UTC · vpnctl:root revoked <@${ALICE}>'s certificate \`0A\``);
  });

  describe('pages through every certificate', () => {
    const all = Array.from({ length: 45 }, (_, i) =>
      certificate({
        serial: `AA${String(i).padStart(4, '0')}`,
        cn: `user${String(i).padStart(2, '0')}-U0${i}X.vpn.example.com`,
      }),
    );
    const counts = { ...NO_CERTIFICATES, active: 40, revoked: 5 };
    const page = (n: number, next?: string) =>
      homeView(
        adminData({
          certificates: { records: all.slice(n * HOME_PAGE_SIZE, (n + 1) * HOME_PAGE_SIZE), counts, page: n, next },
        }),
      ).blocks;
    const pager = (blocks: Block[]) =>
      buttonsWith(blocks, ACTION.homePage).map((b) => [(b.text as Json).text, b.value]);

    it('shows one page of rows, each with a confirmed revoke button carrying the serial', () => {
      const revoke = buttonsWith(page(0, 'CURSOR1'), ACTION.revokeCertificate);
      expect(revoke).toHaveLength(HOME_PAGE_SIZE);
      expect(revoke[0]).toMatchObject({
        value: 'AA0000',
        style: 'danger',
        confirm: { text: { text: expect.stringContaining('user00-U00X.vpn.example.com') } },
      });
    });

    it('states the total from the counts, not from the rows it holds', () => {
      expect(textOf(page(0, 'CURSOR1'))).toContain('*All certificates* (45: 40 active, 5 revoked)');
      expect(textOf(page(1, 'CURSOR2'))).toContain('Page 2 of 3');
    });

    it("carries the next page's number and cursor in Next, and offers the first page after it", () => {
      expect(pager(page(0, 'CURSOR1'))).toEqual([['Next ▶', '1:CURSOR1']]);
      expect(pager(page(1, 'CURSOR2'))).toEqual([
        ['⏮ First page', '0:'],
        ['Next ▶', '2:CURSOR2'],
      ]);
      expect(parsePlace(String(buttonsWith(page(1, 'CURSOR2'), ACTION.homePage)[1].value))).toEqual({
        page: 2,
        cursor: 'CURSOR2',
      });
    });

    it('offers no Next on the last page', () => {
      const blocks = page(2);
      expect(pager(blocks)).toEqual([['⏮ First page', '0:']]);
      expect(buttonsWith(blocks, ACTION.revokeCertificate)).toHaveLength(5);
    });

    it('says so when certificates changed and the page it was sent to is empty', () => {
      const blocks = homeView(adminData({ certificates: { records: [], counts, page: 3 } })).blocks;
      expect(textOf(blocks)).toContain('No certificates on this page any more');
      expect(pager(blocks)).toEqual([['⏮ First page', '0:']]);
    });

    it('reads any button value it did not write as the first page', () => {
      for (const value of ['', '7', '1:', 'x:abc', '1:a b', `1:${'a'.repeat(1001)}`, '-1:abc'])
        expect(parsePlace(value)).toEqual({ page: 0 });
    });
  });

  it('escapes a hostile display name instead of pinging the channel', () => {
    const view = homeView(adminData({ certificates: pageOf([certificate({ displayName: HOSTILE })]) }));
    const text = textOf(view.blocks);
    expect(text).toContain('(&lt;!channel&gt; &amp; co)');
    expect(text).not.toContain('<!channel>');
  });
});

describe('messages', () => {
  it('/vpn status lists all fifty devices of one person within the limits', () => {
    const records = Array.from({ length: 50 }, (_, i) =>
      certificate({
        serial: `CC${String(i).padStart(4, '0')}`,
        cn: `device${i}-U0HEAVY.vpn.example.com`,
        device: `device${i}`,
        notAfter: new Date(NOW.getTime() + (i + 1) * 86_400_000),
      }),
    );
    const status = statusMessage(records, NOW);
    assertWithinSlackLimits('message', status);
    const text = textOf(status.blocks);
    for (const record of records) expect(text).toContain(record.serial);
    expect(text).not.toMatch(/…and/);
  });

  it('/vpn list shows every row of its page, the total, and Next with the cursor; never "…and N more"', () => {
    const records = Array.from({ length: LIST_PAGE_SIZE }, (_, i) =>
      certificate({ serial: `BB${String(i).padStart(4, '0')}`, cn: `dev${i}-U0${i}X.vpn.example.com` }),
    );
    const counts = { active: 20_000, suspended: 12, expired: 400, revoked: 20_000 };
    const page = certificatePageMessage({ records, counts, page: 0, next: 'CURSOR1' }, NOW, ACTION.listPage);
    assertWithinSlackLimits('message', page);
    const text = textOf(page.blocks);
    for (const record of records) expect(text).toContain(record.serial);
    expect(text).not.toMatch(/…and/);
    expect(page.text).toContain('40,412: 20,000 active, 12 suspended, 400 expired, 20,000 revoked');
    expect(text).toContain('Page 1 of 1,011');
    expect(buttonsWith(page.blocks, ACTION.listPage).map((b) => b.value)).toEqual(['1:CURSOR1']);
  });

  it('help lists the member commands, and the admin ones only for admins', () => {
    const forMember = textOf(helpMessage(false).blocks);
    for (const command of ['/vpn issue [device]', '/vpn status', '/vpn revoke`', '/vpn help'])
      expect(forMember).toContain(command);
    expect(forMember).not.toMatch(/\/vpn (list|crl)|revoke @user/);
    const forAdmin = textOf(helpMessage(true).blocks);
    for (const command of ['/vpn revoke @user [reason]', '/vpn list [@user]', '/vpn crl'])
      expect(forAdmin).toContain(command);
  });

  it('status gives exact expiry dates, and what to do with none', () => {
    const status = statusMessage(
      [certificate(), certificate({ serial: 'B2', notAfter: new Date('2026-03-05T00:00:00Z') })],
      NOW,
    );
    expect(status.text).toBe(
      'You have 2 active VPN certificates; the first expires 2026-03-05 00:00 UTC (3 days left).',
    );
    expect(textOf(status.blocks)).toContain('Expires 2026-04-12 09:30 UTC (41 days left)');
    expect(textOf(status.blocks)).toContain('⚠️ Expires soon');
    expect(statusMessage([], NOW).blocks).toEqual([
      expect.objectContaining({
        text: expect.objectContaining({ text: expect.stringContaining('`/vpn issue [device]`') }),
      }),
    ]);
  });

  it('list names the owner and counts by status', () => {
    const list = certificateListMessage(
      [certificate(), certificate({ serial: 'B2', notAfter: new Date('2026-01-01T00:00:00Z') })],
      NOW,
      ALICE,
    );
    expect(list.text).toBe(`2 VPN certificates of <@${ALICE}>: 1 active, 1 expired.`);
    expect(textOf(list.blocks)).toContain('Expired 2026-01-01 00:00 UTC (59 days ago)');
    expect(certificateListMessage([], NOW).text).toBe('No VPN certificates have been issued yet.');
  });

  it('says where a certificate came from, and nothing (never "undefined") for a source it does not know', () => {
    const placeholder = certificate({ serial: 'C3', source: 'crl' });
    // The store reads `source` unchecked: a row written by a newer version may carry one this one does not know.
    const unknown = certificate({ serial: 'D4', source: 'acme' as CertificateRecord['source'] });
    const text = textOf(certificateListMessage([placeholder, unknown], NOW).blocks);
    expect(text).toContain("`C3` · known only from an endpoint's CRL");
    expect(text).toMatch(/serial `D4`\n/);
    expect(text).not.toContain('undefined');
  });

  it('CRL health has a Publish now button, unless there is nothing to publish to', () => {
    expect(buttonsWith(crlHealthMessage([crl()]).blocks, ACTION.publishCrl)).toHaveLength(1);
    expect(crlHealthMessage([crl({ health: 'fail' })]).text).toBe(
      'CRL health: 1 endpoint failing, 0 with warnings, of 1.',
    );
    const none = crlHealthMessage([]);
    expect(none.text).toContain('VPN_ENDPOINTS');
    expect(buttons(none.blocks)).toEqual([]);
  });

  describe('revokeConfirmMessage', () => {
    const target = {
      slackId: ALICE,
      label: `<@${ALICE}>'s`,
      certificates: [certificate(), certificate({ serial: 'B2', status: 'revoked' as const })],
    };

    it('asks with Revoke (danger, carrying the request as JSON) and Cancel', () => {
      const message = revokeConfirmMessage(target, 'affiliationChanged');
      const [confirm] = buttonsWith(message.blocks, ACTION.revokeConfirm);
      expect(confirm.style).toBe('danger');
      expect(JSON.parse(String(confirm.value))).toEqual({ slackId: ALICE, reason: 'affiliationChanged' });
      expect(buttonsWith(message.blocks, ACTION.revokeCancel)).toHaveLength(1);
      const text = textOf(message.blocks);
      expect(text).toContain(`⚠️ *Revoke <@${ALICE}>'s VPN certificates?*`);
      expect(text).toContain('Reason: affiliationChanged');
      expect(text).toContain('• will be revoked: *laptop*');
      expect(text).toContain('• already revoked: *laptop*');
    });

    it('carries a serial for a single certificate', () => {
      const [confirm] = buttonsWith(
        revokeConfirmMessage({ serial: '0A1B', label: 'your', certificates: [] }, 'keyCompromise').blocks,
        ACTION.revokeConfirm,
      );
      expect(JSON.parse(String(confirm.value))).toEqual({ serial: '0A1B', reason: 'keyCompromise' });
    });

    it('escapes a hostile label but keeps member mentions', () => {
      const text = textOf(revokeConfirmMessage({ ...target, label: `${HOSTILE}'s` }, 'unspecified').blocks);
      expect(text).toContain("Revoke &lt;!channel&gt; &amp; co's VPN certificates?");
      expect(text).not.toContain('<!channel>');
    });
  });

  it('reports all three ways a revocation ends access, as the CLI does', () => {
    const report: RevocationReport = {
      revoked: [{ serial: '0A1B', cn: 'alice-cn', notAfter: new Date('2027-01-01T00:00:00Z') }],
      alreadyRevoked: ['FF01'],
      failed: [],
      sessions: [
        { endpoint: 'aws:one', terminated: 2 },
        { endpoint: 'aws:two', terminated: 0, error: 'ThrottlingException' },
      ],
      crl: [
        {
          endpoint: 'aws:one',
          outcome: 'published',
          crlNumber: 43n,
          entries: 1,
          nextUpdate: new Date('2026-08-28T12:00:00Z'),
        },
        { endpoint: 'aws:two', outcome: 'deferred', until: new Date('2026-03-02T02:00:00Z') },
        { endpoint: 'aws:three', outcome: 'coalesced', crlNumber: '44' },
        {
          endpoint: 'aws:four',
          outcome: 'queued',
          reason: 'another publisher holds the endpoint and has not finished',
        },
        { endpoint: 'aws:five', outcome: 'failed', error: 'AccessDenied' },
      ],
    };
    const message = revocationReportMessage(report);
    expect(message.text).toBe(
      'Revoked 1 certificate; 2 sessions ended, 1 endpoint to retry; CRL updated on 2 of 5 endpoints, 2 waiting, 1 failed and will be retried.',
    );
    const text = textOf(message.blocks);
    for (const fact of [
      '*1. Database*',
      '✅ Revoked `0A1B` (`alice-cn`): new logins are refused now',
      '• `FF01` was already revoked',
      '*2. Live sessions*',
      '✅ *aws:one*: 2 sessions terminated',
      '❌ *aws:two*: ThrottlingException (the daily session sweep retries; an agent-served endpoint keeps any kill already queued until its agent carries it out; the CRL also refuses them)',
      '*3. CRL*',
      '✅ *aws:one*: CRL #43 with 1 entry, next update 2026-08-28 12:00 UTC',
      '⏳ *aws:two*: CRL deferred to the maintenance window (2026-03-02 02:00 UTC)',
      '✅ *aws:three*: included in CRL #44, published together with other requests',
      '⏳ *aws:four*: CRL queued, not yet confirmed (another publisher holds the endpoint and has not finished)',
      '❌ *aws:five*: CRL not published: AccessDenied. It stays queued',
    ]) {
      expect(text).toContain(fact);
    }
    expect(text.indexOf('aws:five')).toBeLessThan(text.indexOf('✅ *aws:one*: CRL'));
    expect(revocationReport(report)).toContain(
      '✖ sessions on aws:two: ThrottlingException (the daily session sweep retries; an agent-served endpoint keeps any kill already queued until its agent carries it out; the CRL also refuses them)',
    );
  });

  it('says what a half-finished revocation left, in Slack and in vpnctl: what is still active, what has no audit entry, and to run it again', () => {
    const report: RevocationReport = {
      revoked: [{ serial: '0A1B', cn: 'bob.laptop-U0BOB', notAfter: new Date('2027-01-01T00:00:00Z') }],
      alreadyRevoked: [],
      failed: [
        { serial: '0C2D', cn: 'bob.phone-U0BOB', step: 'revoke', error: 'DynamoDB refused the request' },
        { serial: '0A1B', cn: 'bob.laptop-U0BOB', step: 'audit', error: 'audit table throttled' },
      ],
      sessions: [{ endpoint: 'aws:one', terminated: 1 }],
      crl: [
        {
          endpoint: 'aws:one',
          outcome: 'published',
          crlNumber: 9n,
          entries: 1,
          nextUpdate: new Date('2026-08-28T12:00:00Z'),
        },
      ],
    };
    const message = revocationReportMessage(report);
    expect(message.text).toBe(
      'Revoked 1 of 2 certificates, 1 still active: run the same revoke again to finish; 1 session ended; CRL updated on 1 of 1 endpoint.',
    );
    const text = textOf(message.blocks);
    expect(text).toContain('❌ `0C2D` (`bob.phone-U0BOB`) is *still active*: DynamoDB refused the request');
    expect(text).toContain(
      '⚠️ Revoked `0A1B` (`bob.laptop-U0BOB`), but its audit entry could not be written: audit table throttled',
    );
    const cli = revocationReport(report);
    expect(cli).toContain(
      '✖ database: 0C2D (bob.phone-U0BOB) is still active: DynamoDB refused the request (run the same revoke again to finish)',
    );
    expect(cli).toContain(
      '⚠ database: revoked 0A1B (bob.laptop-U0BOB), but its audit entry could not be written: audit table throttled',
    );
  });

  it('reports a publish per endpoint', () => {
    const outcomes: PublishOutcome[] = [
      {
        endpoint: 'aws:one',
        outcome: 'published',
        crlNumber: 7n,
        entries: 2,
        nextUpdate: new Date('2026-08-28T12:00:00Z'),
      },
      { endpoint: 'aws:two', outcome: 'failed', error: 'AccessDenied' },
    ];
    const message = publishReportMessage(outcomes);
    expect(message.text).toBe('CRL updated on 1 of 2 endpoints, 1 failed and will be retried.');
    expect(textOf(message.blocks)).toContain('✅ *aws:one*: CRL #7 with 2 entries, next update 2026-08-28 12:00 UTC');
    expect(publishReportMessage([]).text).toContain('no VPN endpoints are configured');
  });

  describe('issuedDmMessage', () => {
    const input = {
      cn: `alice-${ALICE}.vpn.example.com`,
      serial: '0A1B',
      notAfter: new Date('2027-03-01T12:00:00Z'),
      endpointKind: 'aws-client-vpn' as const,
      fileName: 'alice.ovpn',
      csr: false,
    };

    it('says what the file is, that it holds the private key, when it expires, and how to set it up', () => {
      const message = issuedDmMessage(input);
      const text = textOf(message.blocks);
      expect(message.text).toBe('Your VPN profile alice.ovpn is attached. It expires 2027-03-01 12:00 UTC.');
      expect(text).toContain('contains your private key');
      expect(text).toContain('Do not share or forward it');
      expect(text).toContain('File → Manage Profiles → Add Profile');
      expect(text).toContain('Import Profile → File');
      expect(text).toContain('`sudo openvpn --config alice.ovpn`');
      expect(text.indexOf('AWS VPN Client')).toBeLessThan(text.indexOf('OpenVPN Connect'));
    });

    it('for a CSR, says the key stayed on the computer and where it goes', () => {
      const text = textOf(issuedDmMessage({ ...input, csr: true, endpointKind: 'openvpn' }).blocks);
      expect(text).not.toContain('contains your private key');
      expect(text).toContain(`\`alice-${ALICE}.vpn.example.com.key\``);
      expect(text).toContain('`&lt;key&gt;`');
      const setup = text.slice(text.indexOf('*Set it up*'));
      expect(setup.indexOf('OpenVPN Connect')).toBeLessThan(setup.indexOf('AWS VPN Client'));
    });

    it('covers iOS and Android, and says what AWS supports on a phone', () => {
      const text = textOf(issuedDmMessage(input).blocks);
      expect(text).toContain('*iPhone/iPad*: save the file to Files, open it (or share it) with OpenVPN Connect');
      expect(text).toContain(
        '*Android*: open the file with OpenVPN Connect, or in the app Import Profile → Upload file',
      );
      expect(text).toContain('The AWS VPN Client is desktop-only');
      expect(text).not.toContain('will not import on a phone');
      const selfHosted = textOf(issuedDmMessage({ ...input, endpointKind: 'openvpn' }).blocks);
      expect(selfHosted).toContain('*Android*');
      expect(selfHosted).not.toContain('desktop-only');
    });

    it('for a CSR, says the profile will not import on a phone until the key is inline', () => {
      const text = textOf(issuedDmMessage({ ...input, csr: true }).blocks);
      expect(text).toContain('this profile will not import on a phone: it names your key file');
    });
  });

  it('escapes mrkdwn control characters, keeping member mentions in composed messages', () => {
    expect(escapeMrkdwn(HOSTILE)).toBe('&lt;!channel&gt; &amp; co');
    const error = errorMessage(`<@${ALICE}> has no certificates, ${HOSTILE}`);
    expect(error.text).toBe(`⚠️ <@${ALICE}> has no certificates, &lt;!channel&gt; &amp; co`);
    expect(textOf(progressMessage('⏳ *Issuing* <https://evil.example|click>').blocks)).toBe(
      '⏳ *Issuing* &lt;https://evil.example|click&gt;',
    );
  });
});

describe('csrModal', () => {
  const modal = csrModal('{"channel":"D1"}');

  it('asks for a CSR (with the openssl command as a hint) and an optional device label', () => {
    expect(modal).toMatchObject({
      type: 'modal',
      callback_id: VIEW.csr,
      private_metadata: '{"channel":"D1"}',
      submit: { type: 'plain_text' },
      close: { type: 'plain_text' },
    });
    expect(modal.title.text.length).toBeLessThanOrEqual(24);
    const [csr, device] = modal.blocks.filter((block) => block.type === 'input');
    expect(csr).toMatchObject({
      block_id: BLOCK.csrInput,
      element: { type: 'plain_text_input', action_id: BLOCK.csrAction, multiline: true },
    });
    expect(JSON.stringify(csr.hint)).toContain(
      'openssl req -new -newkey rsa:2048 -nodes -keyout vpn.key -out vpn.csr -subj /CN=me',
    );
    expect(device).toMatchObject({
      block_id: BLOCK.deviceInput,
      optional: true,
      element: { action_id: BLOCK.deviceAction },
    });
    expect(csrModal().private_metadata).toBeUndefined();
  });
});

// ---- limits ----------------------------------------------------------------------------------

describe('Slack limits', () => {
  const long = (seed: string, i = 0) => `${seed.repeat(Math.ceil(300 / seed.length)).slice(0, 295)}${i}`;

  /** Everything at once, and every string as long and as expensive (entities, multi-byte, quotes) as it gets. */
  function hugeHome(seed: string, page: number): HomeData {
    const certificates = Array.from({ length: 5000 }, (_, i) =>
      certificate({
        serial: `S${i}`,
        cn: long(seed, i),
        device: long(seed),
        displayName: long(seed),
        slackId: i % 2 ? ALICE : undefined,
        status: i % 3 ? 'active' : 'revoked',
        revokedBy: long(seed),
        reason: 'keyCompromise',
        revokedAt: NOW,
      }),
    );
    return {
      userId: ALICE,
      now: NOW,
      certificates: certificates.slice(0, 300),
      recentLogins: Array.from({ length: 1000 }, (_, i) => ({
        at: new Date(NOW.getTime() - i * 60_000),
        cn: long(seed, i),
        publicIp: long(seed),
        platform: long(seed),
        outcome: 'allowed' as const,
      })),
      admin: {
        crl: Array.from({ length: 50 }, (_, i) =>
          crl({
            endpoint: long(seed, i),
            health: i % 2 ? 'warn' : 'fail',
            lastError: long(seed),
            readError: long(seed),
            problems: [long(seed), long(seed), long(seed)],
            live: {
              number: long(seed),
              entries: 20000,
              thisUpdate: long(seed),
              nextUpdate: long(seed),
              signedByOurCa: false,
            },
          }),
        ),
        pendingApprovals: Array.from({ length: 1000 }, (_, i) => ({
          id: `p${i}`,
          slackId: long(seed),
          cn: long(seed, i),
          publicIp: long(seed),
          requestedAt: NOW,
        })),
        sessions: Array.from({ length: 1000 }, (_, i) => ({
          endpoint: long(seed),
          connectionId: `c${i}`,
          commonName: long(seed, i),
          clientIp: long(seed),
          connectedAt: NOW,
        })),
        certificates: {
          records: certificates,
          counts: { active: 20_000, suspended: 20_000, expired: 20_000, revoked: 20_000 },
          page,
          next: 'c'.repeat(1000),
        },
        audit: Array.from({ length: 500 }, (_, i) => ({
          id: `a${i}`,
          at: NOW,
          actor: long(seed),
          action: 'certificate.revoke' as const,
          target: long(seed, i),
          outcome: 'failure' as const,
          details: { error: long(seed) },
        })),
        agents: Array.from({ length: 500 }, (_, i) => ({
          agentId: long(seed, i),
          host: long(seed),
          version: long(seed),
          at: new Date(NOW.getTime() - i * 60_000),
          endpoints: Array.from({ length: 20 }, () => ({ endpoint: long(seed), acting: i % 2 === 0 })),
        })),
      },
    };
  }

  const SEEDS = ['x', '&', '漢', '"<>&😀'];

  it.each(SEEDS)('keeps the worst-case admin home within every limit (strings of %s)', (seed) => {
    for (const page of [0, 120, 249, 10_000]) {
      const view = homeView(hugeHome(seed, page));
      assertWithinSlackLimits('home', view);
      expect(rawMarkup(view.blocks)).toEqual([]);
      expect(view.blocks.length).toBeLessThanOrEqual(17 + 21 + HOME_PAGE_SIZE);
    }
  });

  it.each(SEEDS)('keeps every message within every limit for huge inputs (strings of %s)', (seed) => {
    const data = hugeHome(seed, 0);
    const admin = data.admin;
    if (!admin) throw new Error('fixture has an admin part');
    const certificates = admin.certificates.records;
    const outcomes: PublishOutcome[] = admin.crl.map((s, i) =>
      i % 4 === 0
        ? { endpoint: s.endpoint, outcome: 'failed', error: long(seed) }
        : i % 4 === 1
          ? { endpoint: s.endpoint, outcome: 'queued', reason: long(seed) }
          : i % 4 === 2
            ? { endpoint: s.endpoint, outcome: 'coalesced', crlNumber: long(seed) }
            : { endpoint: s.endpoint, outcome: 'published', crlNumber: 10n ** 40n, entries: 20000, nextUpdate: NOW },
    );
    const report: RevocationReport = {
      revoked: certificates.map((r) => ({ serial: r.serial, cn: r.cn, notAfter: r.notAfter })),
      alreadyRevoked: certificates.map((r) => r.serial),
      failed: certificates.map((r, i) => ({
        serial: r.serial,
        cn: r.cn,
        step: i % 2 ? 'audit' : 'revoke',
        error: long(seed),
      })),
      sessions: admin.crl.map((s, i) => ({
        endpoint: s.endpoint,
        terminated: i,
        error: i % 2 ? long(seed) : undefined,
      })),
      crl: [...outcomes, { endpoint: long(seed), outcome: 'deferred', until: NOW }],
    };
    const messages = [
      helpMessage(true),
      statusMessage(certificates, NOW),
      certificateListMessage(certificates, NOW, long(seed)),
      certificatePageMessage({ ...admin.certificates, page: 499 }, NOW, ACTION.listPage),
      crlHealthMessage(admin.crl),
      revokeConfirmMessage({ slackId: ALICE, label: long(seed), certificates }, long(seed).repeat(10)),
      progressMessage(long(seed).repeat(40)),
      errorMessage(long(seed).repeat(200)),
      revocationReportMessage(report),
      publishReportMessage(outcomes),
      issuedDmMessage({
        cn: long(seed),
        serial: long(seed),
        notAfter: NOW,
        endpointKind: 'openvpn',
        fileName: long(seed),
        csr: true,
      }),
    ];
    for (const message of messages) {
      assertWithinSlackLimits('message', message);
      expect(rawMarkup(message.blocks)).toEqual([]);
    }
    const [confirm] = buttonsWith(messages[5].blocks, ACTION.revokeConfirm);
    expect(String(confirm.value).length).toBeLessThanOrEqual(SLACK_LIMITS.buttonValue);
  });

  it('keeps the CSR modal within the modal limits', () => {
    assertWithinSlackLimits('modal', csrModal('x'.repeat(SLACK_LIMITS.privateMetadata)));
  });

  it('holds for arbitrary strings anywhere (property-based)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 400 });
    const record = fc.record({
      serial: fc.string({ unit: fc.constantFrom(...'0123456789ABCDEF'), minLength: 1, maxLength: 40 }),
      cn: text,
      device: fc.option(text, { nil: undefined }),
      displayName: fc.option(text, { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), text, fc.integer({ min: -5, max: 10 }), (rows, label, page) => {
        const certificates = rows.map((row) => certificate(row));
        const home = homeView(
          adminData({
            certificates: pageOf(certificates, { page: Math.max(page, 0), next: page % 2 ? 'CURSOR' : undefined }),
            crl: [crl({ endpoint: label, problems: [label] })],
          }),
        );
        assertWithinSlackLimits('home', home);
        expect(rawMarkup(home.blocks)).toEqual([]);
        assertWithinSlackLimits('message', certificateListMessage(certificates, NOW, label));
        assertWithinSlackLimits('message', revokeConfirmMessage({ label, certificates }, label));
        assertWithinSlackLimits('message', errorMessage(label));
      }),
      { numRuns: 60 },
    );
  });

  describe('assertWithinSlackLimits rejects what Slack would', () => {
    const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const button = (fields: Json): Json => ({
      type: 'button',
      action_id: 'a',
      text: { type: 'plain_text', text: 'Go' },
      ...fields,
    });
    const cases: [string, 'message' | 'home' | 'modal', unknown, RegExp][] = [
      [
        '101 blocks in a Home tab',
        'home',
        { type: 'home', blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) },
        /block count is 101, over the limit of 100/,
      ],
      [
        '51 blocks in a message',
        'message',
        { text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) },
        /block count is 51, over the limit of 50/,
      ],
      ['a message without fallback text', 'message', { blocks: [] }, /fallback text must be a string/],
      [
        'a 3001-character section',
        'message',
        { text: 'x', blocks: [section('x'.repeat(3001))] },
        /text length is 3001, over the limit of 3000/,
      ],
      ['an empty section', 'message', { text: 'x', blocks: [section('')] }, /text must not be empty/],
      [
        'a 151-character header',
        'home',
        { type: 'home', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] },
        /over the limit of 150/,
      ],
      [
        'a mrkdwn header',
        'home',
        { type: 'home', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] },
        /text type must be plain_text/,
      ],
      [
        'a 76-character button',
        'message',
        {
          text: 'x',
          blocks: [{ type: 'actions', elements: [button({ text: { type: 'plain_text', text: 'x'.repeat(76) } })] }],
        },
        /over the limit of 75/,
      ],
      [
        'a 2001-character button value',
        'message',
        { text: 'x', blocks: [{ type: 'actions', elements: [button({ value: 'x'.repeat(2001) })] }] },
        /button value length is 2001, over the limit of 2000/,
      ],
      [
        '26 buttons in one actions block',
        'message',
        {
          text: 'x',
          blocks: [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })) }],
        },
        /actions element count is 26, over the limit of 25/,
      ],
      [
        'two buttons with one action_id in a block',
        'message',
        { text: 'x', blocks: [{ type: 'actions', elements: [button({}), button({})] }] },
        /duplicate action_id/,
      ],
      [
        'a 256-character action_id',
        'message',
        { text: 'x', blocks: [{ type: 'actions', elements: [button({ action_id: 'a'.repeat(256) })] }] },
        /action_id length is 256, over the limit of 255/,
      ],
      [
        'a 301-character confirmation text',
        'message',
        {
          text: 'x',
          blocks: [
            {
              type: 'actions',
              elements: [
                button({
                  confirm: {
                    title: { type: 'plain_text', text: 't' },
                    text: { type: 'plain_text', text: 'x'.repeat(301) },
                    confirm: { type: 'plain_text', text: 'y' },
                    deny: { type: 'plain_text', text: 'n' },
                  },
                }),
              ],
            },
          ],
        },
        /over the limit of 300/,
      ],
      [
        'a duplicate block_id',
        'home',
        {
          type: 'home',
          blocks: [
            { type: 'divider', block_id: 'b' },
            { type: 'divider', block_id: 'b' },
          ],
        },
        /duplicate block_id b/,
      ],
      [
        'a view over 250 kB',
        'home',
        { type: 'home', blocks: Array.from({ length: 90 }, () => section('漢'.repeat(1000))) },
        /JSON size in bytes is \d+, over the limit of 250000/,
      ],
      [
        'a 25-character modal title',
        'modal',
        { ...csrModal(), title: { type: 'plain_text', text: 'x'.repeat(25) } },
        /title: text length is 25, over the limit of 24/,
      ],
      ['a modal with inputs and no submit', 'modal', { ...csrModal(), submit: undefined }, /needs a submit button/],
      [
        'a text input longer than Slack allows',
        'modal',
        {
          ...csrModal(),
          blocks: [
            {
              type: 'input',
              label: { type: 'plain_text', text: 'CSR' },
              element: { type: 'plain_text_input', action_id: 'c', max_length: 8000 },
            },
          ],
        },
        /max_length must be an integer from 1 to 3000/,
      ],
      [
        'an unknown block type',
        'message',
        { text: 'x', blocks: [{ type: 'sectoin' }] },
        /block type sectoin is not one that these views use/,
      ],
    ];

    it.each(cases)('%s', (_name, surface, payload, expected) => {
      expect(() => assertWithinSlackLimits(surface, payload)).toThrow(expected);
    });
  });

  it('clips without splitting surrogate pairs, entities or mentions', () => {
    expect(clip('😀😀😀', 4)).toBe('😀…');
    expect(clipMrkdwn('ab &amp; cd', 6)).toBe('ab …');
    expect(clipMrkdwn(`hi <@${ALICE}> there`, 8)).toBe('hi …');
  });
});

describe('re-enabling a paused certificate', () => {
  it("offers Re-enable, behind a confirmation, on the owner's own suspended certificate", async () => {
    const { homeView } = await import('../../src/slack/views/home');
    const { ACTION } = await import('../../src/slack/ids');
    const now = new Date('2026-11-22T10:00:00Z');
    const paused = {
      serial: '0A0B',
      cn: 'jane.phone-U0JANE.vpn.test',
      slackId: 'U0JANE',
      device: 'phone',
      status: 'suspended' as const,
      issuedAt: now,
      notBefore: now,
      notAfter: new Date('2027-11-22T10:00:00Z'),
      source: 'issued' as const,
      issuedBy: 'U0JANE',
    };
    const view = JSON.stringify(homeView({ userId: 'U0JANE', now, certificates: [paused], recentLogins: [] }));
    expect(view).toContain(ACTION.reenable);
    expect(view).toMatch(/Re-enable this certificate\?/);
  });
});
