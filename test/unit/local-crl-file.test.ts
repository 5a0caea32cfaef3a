import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crlNeedsPublishing, removeForeignCrl } from '../../src/local/openvpn-server';
import { buildCrl } from '../../src/pki/crl';
import { testCa } from '../helpers/ca';
import { tempDir } from '../helpers/tools';

describe("npm start's crl-verify file before its agent starts", () => {
  let dir: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    dir = tempDir('local-crl');
    file = join(dir.path, 'crl.pem');
  });
  afterEach(() => dir.remove());

  it('keeps a current CRL of our CA and publishes nothing', async () => {
    const ca = await testCa();
    writeFileSync(file, buildCrl({ ca, number: 7n, revocations: [], days: 180 }).pem);
    expect(removeForeignCrl(file, ca)).toBe(false);
    expect(existsSync(file)).toBe(true);
    expect(crlNeedsPublishing(file, ca, 30)).toBe(false);
  });

  it('keeps a CRL of our CA that is due, and publishes a new one', async () => {
    const ca = await testCa();
    writeFileSync(file, buildCrl({ ca, number: 7n, revocations: [], days: 10 }).pem);
    expect(removeForeignCrl(file, ca)).toBe(false);
    expect(crlNeedsPublishing(file, ca, 30)).toBe(true);
  });

  it("removes another CA's CRL, even a current one with a higher number, so the agent can write ours", async () => {
    const [ca, old] = await Promise.all([testCa(), testCa('A development CA moved away')]);
    writeFileSync(file, buildCrl({ ca: old, number: 40n, revocations: [], days: 180 }).pem);
    expect(crlNeedsPublishing(file, ca, 30)).toBe(true);
    expect(removeForeignCrl(file, ca)).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  it('removes a file that is not a CRL', async () => {
    const ca = await testCa();
    writeFileSync(file, 'not a CRL');
    expect(crlNeedsPublishing(file, ca, 30)).toBe(true);
    expect(removeForeignCrl(file, ca)).toBe(true);
    expect(existsSync(file)).toBe(false);
  });
});
