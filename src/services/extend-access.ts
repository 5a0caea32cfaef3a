import type { CertificateRecord } from '../domain/certificate';
import { VpnChatopsError } from '../domain/errors';
import { refuse } from './authorization';
import { RenewalDeps, renewCertificate } from './certificate-renewal';
import { extendRefusal } from './extend-refusal';
import type { IssueResult } from './issue';
import { lifetimeHours } from './time-boxed';

export interface ExtendDeps extends RenewalDeps {
  access: { certDays: number; maxHours: number };
}

/**
 * Extend time-boxed access by as long again (within MAX_ACCESS_HOURS). A certificate's notAfter cannot
 * change, so this is a renewal: a replacement for the same device, delivered like any profile, that retires
 * the old one when it connects (the old one runs out minutes later anyway). Audited as certificate.extend.
 */
export async function extendAccess(
  deps: ExtendDeps,
  request: { serial: string; userId: string; displayName: string; endsBy?: Date },
): Promise<{ old: CertificateRecord; issued: IssueResult; hours: number }> {
  const now = deps.clock.now();
  const old = await deps.certificates.get(request.serial);
  if (!old || old.slackId !== request.userId)
    return refuse(
      deps.audit,
      { actor: request.userId, what: 'extend', details: { serial: request.serial.slice(0, 40) }, at: now },
      'You can only extend your own VPN access.',
    );
  const refusal = await extendRefusal(deps.certificates, old, request.userId, now, deps.access.certDays);
  if (refusal) throw new VpnChatopsError('CONFLICT', refusal);
  const { issued } = await renewCertificate(deps, { ...request, action: 'certificate.extend' });
  return { old, issued, hours: lifetimeHours(issued.record) };
}
