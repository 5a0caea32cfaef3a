import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrowserContext, Page, chromium } from 'playwright-core';
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

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'access-request-console');
const HAS_JAVA = process.env.TEST_DYNAMODB_ENDPOINT !== undefined;
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
  'ISSUE_POLICY=request npm start in a real browser: Alice requests access, Ada approves, the profile is in her DM',
  () => {
    let dir: ReturnType<typeof tempDir>;
    let ports: StackPorts;
    let stack: StackProcess;
    let context: BrowserContext;
    let page: Page;
    let children: number[] = [];
    let shot = 0;

    const screenshot = (name: string) =>
      page.screenshot({ path: join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-${name}.png`) });
    const message = (text: string | RegExp) => page.getByTestId('message').filter({ hasText: text });
    const beAs = async (user: string) => {
      await page.getByTestId('who').selectOption(user);
      await page.waitForFunction(`document.getElementById('who').value === '${user}'`);
    };

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      dir = tempDir('e2e-access-request');
      ports = await freeStackPorts();
      // No ADMIN_CHANNEL_ID: npm start brings its console's admin channel, which ISSUE_POLICY=request needs.
      stack = startStackProcess(stackEnv(join(dir.path, 'state'), ports, { ISSUE_POLICY: 'request' }));
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
      const code = await stack?.interrupt(60_000);
      expect(code).toBe(0);
      for (const pid of children) expect(isRunning(pid)).toBe(false);
      dir?.remove();
    }, 90_000);

    it('Alice is not in the group: /vpn issue answers with the request button, and she sends a request', async () => {
      await beAs('U0ALICE');
      await page.getByTestId('app-vpn-chatops').click();
      await page.getByTestId('tab-messages').click();
      await page.getByTestId('composer').fill('/vpn issue laptop');
      await page.getByTestId('composer').press('Enter');
      const refused = message(/not in the group that may issue/);
      await refused.waitFor();
      await screenshot('alice-not-eligible');
      await refused.getByRole('button', { name: 'Request VPN access' }).click();

      const modal = page.getByTestId('modal');
      await modal.waitFor();
      await modal.locator('[name="device/device_value"]').fill('laptop');
      await modal.locator('[name="duration/duration_value"]').fill('3d');
      await modal.locator('[name="reason/reason_value"]').fill('on call this weekend');
      await screenshot('alice-request-modal');
      await page.getByTestId('modal-submit').click();
      await modal.waitFor({ state: 'detached' });
      await message(/Your VPN access request went to the admins/).waitFor();
    }, 60_000);

    it('Ada sees it in #vpn-admins and approves; the message shows who approved', async () => {
      await beAs('U0ADMIN');
      await page.getByTestId('channel-vpn-admins').click();
      const request = message(/asks for VPN access on laptop for 3d/);
      await request.waitFor();
      // The duration select is drawn (fixed at the asked 3d), not shown as JSON.
      await expect(request.locator('select').inputValue()).resolves.toBe('72');
      expect(await request.getByTestId('unsupported').count()).toBe(0);
      await screenshot('ada-sees-request');
      await request.getByRole('button', { name: 'Approve' }).click();
      await message(/Approved by @Ada Admin for 3d|Approved by <@U0ADMIN> for 3d/).waitFor({ timeout: 40_000 });
      await screenshot('ada-approved');
    }, 60_000);

    it("Alice's DM holds her profile, for 3 days", async () => {
      await beAs('U0ALICE');
      await page.getByTestId('app-vpn-chatops').click();
      await page.getByTestId('tab-messages').click();
      const file = page.getByTestId('file').filter({ hasText: /alice-example\.laptop--[a-z2-7]{5}-U0ALICE/ });
      await file.waitFor({ timeout: 30_000 });
      await message(/approved your VPN access request for 3d/).waitFor();
      await screenshot('alice-profile-in-dm');
      const [download] = await Promise.all([page.waitForEvent('download'), file.click()]);
      const saved = join(dir.path, 'alice.ovpn');
      await download.saveAs(saved);
      expect(readFileSync(saved, 'utf8')).toMatch(/<key>[\s\S]*PRIVATE KEY[\s\S]*<\/key>/);
      expect(stack.output()).not.toMatch(/access request not posted/);
    }, 60_000);
  },
);
