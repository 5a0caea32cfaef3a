import { VpnChatopsError } from '../../domain/errors';
import type { IssueResult } from '../../services/issue';
import { uploadToDm } from './upload';
import { issuedDmMessage } from '../views/issued-profile';
import { refuse } from '../../services/authorization';
import type { JobContext } from './context';

/**
 * Who may hold a VPN certificate: active people of this workspace, not bots, guests or people from
 * other organizations (Slack Connect). Refusals are audited. Returns the name the CN is built from.
 */
export async function memberName(
  deps: Pick<JobContext, 'client' | 'audit'>,
  userId: string,
  teamId: string | undefined,
  what: string,
): Promise<string> {
  const { user } = await deps.client.users.info({ user: userId });
  if (!user || user.deleted || user.is_bot)
    throw new VpnChatopsError('FORBIDDEN', 'Only active people in this workspace can get a VPN certificate.');
  const refuseAs = (why: string, message: string) =>
    refuse(deps.audit, { actor: userId, what, details: { why } }, message);
  // Slack Connect: people from other organizations can use apps in shared channels, but not our VPN.
  if (user.is_stranger || (teamId && user.team_id && user.team_id !== teamId))
    await refuseAs('external organization', 'People from other organizations cannot get VPN certificates here.');
  if (user.is_restricted || user.is_ultra_restricted)
    await refuseAs('guest account', 'Guest accounts cannot get VPN certificates; ask a VPN admin.');
  return user.real_name || user.profile?.real_name || user.name || userId;
}

/**
 * The profile (with the private key) into its owner's DM only, then the setup steps. The upload is
 * retried (see uploadToDm); only a profile that still could not be delivered, or perhaps only half,
 * is revoked, the full way so the CRL lists it too.
 */
export async function deliverProfile(
  deps: Pick<JobContext, 'client' | 'admin' | 'log'>,
  issued: IssueResult,
  options: { csr: boolean; accessHours?: number },
): Promise<string> {
  const { client, admin } = deps;
  const owner = issued.record.slackId!;
  const fileName = `${issued.record.cn}.ovpn`;
  let dm: string;
  try {
    ({ channel: dm } = await uploadToDm(client, owner, { filename: fileName, content: issued.profile }));
  } catch (error) {
    const serial = issued.record.serial;
    const revoked = await admin
      .revoke({ target: { serial }, reason: 'cessationOfOperation', actor: 'system:issue-rollback' })
      .then((report) => {
        const left = report.failed.find((failure) => failure.step === 'revoke');
        if (left) deps.log?.(`could not revoke undelivered certificate ${serial}`, left.error);
        return !left;
      })
      .catch(
        (revokeError: unknown) => (
          deps.log?.(`could not revoke undelivered certificate ${serial}`, revokeError),
          false
        ),
      );
    const after = revoked
      ? 'The certificate was revoked again so no undelivered key stays valid; run /vpn issue again.'
      : `The certificate (serial ${serial}) could not be revoked again: ask an admin to revoke it, then run /vpn issue again.`;
    throw new VpnChatopsError(
      'ENDPOINT',
      `Your profile could not be delivered to your DM: ${(error as Error).message} ${after}`,
    );
  }
  const guide = issuedDmMessage({
    cn: issued.record.cn,
    serial: issued.record.serial,
    notAfter: issued.record.notAfter,
    endpointKind: admin.profileEndpoint.kind,
    fileName,
    csr: options.csr,
    accessHours: options.accessHours,
  });
  await client.chat
    .postMessage({ channel: dm, ...guide })
    .catch((error: unknown) => deps.log?.('setup steps not posted', error));
  return fileName;
}
