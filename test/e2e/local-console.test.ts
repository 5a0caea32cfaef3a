import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chmod } from 'node:fs/promises';
import { BrowserContext, Page, chromium } from 'playwright-core';
import { CONNECTED, RunningOpenVpn, startOpenVpn, clientArgs } from '../helpers/openvpn';
import {
  StackPorts,
  StackProcess,
  freeStackPorts,
  isRunning,
  lockedChildren,
  stackEnv,
  startStackProcess,
} from '../helpers/stack';
import { HAS_TUN, OPENVPN, describeWith, tempDir } from '../helpers/tools';
import { eventually } from '../helpers/eventually';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'local-console');
const HAS_JAVA = process.env.TEST_DYNAMODB_ENDPOINT !== undefined;
const APPROVAL_TIMEOUT_S = 20;

/** Debian's Chromium as the machine notes prescribe: headless, no sandbox (root), nothing reaching out to the network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describeWith(
  {
    openvpn: OPENVPN !== undefined,
    '/dev/net/tun': HAS_TUN,
    'Java 17+ (DynamoDB Local)': HAS_JAVA,
    'chromium (/usr/bin/chromium)': existsSync(CHROMIUM),
  },
  'npm start in a real browser: issue, connect with a real OpenVPN client, approve with 👍, revoke',
  () => {
    let dir: ReturnType<typeof tempDir>;
    let ports: StackPorts;
    let stack: StackProcess;
    let context: BrowserContext;
    let page: Page;
    let children: number[] = [];
    const clients: RunningOpenVpn[] = [];
    let profile: string;
    let shot = 0;

    const screenshot = (name: string) =>
      page.screenshot({ path: join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-${name}.png`) });
    const serverLog = () => readFileSync(join(dir.path, 'state', 'openvpn', 'openvpn.log'), 'utf8');
    const message = (text: string | RegExp) => page.getByTestId('message').filter({ hasText: text });
    const beAs = async (user: string) => {
      await page.getByTestId('who').selectOption(user);
      await page.waitForFunction(`document.getElementById('who').value === '${user}'`);
    };
    const command = async (text: string) => {
      await page.getByTestId('composer').fill(text);
      await page.getByTestId('composer').press('Enter');
    };

    beforeAll(async () => {
      rmSync(ARTIFACTS, { recursive: true, force: true });
      mkdirSync(ARTIFACTS, { recursive: true });
      dir = tempDir('e2e-console');
      ports = await freeStackPorts();
      stack = startStackProcess(
        stackEnv(join(dir.path, 'state'), ports, { APPROVAL_TIMEOUT_S: String(APPROVAL_TIMEOUT_S) }),
      );
      await stack.waitFor(/Ready in [\d.]+ s/, 150_000);
      children = lockedChildren(join(dir.path, 'state'));
      context = await chromium.launchPersistentContext(join(dir.path, 'chromium'), {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        acceptDownloads: true,
        viewport: { width: 1280, height: 860 },
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(30_000);
      await page.goto(`http://localhost:${ports.port}/`);
    }, 180_000);

    afterAll(async () => {
      await context?.close();
      await Promise.all(clients.map((client) => client.stop()));
      const code = await stack?.interrupt(60_000);
      // A clean Ctrl-C: every child of npm start is gone with it, and the state dir is unlocked.
      expect(code).toBe(0);
      expect(stack.output()).toMatch(/stopped; state kept/);
      for (const pid of children) expect(isRunning(pid)).toBe(false);
      expect(existsSync(join(dir.path, 'state', 'npm-start.lock'))).toBe(false);
      dir?.remove();
    }, 90_000);

    it('starts DynamoDB Local, the CA and OpenVPN, and says what runs where', () => {
      const output = stack.output();
      expect(output).toMatch(/created a development CA in .*state\/ca \(key mode 0600\)/);
      expect(statSync(join(dir.path, 'state', 'ca', 'ca.key')).mode & 0o777).toBe(0o600);
      expect(output).toMatch(new RegExp(`DynamoDB Local at http://127\\.0\\.0\\.1:${ports.dynamodb}`));
      expect(output).toMatch(
        new RegExp(
          `OpenVPN 2\\.6\\.\\d+ on udp 127\\.0\\.0\\.1:${ports.vpn}, management 127\\.0\\.0\\.1:${ports.management}`,
        ),
      );
      // Every local user can reach loopback: the management port, which can approve any login, asks for a password,
      // and the stack got past it (its bridge is connected, or it would not be ready).
      const passwordFile = join(dir.path, 'state', 'openvpn', 'management.pw');
      expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
      expect(serverLog()).toContain(
        `--management 127.0.0.1 ${ports.management} ${passwordFile} --management-client-auth`,
      );
      expect(output).toMatch(new RegExp(`Console +http://localhost:${ports.port}/`));
      expect(children).toHaveLength(2);
    });

    it('(1) the admin opens the App Home and sees CRL health read back from the local endpoint', async () => {
      await beAs('U0ADMIN');
      await page.getByTestId('app-vpn-chatops').click();
      await page.getByTestId('tab-home').click();
      const home = page.getByTestId('home');
      await home.getByText('VPN administration').waitFor();
      await expect(home.innerText()).resolves.toMatch(/CRL health · 1 ✅ OK[\s\S]*openvpn:local[\s\S]*Live CRL #1/);
      await screenshot('admin-home-crl-health');
    }, 60_000);

    it('(2) Alice runs /vpn issue and downloads her profile from the DM', async () => {
      await beAs('U0ALICE');
      await page.getByTestId('tab-messages').click();
      await command('/vpn issue laptop');
      await message(/Issuing your certificate/).waitFor();
      const file = page.getByTestId('file').filter({ hasText: /alice-example\.laptop--[a-z2-7]{5}-U0ALICE/ });
      await file.waitFor({ timeout: 30_000 });
      await message(/Your VPN profile is ready/).waitFor();
      await screenshot('alice-profile-in-dm');
      const [download] = await Promise.all([page.waitForEvent('download'), file.click()]);
      expect(download.suggestedFilename()).toMatch(/^alice-example\.laptop--[a-z2-7]{5}-U0ALICE\.vpn\.local\.ovpn$/);
      profile = join(dir.path, 'alice.ovpn');
      await download.saveAs(profile);
      await chmod(profile, 0o600);
      const text = readFileSync(profile, 'utf8');
      expect(text).toContain(`remote 127.0.0.1 ${ports.vpn}`);
      expect(text).toMatch(/<key>[\s\S]*PRIVATE KEY[\s\S]*<\/key>/);
      expect(text).toContain('<tls-crypt>');
    }, 60_000);

    it('(3) a real OpenVPN client connects once Alice reacts 👍 to the approval DM in the console', async () => {
      const client = startOpenVpn(clientArgs(profile));
      clients.push(client);
      const prompt = message(/Is this you connecting to the VPN\?/);
      await prompt.waitFor({ timeout: 30_000 });
      await expect(prompt.innerText()).resolves.toMatch(
        /From: 127\.0\.0\.1[\s\S]*alice-example\.laptop--[a-z2-7]{5}-U0ALICE\.vpn\.local[\s\S]*openvpn:local/,
      );
      expect(client.log()).not.toMatch(CONNECTED);
      await screenshot('approval-prompt');

      // The same message once the bot rewrites it, found by its ts.
      const sameMessage = page.locator(`article[data-ts="${await prompt.getAttribute('data-ts')}"]`);
      await prompt.hover();
      await prompt.getByTestId('react-+1').click();
      await client.waitFor(CONNECTED, { timeoutMs: 30_000 });
      await sameMessage.getByText('Approved').waitFor();
      await expect(sameMessage.innerText()).resolves.toMatch(/👍 1/);
      await screenshot('approved-and-connected');
      expect(serverLog()).toMatch(/MANAGEMENT: CMD 'client-auth-nt \d+ \d+'/);
    }, 60_000);

    it('(4) the admin revokes Alice: her live session is ended through the shared management connection', async () => {
      const client = clients[0];
      await beAs('U0ADMIN');
      await page.getByTestId('channel-general').click();
      await command('/vpn revoke @alice');
      const confirm = message(/Revoke <@U0ALICE>'s VPN certificates\?|Revoke @Alice Example's VPN certificates\?/);
      await confirm.waitFor();
      await confirm.getByRole('button', { name: 'Revoke' }).click();
      const report = message(/Revoked 1 certificate; 1 session ended; CRL/);
      await report.waitFor({ timeout: 40_000 });
      await expect(report.innerText()).resolves.toMatch(/openvpn:local: 1 session terminated/);
      await screenshot('admin-revoked-alice');
      // client-kill … HALT: the client is told to stop, not to reconnect.
      await eventually(
        () => client.process.exitCode !== null || client.process.signalCode !== null,
        "the killed client's exit",
        20_000,
      );
      expect(client.log()).toMatch(/SIGTERM\[soft,server-pushed-halt\] received, process exiting/);
    }, 90_000);

    it("(5) Alice's next connection is refused by the CRL, without a prompt", async () => {
      const promptsBefore = await message(/Is this you connecting to the VPN\?/).count();
      const since = serverLog().length;
      const retry = startOpenVpn(clientArgs(profile));
      clients.push(retry);
      await eventually(
        () =>
          /VERIFY ERROR: depth=0, error=certificate revoked.*alice-example\.laptop--[a-z2-7]{5}-U0ALICE/.test(
            serverLog().slice(since),
          ),
        'the server refusing the revoked certificate',
        30_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(retry.log()).not.toMatch(CONNECTED);
      await retry.stop();

      await beAs('U0ALICE');
      await page.getByTestId('app-vpn-chatops').click();
      await page.getByTestId('tab-messages').click();
      expect(await message(/Is this you connecting to the VPN\?/).count()).toBe(promptsBefore);
      await page.getByTestId('tab-home').click();
      await page.getByTestId('home').getByText('⛔ Revoked').first().waitFor();
      await screenshot('alice-home-revoked');
    }, 60_000);

    it('shows a block it cannot draw as its JSON instead of dropping it', async () => {
      const shown = await page.evaluate(
        `BlockKit.renderBlocks([{ type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [] }] }], { users: [], onButton() {} }).textContent`,
      );
      expect(shown).toMatch(/cannot draw a "rich_text" block/);
      expect(shown).toContain('"rich_text_section"');
    });
  },
);
