import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { messageOf } from '../../domain/errors';
import type { HandshakeOutcome, HandshakeProbe, HandshakeTarget } from '../../ports';

/** OpenVPN's opcodes sit in the top five bits of a packet's first byte, the key id in the low three. */
const P_CONTROL_HARD_RESET_CLIENT_V2 = 7;

/** A server answers a reset within milliseconds on its own host; two seconds of silence is a drop. */
export const PROBE_WAIT_MS = 2_000;

/**
 * The first packet a client without tls-auth/tls-crypt sends: the reset opcode (key id 0), a random session id,
 * no acks, packet id 0, no HMAC and no encryption. A server that enforces tls-crypt cannot unwrap it and drops it.
 */
export function unwrappedReset(): Buffer {
  return Buffer.concat([Buffer.from([P_CONTROL_HARD_RESET_CLIENT_V2 << 3]), randomBytes(8), Buffer.alloc(5)]);
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Sends the unwrapped reset over UDP (a connected socket, so ICMP port unreachable reads as ECONNREFUSED) or TCP. */
export class OpenVpnHandshakeProbe implements HandshakeProbe {
  constructor(private readonly waitMs = PROBE_WAIT_MS) {}

  isThisHost(host: string): boolean {
    if (isLoopback(host)) return true;
    return Object.values(networkInterfaces()).some((addresses) =>
      (addresses ?? []).some((address) => address.address === host),
    );
  }

  probe(target: HandshakeTarget): Promise<HandshakeOutcome> {
    return target.proto === 'udp' ? this.udp(target) : this.tcp(target);
  }

  private udp(target: HandshakeTarget): Promise<HandshakeOutcome> {
    return new Promise((resolve) => {
      const socket = createSocket(isIP(target.host) === 6 ? 'udp6' : 'udp4');
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const done = (outcome: HandshakeOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.close();
        resolve(outcome);
      };
      socket.on('error', (error: NodeJS.ErrnoException) =>
        done(error.code === 'ECONNREFUSED' ? { outcome: 'nothing-listening' } : failed(error)),
      );
      socket.on('message', (message) => done({ outcome: 'answered', opcode: message[0] >> 3 }));
      socket.connect(target.port, target.host, () => {
        socket.send(unwrappedReset(), (error) => {
          if (error) return done(failed(error));
          timer = setTimeout(() => done({ outcome: 'silent', waitedMs: this.waitMs }), this.waitMs);
        });
      });
    });
  }

  /** Over TCP every packet carries a two-byte length; a server that drops it closes the connection or says nothing. */
  private tcp(target: HandshakeTarget): Promise<HandshakeOutcome> {
    return new Promise((resolve) => {
      const packet = unwrappedReset();
      const length = Buffer.alloc(2);
      length.writeUInt16BE(packet.length);
      const socket = connect({ host: target.host, port: target.port });
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const started = Date.now();
      const done = (outcome: HandshakeOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(outcome);
      };
      socket.on('error', (error: NodeJS.ErrnoException) =>
        done(error.code === 'ECONNREFUSED' ? { outcome: 'nothing-listening' } : failed(error)),
      );
      socket.on('data', (data) => done({ outcome: 'answered', opcode: (data.length > 2 ? data[2] : 0) >> 3 }));
      socket.on('close', () => done({ outcome: 'silent', waitedMs: Date.now() - started, hungUp: true }));
      socket.on('connect', () => {
        socket.write(Buffer.concat([length, packet]));
        timer = setTimeout(() => done({ outcome: 'silent', waitedMs: this.waitMs }), this.waitMs);
      });
    });
  }
}

const failed = (error: unknown): HandshakeOutcome => ({ outcome: 'error', detail: messageOf(error) });
