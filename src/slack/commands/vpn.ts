import type { App, RespondArguments } from '@slack/bolt';
import { normalizeDevice } from '../../domain/cn';
import { VpnChatopsError } from '../../domain/errors';
import type { ListenerDeps } from '../context';
import { certificateListMessage, errorMessage, helpMessage, progressMessage, revokeConfirmMessage, statusMessage } from '../views/messages';
import type { MessageView } from '../views/types';
import { VpnCommand, parseVpnCommand } from './parse';

type Ack = (response: RespondArguments) => Promise<void>;
const ephemeral = (message: MessageView): RespondArguments => ({ response_type: 'ephemeral', ...message });

/** `/vpn …`: parse, check, answer at once; anything slow becomes a job that reports through response_url. */
export function registerVpnCommand(app: App, deps: ListenerDeps): void {
  app.command('/vpn', async ({ command, ack }) => {
    const respondNow: Ack = (response) => ack(response);
    try {
      await handle(parseVpnCommand(command.text ?? ''), command.user_id, command.team_id, command.response_url, respondNow, deps);
    } catch (error) {
      deps.log('/vpn failed', error);
      await respondNow(ephemeral(errorMessage(error instanceof VpnChatopsError ? error.message : 'Something went wrong and nothing was changed. Try again in a minute.')));
    }
  });
}

async function refuse(deps: ListenerDeps, userId: string, what: string, ack: Ack): Promise<void> {
  await deps.audit.append({ actor: userId, action: 'access.refused', target: userId, outcome: 'refused', details: { what } });
  await ack(ephemeral(errorMessage(`Only VPN admins can ${what}. Ask one of them, or see \`/vpn help\`.`)));
}

async function handle(command: VpnCommand, userId: string, teamId: string, responseUrl: string, ack: Ack, deps: ListenerDeps): Promise<void> {
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
      await jobs.enqueue({ type: 'issue', userId, teamId, device: command.device, responseUrl });
      return ack(ephemeral(progressMessage('⏳ Issuing your certificate; your profile arrives in a DM from me in a few seconds.')));
    }
    case 'revoke': {
      const targetId = command.target ?? userId;
      if (targetId !== userId && !(await admins.isAdmin(userId))) return refuse(deps, userId, "revoke other people's certificates", ack);
      const revocable = (await certificates.byUser(targetId)).filter((c) => c.status !== 'revoked');
      if (revocable.length === 0) {
        return ack(ephemeral(errorMessage(targetId === userId ? 'You have no certificates to revoke.' : `<@${targetId}> has no certificates to revoke.`)));
      }
      const label = targetId === userId ? 'your' : `<@${targetId}>'s`;
      return ack(ephemeral(revokeConfirmMessage({ slackId: targetId, label, certificates: revocable }, command.reason)));
    }
    case 'status':
      return ack(ephemeral(statusMessage(await certificates.byUser(userId), clock.now())));
    case 'list': {
      if (!(await admins.isAdmin(userId))) return refuse(deps, userId, 'list certificates', ack);
      if (command.target) return ack(ephemeral(certificateListMessage(await certificates.byUser(command.target), clock.now(), `<@${command.target}>`)));
      // Every certificate is a whole-table read: too slow to risk inside Slack's 3 seconds.
      await jobs.enqueue({ type: 'list', actorId: userId, responseUrl });
      return ack(ephemeral(progressMessage('⏳ Listing every certificate…')));
    }
    case 'crl': {
      if (!(await admins.isAdmin(userId))) return refuse(deps, userId, 'see CRL health', ack);
      await jobs.enqueue({ type: 'crl-status', actorId: userId, responseUrl });
      return ack(ephemeral(progressMessage('⏳ Reading the CRL back from every endpoint…')));
    }
    case 'logs': {
      if (!(await admins.isAdmin(userId))) return refuse(deps, userId, 'read connection logs', ack);
      await jobs.enqueue({ type: 'logs', actorId: userId, hours: command.hours, responseUrl });
      return ack(ephemeral(progressMessage('⏳ Reading every endpoint\'s connection log…')));
    }
  }
}
