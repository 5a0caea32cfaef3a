import { writeFileSync } from 'node:fs';
import { eventually } from './eventually';

interface ConsoleMessage {
  ts: string;
  text: string;
  bot: boolean;
  blocks: unknown;
  files: { id: string; name: string; url: string }[];
}

export const PROMPT = /Is this you connecting to the VPN/;

/**
 * A person at the local console (`npm start`), through its own JSON API on 127.0.0.1:PORT, which turns
 * each act into the signed request Slack would send the bot: what the page does, without a browser.
 */
export class ConsoleDriver {
  constructor(private readonly port: number) {}

  private url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async post(route: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const response = await fetch(this.url(`/console/api/${route}`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`console ${route}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  }

  async dm(user: string): Promise<ConsoleMessage[]> {
    const response = await fetch(this.url(`/console/api/state?user=${user}`));
    const state = (await response.json()) as { messages: Record<string, ConsoleMessage[]> };
    return state.messages[`D${user}`] ?? [];
  }

  command(user: string, text: string): Promise<Record<string, unknown>> {
    return this.post('command', { user, channel: `D${user}`, text });
  }

  /** `/vpn issue <device>`; the profile from the DM, saved (mode 0600) at `path`. */
  async issue(user: string, device: string, path: string, timeoutMs = 60_000): Promise<void> {
    const before = (await this.dm(user)).flatMap((message) => message.files).length;
    await this.command(user, `/vpn issue ${device}`);
    const file = await eventually(
      async () => (await this.dm(user)).flatMap((message) => message.files)[before],
      `${user}'s profile in the DM`,
      timeoutMs,
    );
    const response = await fetch(this.url(file.url));
    if (!response.ok) throw new Error(`profile download: ${response.status}`);
    writeFileSync(path, Buffer.from(await response.arrayBuffer()), { mode: 0o600 });
  }

  /** The newest approval prompt in `user`'s DM posted after `afterTs`. */
  prompt(user: string, afterTs = '0', timeoutMs = 30_000): Promise<ConsoleMessage> {
    return eventually(
      async () =>
        (await this.dm(user))
          .filter((message) => message.bot && PROMPT.test(message.text) && Number(message.ts) > Number(afterTs))
          .pop(),
      `an approval prompt in ${user}'s DM`,
      timeoutMs,
    );
  }

  react(user: string, message: { ts: string }, name = '+1'): Promise<Record<string, unknown>> {
    return this.post('react', { user, channel: `D${user}`, ts: message.ts, name });
  }
}
