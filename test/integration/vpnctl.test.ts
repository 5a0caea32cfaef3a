import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectDatabase } from '../../src/adapters/dynamodb/client';
import { freeTcpPort } from '../../src/adapters/dynamodb/local-server';
import { parseCrl } from '../../src/pki/crl';
import { DYNAMODB_ENDPOINT } from '../helpers/dynamodb';
import { buildSamplePki } from '../helpers/easyrsa';
import { EASYRSA, describeWith, run, tempDir } from '../helpers/tools';

const BIN = join(__dirname, '..', '..', 'bin', 'vpnctl.js');

describeWith(
  { 'DynamoDB Local (Java 17+)': DYNAMODB_ENDPOINT !== undefined, easyrsa: EASYRSA !== undefined },
  'vpnctl, the real binary',
  () => {
    let dir: ReturnType<typeof tempDir>;
    let env: NodeJS.ProcessEnv;
    const vpnctl = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      run(process.execPath, [BIN, ...args], { cwd: dir.path, env: { ...env, ...extra }, timeoutMs: 60_000 });

    beforeAll(() => {
      dir = tempDir('vpnctl');
      env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        STATE_DIR: join(dir.path, 'state'),
        DYNAMODB_ENDPOINT,
        TABLE_NAME: `cli-${randomBytes(4).toString('hex')}`,
        CERT_DOMAIN: 'vpn.example.com',
      };
    });
    afterAll(() => dir.remove());

    it('prints help and exits 2 on usage errors', async () => {
      const help = await vpnctl(['--help']);
      expect(help.code).toBe(0);
      for (const command of ['ca', 'issue', 'revoke', 'list', 'crl', 'audit']) expect(help.stdout).toContain(command);
      expect((await vpnctl(['bogus'])).code).toBe(2);
      expect((await vpnctl(['issue', '--user', 'U0X'])).code).toBe(2);
      const revoke = await vpnctl(['revoke']);
      expect(revoke.code).toBe(2);
      expect(revoke.stderr).toContain('revoke needs --user <slackId> or --serial <hex>');
      expect((await vpnctl(['revoke', '--user', 'U0X', '--serial', '01'])).code).toBe(2);
      expect((await vpnctl(['revoke', '--user', 'U0X', '--reason', 'because'])).code).toBe(2);
      // RFC 5280: removeFromCRL belongs in delta CRLs; on a full CRL OpenSSL would let the certificate connect.
      const removeFromCrl = await vpnctl(['revoke', '--user', 'U0X', '--reason', 'removeFromCRL']);
      expect(removeFromCrl.code).toBe(2);
      expect(removeFromCrl.stderr).toMatch(
        /removeFromCRL is not a reason to revoke: .*Use one of: unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise\./,
      );
    });

    it('says there is no CA yet, and what to run', async () => {
      const result = await vpnctl(['issue', '--user', 'U012ABCDEF', '--name', 'Jane', '--out', 'x.ovpn']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/No CA in .* yet: run `vpnctl ca init`/);
      expect(existsSync(join(dir.path, 'x.ovpn'))).toBe(false);
    });

    it('migrates an Easy-RSA PKI, then issues, lists, revokes, publishes and audits', async () => {
      await buildSamplePki(join(dir.path, 'legacy', 'pki'));
      const imported = await vpnctl(['ca', 'import-easyrsa', join(dir.path, 'legacy')]);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(imported.stdout).toMatch(/✔ 3 of 3 certificates imported \(1 revoked\)/);
      expect(statSync(join(dir.path, 'state', 'ca', 'ca.key')).mode & 0o777).toBe(0o600);

      const listed = JSON.parse((await vpnctl(['list', '--json'])).stdout) as {
        serial: string;
        cn: string;
        status: string;
        slackId?: string;
        source: string;
      }[];
      expect(listed.map((c) => [c.cn, c.status, c.slackId, c.source]).sort()).toEqual([
        ['alice-U0ALICE.vpn.example.com', 'active', 'U0ALICE', 'easyrsa'],
        ['bob-U0BOB.vpn.example.com', 'revoked', 'U0BOB', 'easyrsa'],
        ['carol-U0CAROL.vpn.example.com', 'active', 'U0CAROL', 'easyrsa'],
      ]);

      const issued = await vpnctl([
        'issue',
        '--user',
        'U012ABCDEF',
        '--name',
        'Jane Doe',
        '--device',
        'laptop',
        '--out',
        'jane.ovpn',
      ]);
      expect(issued.code).toBe(0);
      const profile = readFileSync(join(dir.path, 'jane.ovpn'), 'utf8');
      expect(profile).toMatch(/<cert>[\s\S]+<\/cert>\n<key>\n-----BEGIN PRIVATE KEY-----[\s\S]+<\/key>\n<tls-crypt>/);
      expect(statSync(join(dir.path, 'jane.ovpn')).mode & 0o777).toBe(0o600);
      const again = await vpnctl([
        'issue',
        '--user',
        'U012ABCDEF',
        '--name',
        'Jane Doe',
        '--device',
        'laptop',
        '--out',
        'jane-again.ovpn',
      ]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already has an active certificate for device "laptop"/);
      expect(existsSync(join(dir.path, 'jane-again.ovpn'))).toBe(false);

      // The break-glass path on a certificate Easy-RSA issued.
      const carol = listed.find((c) => c.cn.startsWith('carol'))!;
      const revoked = await vpnctl([
        'revoke',
        '--serial',
        carol.serial.toLowerCase(),
        '--reason',
        'affiliationChanged',
      ]);
      expect(revoked.stdout).toContain(`✔ database: revoked ${carol.serial}`);
      expect(revoked.stdout).toMatch(/✔ openvpn:local: CRL #1 with 2 entries/);
      // No local OpenVPN server runs here, so the session step fails and says so, and the exit code says so too.
      expect(revoked.stdout).toMatch(/✖ sessions on openvpn:local: .*refused the connection/);
      expect(revoked.code).toBe(1);
      const crl = parseCrl(readFileSync(join(dir.path, 'state', 'openvpn', 'crl.pem'), 'utf8'));
      expect(crl.revocations.map((r) => r.serial).sort()).toEqual(
        [carol.serial, listed.find((c) => c.cn.startsWith('bob'))!.serial].sort(),
      );

      const status = await vpnctl(['crl', 'status', '--json']);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toEqual([
        expect.objectContaining({
          endpoint: 'openvpn:local',
          health: 'ok',
          recordedNumber: '1',
          live: expect.objectContaining({ number: '1', entries: 2, signedByOurCa: true }),
        }),
      ]);

      const published = await vpnctl(['crl', 'publish']);
      expect(published.code).toBe(0);
      expect(published.stdout).toMatch(/CRL #2 with 2 entries/);

      const csv = (await vpnctl(['audit', '--csv'])).stdout;
      expect(csv.split('\r\n')[0]).toBe('time,actor,action,target,outcome,details');
      expect(csv).toMatch(/vpnctl:\w+,ca\.import,.*,success/);
      expect(csv).toMatch(/certificate\.issue,U012ABCDEF,success/);
      expect(csv).toMatch(/certificate\.revoke,U0CAROL,success/);
      expect(csv).toMatch(/sessions\.terminate,openvpn:local,failure/);
      expect((await vpnctl(['audit', '--since', 'yesterday'])).code).toBe(2);
    }, 120_000);

    it("runs the daily job for cron outside AWS: seed 000's CRL, 10 days from expiry, is renewed", async () => {
      const short = await vpnctl(['crl', 'publish'], { CRL_DAYS: '10', CRL_RENEW_BEFORE_DAYS: '5' });
      expect(short.code).toBe(0);
      const crlFile = join(dir.path, 'state', 'openvpn', 'crl.pem');
      const before = parseCrl(readFileSync(crlFile, 'utf8'));
      expect((before.nextUpdate!.getTime() - Date.now()) / 86_400_000).toBeLessThan(10.01);

      const daily = await vpnctl(['daily']);
      expect(daily.stderr).toBe('');
      expect(daily.stdout).toMatch(/^✔ openvpn:local: CRL renewed \(\d+\.\d days left before\)/m);
      // No OpenVPN server runs here: the sweep says so; without a Slack token, so do the reminders.
      expect(daily.stdout).toMatch(/^⚠ openvpn:local: sessions not swept: .*refused the connection/m);
      expect(daily.stdout).toMatch(/^⚠ expiry reminders and the weekly digest need Slack: set SLACK_BOT_TOKEN/m);
      expect(daily.code).toBe(0);
      const after = parseCrl(readFileSync(crlFile, 'utf8'));
      expect(after.number!).toBeGreaterThan(before.number!);
      expect((after.nextUpdate!.getTime() - Date.now()) / 86_400_000).toBeGreaterThan(179);
      // A second run the same day has nothing to renew.
      expect((await vpnctl(['daily'])).stdout).toMatch(/^✔ openvpn:local: CRL current, nothing to renew/m);
    });

    it('refuses to replace an existing CA, by init or by import, and imports nothing then', async () => {
      const result = await vpnctl(['ca', 'init']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/A CA already exists .*refusing to replace it/);
      const before = (await vpnctl(['list', '--json'])).stdout;
      await buildSamplePki(join(dir.path, 'other', 'pki'));
      const imported = await vpnctl(['ca', 'import-easyrsa', join(dir.path, 'other')]);
      expect(imported.code).toBe(1);
      expect(imported.stderr).toMatch(/A CA already exists .*--force/);
      expect((await vpnctl(['list', '--json'])).stdout).toBe(before);
    }, 60_000);

    it('imports nothing from a passphrase-protected PKI when the passphrase is wrong or missing', async () => {
      await buildSamplePki(join(dir.path, 'locked', 'pki'), 'correct horse');
      const fresh = {
        STATE_DIR: join(dir.path, 'locked-state'),
        TABLE_NAME: `cli-locked-${randomBytes(4).toString('hex')}`,
      };
      writeFileSync(join(dir.path, 'wrong.pass'), 'battery staple\n');
      const wrong = await vpnctl(
        ['ca', 'import-easyrsa', join(dir.path, 'locked'), '--passphrase-file', join(dir.path, 'wrong.pass')],
        fresh,
      );
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/passphrase is wrong/);
      const missing = await vpnctl(['ca', 'import-easyrsa', join(dir.path, 'locked')], fresh);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/encrypted; supply its passphrase/);
      expect(existsSync(join(dir.path, 'locked-state', 'ca'))).toBe(false);
      const listed = await vpnctl(['list', '--json'], fresh);
      expect(JSON.parse(listed.stdout)).toEqual([]);
    }, 120_000);

    it('writes a server certificate for ACM (serverAuth, SAN, chains to the CA, key matches), and never overwrites a file', async () => {
      const out = join(dir.path, 'acm');
      mkdirSync(out);
      const result = await vpnctl(['ca', 'server-cert', '--cn', 'server.vpn.example.com', '--out-dir', out]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(
        `aws acm import-certificate --certificate fileb://${join(out, 'server.crt')} --private-key fileb://${join(out, 'server.key')} --certificate-chain fileb://${join(out, 'ca.crt')}`,
      );
      expect(statSync(join(out, 'server.key')).mode & 0o777).toBe(0o600);
      const cert = new X509Certificate(readFileSync(join(out, 'server.crt')));
      expect(cert.verify(new X509Certificate(readFileSync(join(out, 'ca.crt'))).publicKey)).toBe(true);
      expect(cert.subjectAltName).toBe('DNS:server.vpn.example.com');
      expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(out, 'server.key'))))).toBe(true);
      expect(cert.toLegacyObject().ext_key_usage).toEqual(['1.3.6.1.5.5.7.3.1']);

      const before = readFileSync(join(out, 'server.key'));
      const again = await vpnctl(['ca', 'server-cert', '--cn', 'server.vpn.example.com', '--out-dir', out]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/Cannot write .*server.key \(EEXIST\)/);
      expect(readFileSync(join(out, 'server.key')).equals(before)).toBe(true);
      const bad = await vpnctl(['ca', 'server-cert', '--cn', 'Server VPN', '--out-dir', out]);
      expect(bad.stderr).toContain(
        '--cn "Server VPN" is not a lower-case DNS name; ACM refuses a server certificate without a domain. Example: --cn server.vpn.example.com',
      );
    }, 60_000);

    it("writes a CSR profile that refers to the member's own key file", async () => {
      const key = join(dir.path, 'own.key');
      const csr = join(dir.path, 'own.csr');
      await run('openssl', [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        csr,
        '-subj',
        '/CN=whatever',
      ]);
      const result = await vpnctl(['issue', '--user', 'U0CSR', '--name', 'Own Key', '--csr', csr, '--out', 'own.ovpn']);
      expect(result.code).toBe(0);
      const profile = readFileSync(join(dir.path, 'own.ovpn'), 'utf8');
      expect(profile).not.toContain('PRIVATE KEY');
      expect(profile).toMatch(/\nkey own-key--[a-z2-7]{5}-U0CSR\.vpn\.example\.com\.key\n/);
      writeFileSync(join(dir.path, 'garbage.csr'), 'not a csr');
      const garbage = await vpnctl([
        'issue',
        '--user',
        'U0CSR2',
        '--name',
        'Bad',
        '--csr',
        join(dir.path, 'garbage.csr'),
        '--out',
        'bad.ovpn',
      ]);
      expect(garbage.code).toBe(1);
      expect(garbage.stderr).toMatch(/not PEM/);
      expect(existsSync(join(dir.path, 'bad.ovpn'))).toBe(false);
      const missing = await vpnctl([
        'issue',
        '--user',
        'U0CSR3',
        '--name',
        'Missing',
        '--csr',
        join(dir.path, 'nowhere.csr'),
        '--out',
        'missing.ovpn',
      ]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(
        `✖ Cannot read --csr ${join(dir.path, 'nowhere.csr')} (ENOENT); nothing was changed.\n`,
      );
      expect(existsSync(join(dir.path, 'missing.ovpn'))).toBe(false);
      const blank = await vpnctl(['issue', '--user', 'U0CSR4', '--name', '  ', '--out', 'blank.ovpn']);
      expect(blank.code).toBe(2);
      expect(blank.stderr).toContain('--name is empty');
      expect(existsSync(join(dir.path, 'blank.ovpn'))).toBe(false);
      expect((await vpnctl(['list', '--json'])).stdout).not.toMatch(/U0CSR[34]/);

      const before = (await vpnctl(['list', '--json'])).stdout;
      const ecKey = join(dir.path, 'ec.key');
      const ecCsr = join(dir.path, 'ec.csr');
      await run('openssl', [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        ecKey,
        '-out',
        ecCsr,
        '-subj',
        '/CN=ec',
      ]);
      const ec = await vpnctl(['issue', '--user', 'U0EC', '--name', 'Elliptic', '--csr', ecCsr, '--out', 'ec.ovpn']);
      expect(ec.code).toBe(1);
      expect(ec.stderr).toMatch(/RSA/);
      const injected = await vpnctl(['issue', '--user', 'U0X,CN=root', '--name', 'Mallory', '--out', 'inj.ovpn']);
      expect(injected.code).toBe(1);
      expect(injected.stderr).toMatch(/Slack member ID/i);
      expect(existsSync(join(dir.path, 'ec.ovpn')) || existsSync(join(dir.path, 'inj.ovpn'))).toBe(false);
      expect((await vpnctl(['list', '--json'])).stdout).toBe(before);
    });

    it('fails clearly when DynamoDB is unreachable, and changes nothing', async () => {
      const before = (await vpnctl(['list', '--json'])).stdout;
      const result = await vpnctl(['revoke', '--user', 'U012ABCDEF'], { DYNAMODB_ENDPOINT: 'http://127.0.0.2:9' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Nothing answers at DYNAMODB_ENDPOINT=http:\/\/127\.0\.0\.2:9/);
      expect((await vpnctl(['list', '--json'])).stdout).toBe(before);

      const down = { DYNAMODB_ENDPOINT: 'http://127.0.0.2:9', STATE_DIR: join(dir.path, 'down-state') };
      const init = await vpnctl(['ca', 'init'], down);
      expect(init.code).toBe(1);
      expect(init.stderr).toMatch(/Nothing answers at DYNAMODB_ENDPOINT/);
      expect(existsSync(join(dir.path, 'down-state', 'ca'))).toBe(false);
      const out = join(dir.path, 'acm-down');
      mkdirSync(out);
      const serverCert = await vpnctl(['ca', 'server-cert', '--cn', 'server.vpn.example.com', '--out-dir', out], {
        DYNAMODB_ENDPOINT: 'http://127.0.0.2:9',
      });
      expect(serverCert.code).toBe(1);
      expect(readdirSync(out)).toEqual([]);
    });

    it('outside local mode, where nothing creates the table, stops at a missing table before writing a CA, key file or import', async () => {
      // AWS settings (so no table is created for us), with the SDK's own endpoint variable pointing at DynamoDB Local.
      const aws = {
        DYNAMODB_ENDPOINT: undefined,
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_DYNAMODB: DYNAMODB_ENDPOINT,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        TABLE_NAME: `cli-missing-${randomBytes(4).toString('hex')}`,
        STATE_DIR: join(dir.path, 'aws-state'),
      };
      const missing = `DynamoDB table ${aws.TABLE_NAME} does not exist`;
      const init = await vpnctl(['ca', 'init'], aws);
      expect(init.code).toBe(1);
      expect(init.stderr).toContain(missing);
      expect(existsSync(join(dir.path, 'aws-state', 'ca'))).toBe(false);

      cpSync(join(dir.path, 'state', 'ca'), join(dir.path, 'aws-state', 'ca'), { recursive: true });
      const out = join(dir.path, 'acm-missing-table');
      mkdirSync(out);
      const serverCert = await vpnctl(['ca', 'server-cert', '--cn', 'server.vpn.example.com', '--out-dir', out], aws);
      expect(serverCert.code).toBe(1);
      expect(serverCert.stderr).toContain(missing);
      expect(readdirSync(out)).toEqual([]);

      const imported = await vpnctl(['ca', 'import-easyrsa', join(dir.path, 'legacy')], {
        ...aws,
        STATE_DIR: join(dir.path, 'aws-import-state'),
      });
      expect(imported.code).toBe(1);
      expect(imported.stderr).toContain(missing);
      expect(existsSync(join(dir.path, 'aws-import-state', 'ca'))).toBe(false);

      const db = connectDatabase({ tableName: aws.TABLE_NAME, endpoint: DYNAMODB_ENDPOINT });
      try {
        await expect(db.doc.send(new DescribeTableCommand({ TableName: aws.TABLE_NAME }))).rejects.toMatchObject({
          name: 'ResourceNotFoundException',
        });
      } finally {
        db.doc.destroy();
      }
    });

    it('starts its own DynamoDB Local under STATE_DIR when nothing answers on loopback, and stops it again', async () => {
      const port = await freeTcpPort();
      const own = { DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}`, STATE_DIR: join(dir.path, 'own-state') };
      expect((await vpnctl(['ca', 'init'], own)).code).toBe(0);
      expect((await vpnctl(['issue', '--user', 'U0OWN', '--name', 'Own', '--out', 'own-db.ovpn'], own)).code).toBe(0);
      const listed = await vpnctl(['list'], own);
      expect(listed.stdout).toMatch(/own--[a-z2-7]{5}-U0OWN\.vpn\.example\.com/);
      expect(existsSync(join(dir.path, 'own-state', 'dynamodb', 'shared-local-instance.db'))).toBe(true);
      const probe = await fetch(`http://127.0.0.1:${port}`).then(
        () => 'answered',
        () => 'closed',
      );
      expect(probe).toBe('closed');
    }, 60_000);
  },
);
