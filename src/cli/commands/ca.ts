import type { Command } from 'commander';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { VpnChatopsError } from '../../domain/errors';
import type { NewFiles } from '../../ports';
import { SERVER_CERT_FILES, initCa, issueServerCertificate } from '../../services/ca-setup';
import { migrateEasyRsa } from '../../services/import-easyrsa';
import { Wiring, actor, out, readInput } from '../io';

function readPassphrase(file?: string): string | undefined {
  if (file) return readInput(file, '--passphrase-file').replace(/\r?\n$/, '');
  return process.env.VPNCTL_CA_PASSPHRASE || undefined;
}

/** Files in --out-dir, each created new. */
function outDirFiles(dir: string): NewFiles {
  return {
    async create(name, text, mode) {
      const path = join(dir, name);
      const file = await open(path, 'wx', mode).catch((error: NodeJS.ErrnoException) => {
        throw new VpnChatopsError(
          'STATE',
          `Cannot write ${path} (${error.code}): use an existing, empty --out-dir; no file is ever overwritten.`,
        );
      });
      try {
        await file.writeFile(text);
        await file.close();
      } catch (error) {
        await unlink(path).catch(() => undefined);
        throw error;
      }
    },
    remove: (name) => unlink(join(dir, name)),
  };
}

export function addCaCommands(program: Command, wiring: Wiring): void {
  const ca = program.command('ca').description('the certificate authority');
  ca.command('init')
    .description('create a new CA (RSA-2048, 10 years) in the CA store')
    .option('--secret <id>', 'store it in this Secrets Manager secret instead of CA_SECRET_ID / STATE_DIR')
    .option('--name <cn>', 'the CA common name')
    .option('--force', 'replace an existing CA (every certificate it issued stops working)')
    .action(async (options: { secret?: string; name?: string; force?: boolean }) => {
      const cli = wiring();
      const caStore = cli.caStore(options.secret);
      await initCa(
        { caStore, database: cli.withCheckedStores },
        { commonName: options.name, certDomain: cli.config.CERT_DOMAIN, overwrite: options.force, actor: actor() },
      );
      out(`✔ CA created in ${caStore.location}`);
      out(
        '  For AWS Client VPN, import its certificate into ACM (see docs): the endpoint must trust it for client authentication.',
      );
    });

  ca.command('server-cert')
    .description(
      'write a server certificate for the Client VPN endpoint (and ca.crt), ready for `aws acm import-certificate`',
    )
    .requiredOption('--cn <dns-name>', 'the server name, a DNS name, e.g. server.vpn.example.com (ACM wants a domain)')
    .requiredOption(
      '--out-dir <dir>',
      'an existing folder; server.crt, server.key (mode 0600) and ca.crt must not exist in it yet',
    )
    .option('--secret <id>', 'the CA in this Secrets Manager secret instead of CA_SECRET_ID / STATE_DIR')
    .action(async (options: { cn: string; outDir: string; secret?: string }) => {
      const cli = wiring();
      if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(options.cn)) {
        throw new VpnChatopsError(
          'INVALID_CONFIG',
          `--cn "${options.cn}" is not a lower-case DNS name; ACM refuses a server certificate without a domain. Example: --cn server.${cli.config.CERT_DOMAIN}`,
        );
      }
      const issued = await issueServerCertificate(
        { ca: await cli.loadCa(options.secret), files: outDirFiles(options.outDir), database: cli.withCheckedStores },
        { cn: options.cn, actor: actor() },
      );
      const path = (name: string) => join(options.outDir, name);
      out(
        `✔ server certificate ${options.cn}, serial ${issued.serial}, expires ${issued.notAfter.toISOString().slice(0, 10)}, in ${options.outDir}`,
      );
      out(
        `  aws acm import-certificate --certificate fileb://${path(SERVER_CERT_FILES.certificate)} --private-key fileb://${path(SERVER_CERT_FILES.key)} --certificate-chain fileb://${path(SERVER_CERT_FILES.chain)}`,
      );
      out('  Then delete server.key: ACM keeps the only copy the endpoint needs.');
    });

  ca.command('import-easyrsa <dir>')
    .description('import an Easy-RSA 3 PKI: its CA, every certificate and revocation (client keys are never read)')
    .option('--secret <id>', 'store the CA in this Secrets Manager secret')
    .option('--passphrase-file <file>', 'file holding the CA key passphrase (or set VPNCTL_CA_PASSPHRASE)')
    .option('--force', 'replace an existing CA in the store')
    .action(async (dir: string, options: { secret?: string; passphraseFile?: string; force?: boolean }) => {
      const cli = wiring();
      const migrated = await migrateEasyRsa(
        { caStore: cli.caStore(options.secret), database: cli.withCheckedStores },
        {
          dir,
          passphrase: () => readPassphrase(options.passphraseFile),
          overwrite: options.force,
          certDomain: cli.config.CERT_DOMAIN,
          actor: actor(),
        },
      );
      out(`✔ CA "${migrated.subject}" stored in ${migrated.location}`);
      out(`✔ ${migrated.written} of ${migrated.certificates} certificates imported (${migrated.revoked} revoked)`);
      for (const warning of migrated.warnings) out(`⚠ ${warning}`);
      out('Next: `vpnctl crl publish` puts a CRL with every imported revocation on the endpoints.');
    });
}
