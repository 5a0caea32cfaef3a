import { VpnChatopsError, messageOf } from '../../domain/errors';
import type { ConnectionLogRead, ConnectionLogSource, ShippedLog } from '../../ports';

/**
 * An agent-served endpoint's connection log: what its agent parsed from the server's log and shipped
 * to the table hour by hour, since the bot cannot read a file on the VPN host.
 */
export class ShippedConnectionLog implements ConnectionLogSource {
  readonly endpoint: string;

  constructor(private readonly options: { name: string; shipped: Pick<ShippedLog, 'read'> }) {
    this.endpoint = `openvpn:${options.name}`;
  }

  async read(from: Date, to: Date): Promise<ConnectionLogRead> {
    let read: ConnectionLogRead;
    try {
      read = await this.options.shipped.read(this.endpoint, from, to);
    } catch (error) {
      if (error instanceof VpnChatopsError) throw error;
      throw new VpnChatopsError(
        'ENDPOINT',
        `${this.endpoint}: the log its agent shipped could not be read from the table (${messageOf(error)}): check that DynamoDB answers.`,
        { cause: error },
      );
    }
    return {
      ...read,
      notes: [
        ...(read.notes ?? []),
        'Shipped by `vpnctl agent` from the server log every minute: the newest attempts show within a minute or two, and hours while the agent was stopped show once it is back (it re-reads the last 24 h when it starts).',
      ],
    };
  }
}
