import type { Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { normalizeDevice } from '../../../domain/cn';
import { VpnChatopsError } from '../../../domain/errors';
import { DAY_MS } from '../../../domain/time';
import { checkAdmin } from '../../../services/authorization';
import { checkEligible } from '../../../services/eligibility';
import { grantAccess } from '../../../services/grants';
import { tell } from '../../access';
import { accessGrantedMessage } from '../../views/access-granted';
import { formatTime } from '../../views/format';
import { notEligibleMessage } from '../../views/not-eligible';
import type { ListenerDeps } from '../../context';
import { certificateListMessage, statusMessage } from '../../views/certificate-list';
import { errorMessage } from '../../views/errors';
import { helpMessage } from '../../views/help';
import { progressMessage } from '../../views/progress';
import { revokeConfirmMessage } from '../../views/revoke-confirm';
import { ACK_BUDGET_MS, Ack, answerWithin, ephemeral } from './answer-within';
import { Since, VpnCommand, parseVpnCommand } from './parse';

/** What `/vpn audit` exports when no start is given. */
const AUDIT_DEFAULT_DAYS = 30;

/** `/vpn …`: parse, check, answer at once; anything slow becomes a job that reports through response_url. */
export const vpnCommand =
  (deps: ListenerDeps): Middleware<SlackCommandMiddlewareArgs> =>
  async ({ command, ack, respond }) => {
    const { answer, finish } = answerWithin(
      ACK_BUDGET_MS,
      (response) => ack(response),
      async (response) => void (await respond(response)),
      () =>
        deps.log(
          `/vpn: no answer within ${ACK_BUDGET_MS / 1000} s, acknowledged with a holding message; the answer follows through response_url (is DynamoDB stalled?)`,
        ),
    );
    try {
      await handle(
        parseVpnCommand(command.text ?? ''),
        command.user_id,
        command.team_id,
        command.response_url,
        answer,
        deps,
      );
    } catch (error) {
      deps.log('/vpn failed', error);
      await answer(
        ephemeral(
          errorMessage(
            error instanceof VpnChatopsError
              ? error.message
              : 'Something went wrong and nothing was changed. Try again in a minute.',
          ),
        ),
      );
    } finally {
      finish();
    }
  };

/** False, once the refusal is answered, when `userId` is not an admin; the service decides and audits it. */
async function allowed(deps: ListenerDeps, userId: string, what: string, ack: Ack): Promise<boolean> {
  if (await checkAdmin(deps, userId, what)) return true;
  await ack(ephemeral(errorMessage(`Only VPN admins can ${what}. Ask one of them, or see \`/vpn help\`.`)));
  return false;
}

async function handle(
  command: VpnCommand,
  userId: string,
  teamId: string,
  responseUrl: string,
  ack: Ack,
  deps: ListenerDeps,
): Promise<void> {
  const { certificates, clock, admins, jobs } = deps;
  switch (command.kind) {
    case 'help': {
      const help = helpMessage(admins.knownAdmin(userId));
      if (!command.problem) return ack(ephemeral(help));
      const problem = errorMessage(command.problem);
      return ack(ephemeral({ text: `${problem.text}\n${help.text}`, blocks: [...problem.blocks, ...help.blocks] }));
    }
    case 'issue': {
      if (command.device !== undefined) normalizeDevice(command.device);
      const eligibility = await checkEligible(deps.access, userId);
      if (!eligibility.eligible) return ack(ephemeral(notEligibleMessage(eligibility)));
      await jobs.enqueue({
        type: 'issue',
        userId,
        teamId,
        device: command.device,
        responseUrl,
        ...(command.hours !== undefined && { validHours: command.hours }),
      });
      return ack(
        ephemeral(
          progressMessage('⏳ Issuing your certificate; your profile arrives in a DM from me in a few seconds.'),
        ),
      );
    }
    case 'revoke': {
      const targetId = command.target ?? userId;
      if (targetId !== userId && !(await allowed(deps, userId, "revoke other people's certificates", ack))) return;
      const revocable = (await certificates.byUser(targetId)).filter((c) => c.status !== 'revoked');
      if (revocable.length === 0) {
        return ack(
          ephemeral(
            errorMessage(
              targetId === userId
                ? 'You have no certificates to revoke.'
                : `<@${targetId}> has no certificates to revoke.`,
            ),
          ),
        );
      }
      const label = targetId === userId ? 'your' : `<@${targetId}>'s`;
      return ack(
        ephemeral(revokeConfirmMessage({ slackId: targetId, label, certificates: revocable }, command.reason)),
      );
    }
    case 'grant': {
      const grant = await grantAccess(
        { ...deps.access, clock },
        { actor: userId, slackId: command.target, hours: command.hours, reason: command.reason },
      );
      const told = await tell(deps.access, grant.slackId, accessGrantedMessage(grant)).then(
        () => true,
        (error: unknown) => (deps.log('could not tell the grantee', error), false),
      );
      return ack(
        ephemeral(
          progressMessage(
            `✅ <@${grant.slackId}> may issue a VPN certificate until ${formatTime(grant.until)}${told ? '; I told them in a DM.' : ', but I could not DM them: tell them yourself.'}`,
          ),
        ),
      );
    }
    case 'status':
      return ack(ephemeral(statusMessage(await certificates.byUser(userId), clock.now())));
    case 'list': {
      if (!(await allowed(deps, userId, 'list certificates', ack))) return;
      if (command.target)
        return ack(
          ephemeral(certificateListMessage(await certificates.byUser(command.target), clock.now(), command.target)),
        );
      // A page and the totals by status: counting tens of thousands is not for Slack's 3 seconds.
      await jobs.enqueue({ type: 'list', actorId: userId, responseUrl });
      return ack(ephemeral(progressMessage('⏳ Listing every certificate…')));
    }
    case 'crl': {
      if (!(await allowed(deps, userId, 'see CRL health', ack))) return;
      await jobs.enqueue({ type: 'crl-status', actorId: userId, responseUrl });
      return ack(ephemeral(progressMessage('⏳ Reading the CRL back from every endpoint…')));
    }
    case 'logs': {
      if (!(await allowed(deps, userId, 'read connection logs', ack))) return;
      await jobs.enqueue({
        type: command.tls ? 'logs-tls' : 'logs',
        actorId: userId,
        hours: command.hours,
        responseUrl,
      });
      return ack(ephemeral(progressMessage("⏳ Reading every endpoint's connection log…")));
    }
    case 'doctor': {
      if (!(await allowed(deps, userId, 'run doctor', ack))) return;
      await jobs.enqueue({ type: 'doctor', actorId: userId, responseUrl });
      return ack(
        ephemeral(
          progressMessage(
            '⏳ Checking the CA, every endpoint, its CRL and certificates, DynamoDB, Slack and the clock…',
          ),
        ),
      );
    }
    case 'audit': {
      if (!(await allowed(deps, userId, 'export the audit trail', ack))) return;
      const since = resolveSince(command.since ?? { days: AUDIT_DEFAULT_DAYS }, clock.now());
      if (since.getTime() > clock.now().getTime())
        return ack(
          ephemeral(
            errorMessage(
              `${since.toISOString()} is in the future; nothing was exported. Give a past date or a number of days, e.g. 30d.`,
            ),
          ),
        );
      await jobs.enqueue({
        type: 'audit-export',
        actorId: userId,
        slackId: command.target,
        since: since.toISOString(),
        responseUrl,
      });
      const whose = command.target ? ` for <@${command.target}>` : '';
      return ack(
        ephemeral(
          progressMessage(
            `⏳ Exporting the audit trail${whose} since ${since.toISOString().slice(0, 16).replace('T', ' ')} UTC; the CSV arrives in your DM from me.`,
          ),
        ),
      );
    }
  }
}

const resolveSince = (since: Since, now: Date): Date =>
  'at' in since ? since.at : new Date(now.getTime() - since.days * DAY_MS);
