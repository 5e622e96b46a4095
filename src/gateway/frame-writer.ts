/**
 * The fan-out fast path: a bus message is framed once, and each client's
 * socket gets the same framed bytes; the writes of one event-loop turn (one
 * bus read, usually several messages) leave a socket in one writev.
 *
 * Why not `ws.send` per client: it frames every message anew for every client
 * and writes each at once, so a message to N clients costs N framings and N
 * syscalls. Writing pre-framed bytes to the socket under `ws` is safe here
 * because nothing else is in flight in its sender: permessage-deflate is off
 * for such a client (a compressing client keeps `ws.send`), and `ws` writes
 * uncompressed frames synchronously, so frames never interleave. Its
 * `bufferedAmount` counts the socket's buffer, so the send bounds still hold.
 * @module
 */
import type { Duplex } from 'node:stream';

/** A server-to-client text frame (RFC 6455 §5.2: FIN, opcode 1, unmasked). */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) frame[1] = length;
  else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}

/** Framed bytes per payload Buffer, built by the first client that sends it and shared by the rest. */
const framed = new WeakMap<Buffer, Buffer>();

export function framedOnce(payload: Buffer): Buffer {
  let frame = framed.get(payload);
  if (!frame) framed.set(payload, (frame = textFrame(payload)));
  return frame;
}

/**
 * Corks a socket on its first write of a turn and uncorks every corked socket
 * once, after the turn's I/O callbacks (setImmediate): one writev per socket
 * per turn instead of one write per message. Anything else written to a
 * corked socket meanwhile (`ws.send` of a snapshot, a ping) joins the same
 * writev in call order. With `windowMs` > 0 the sockets stay corked that long
 * (a timer instead of setImmediate): fewer, larger writes for that much latency.
 */
export class TurnBatcher {
  private corked = new Set<Duplex>();

  /** `onFlush` learns how many sockets each flush uncorked: one write each (the gateway counts them). */
  constructor(
    private readonly windowMs = 0,
    private readonly onFlush: (sockets: number) => void = () => undefined,
  ) {}

  write(socket: Duplex, frame: Buffer): void {
    if (!this.corked.has(socket)) {
      socket.cork();
      if (this.corked.size === 0) {
        if (this.windowMs > 0) setTimeout(() => this.flush(), this.windowMs);
        else setImmediate(() => this.flush());
      }
      this.corked.add(socket);
    }
    socket.write(frame);
  }

  private flush(): void {
    const sockets = this.corked;
    this.corked = new Set();
    for (const socket of sockets) socket.uncork();
    this.onFlush(sockets.size);
  }
}
