import { Socket, createSocket } from 'node:dgram';

/** Client addresses a relay serves; a test's clients are a handful, so more is a bug, not load. */
const MAX_PEERS = 16;
/** OpenVPN's packet kinds are the top five bits of a datagram's first byte (ssl_pkt.h); these are the ones a handshake uses. */
const OPCODES: Record<number, string> = {
  4: 'P_CONTROL_V1',
  5: 'P_ACK_V1',
  7: 'P_CONTROL_HARD_RESET_CLIENT_V2',
  8: 'P_CONTROL_HARD_RESET_SERVER_V2',
  9: 'P_DATA_V2',
  10: 'P_CONTROL_HARD_RESET_CLIENT_V3',
  11: 'P_CONTROL_WKC_V1',
};
/** Kinds remembered each way, so a chatty connected client cannot grow a test's memory. */
const KINDS_KEPT = 64;

export interface RelayedPackets {
  toServer: number;
  toClient: number;
  /** The kind of each of the first packets the server sent back. */
  toClientKinds: string[];
}

export interface UdpRelay {
  /** The loopback port clients send to instead of the server's. */
  port: number;
  /** Datagrams passed on from clients to the server, and from the server back to clients. */
  packets(): RelayedPackets;
  /** Close every socket it opened; again, nothing more. */
  stop(): Promise<void>;
}

const bound = (socket: Socket): Promise<void> =>
  new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });

/**
 * A UDP relay on loopback between OpenVPN clients and a server at 127.0.0.1:`serverPort`, counting the packets each
 * way: what the server really sends back, which its log alone cannot prove. Each client address gets its own socket
 * towards the server, so the server still sees one peer per client.
 */
export async function startUdpRelay(serverPort: number): Promise<UdpRelay> {
  const front = createSocket('udp4');
  const peers = new Map<string, Promise<Socket>>();
  const counts = { toServer: 0, toClient: 0, toClientKinds: [] as string[] };
  let turnedAway = 0;
  let stopped = false;
  await bound(front);

  /** Bound before the first send, and kept as a promise so a client's second packet waits for the same socket. */
  function towardsServer(address: string, port: number): Promise<Socket> | undefined {
    const key = `${address}:${port}`;
    if (!peers.has(key)) {
      if (peers.size >= MAX_PEERS) return undefined;
      const back = createSocket('udp4');
      back.on('message', (message) => {
        counts.toClient++;
        const opcode = message[0] >> 3;
        if (counts.toClientKinds.length < KINDS_KEPT) counts.toClientKinds.push(OPCODES[opcode] ?? `opcode ${opcode}`);
        front.send(message, port, address);
      });
      peers.set(
        key,
        bound(back).then(() => back),
      );
    }
    return peers.get(key);
  }

  front.on('message', (message, from) => {
    const back = towardsServer(from.address, from.port);
    if (!back) return void turnedAway++;
    void back.then((socket) => {
      counts.toServer++;
      socket.send(message, serverPort, '127.0.0.1');
    });
  });

  const close = (socket: Socket) => {
    socket.removeAllListeners('message');
    return new Promise<void>((resolve) => socket.close(() => resolve()));
  };
  return {
    port: front.address().port,
    packets: () => ({ ...counts, toClientKinds: [...counts.toClientKinds] }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const sockets = await Promise.all(peers.values());
      await Promise.all([front, ...sockets].map(close));
      peers.clear();
      if (turnedAway > 0)
        throw new Error(`the UDP relay turned away ${turnedAway} packets: more than ${MAX_PEERS} clients`);
    },
  };
}
