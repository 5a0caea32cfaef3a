import { CaMaterial, CertificateAuthority, createCa } from '../pki/ca';
import { IssuedCertificate, issueWithNewKey } from '../pki/certificate';
import type { AuditLog, CaStore, DatabaseScope, NewFiles } from '../ports';

/** A new CA (RSA-2048, 10 years) in `store`, which refuses to replace one unless `overwrite` is set. */
export async function createCaIn(
  store: CaStore,
  commonName: string,
  options: { overwrite?: boolean } = {},
): Promise<CaMaterial> {
  const material = await createCa({ commonName });
  await store.save(material, { overwrite: options.overwrite });
  return material;
}

export interface CaSetupDeps {
  caStore: CaStore;
  database: DatabaseScope<{ audit: AuditLog }>;
}

/** `vpnctl ca init`: a new CA and its audit entry. */
export async function initCa(
  deps: CaSetupDeps,
  request: { commonName?: string; certDomain: string; overwrite?: boolean; actor: string },
): Promise<void> {
  const { caStore } = deps;
  // The database first: a CA saved without its audit entry would also refuse a second try.
  await deps.database(async ({ audit }) => {
    await createCaIn(caStore, request.commonName ?? `vpn-chatops CA (${request.certDomain})`, {
      overwrite: request.overwrite,
    });
    await audit.append({
      actor: request.actor,
      action: 'ca.init',
      target: caStore.location,
      outcome: 'success',
      details: { replaced: Boolean(request.overwrite) },
    });
  });
}

/** What `aws acm import-certificate` takes: the certificate, its key and the chain. */
export const SERVER_CERT_FILES = { key: 'server.key', certificate: 'server.crt', chain: 'ca.crt' } as const;

export interface ServerCertDeps {
  ca: CertificateAuthority;
  files: NewFiles;
  database: DatabaseScope<{ audit: AuditLog }>;
}

/**
 * `vpnctl ca server-cert`: a server certificate for the Client VPN endpoint, its key (mode 0600) and
 * the CA certificate. All three and the audit entry, or none: files already written are removed again.
 */
export async function issueServerCertificate(
  deps: ServerCertDeps,
  request: { cn: string; actor: string },
): Promise<Pick<IssuedCertificate, 'serial' | 'notAfter'>> {
  const { ca, files } = deps;
  // Client VPN accepts RSA-2048 at most; ten years, capped at the CA's own expiry.
  const issued = await issueWithNewKey({ ca, cn: request.cn, profile: 'server', days: 3650 });
  const contents: [string, string, number][] = [
    [SERVER_CERT_FILES.key, issued.keyPem, 0o600],
    [SERVER_CERT_FILES.certificate, issued.certPem, 0o644],
    [SERVER_CERT_FILES.chain, ca.certPem, 0o644],
  ];
  // Inside the database's scope, so that an unreachable database leaves no key file behind.
  await deps.database(async ({ audit }) => {
    const written: string[] = [];
    try {
      for (const [name, text, mode] of contents) {
        await files.create(name, text, mode);
        written.push(name);
      }
      await audit.append({
        actor: request.actor,
        action: 'ca.server-cert',
        target: request.cn,
        outcome: 'success',
        details: { serial: issued.serial, notAfter: issued.notAfter.toISOString() },
      });
    } catch (error) {
      await Promise.all(written.map((name) => files.remove(name).catch(() => undefined)));
      throw error;
    }
  });
  return { serial: issued.serial, notAfter: issued.notAfter };
}
