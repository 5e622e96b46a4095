/**
 * A WebSocket client by hand on a TCP socket: it completes the upgrade and
 * then never answers anything (no pong, no close reply), like a client whose
 * process froze. It records the frames the server sends.
 */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface ServerFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

export interface FrozenClient {
  readonly socket: Socket;
  /** Frames received after the 101 response (unmasked server frames). */
  frames(): ServerFrame[];
  /** Resolves when the server closes the TCP connection. */
  readonly ended: Promise<void>;
}

export async function frozenClient(wsUrl: string, timeoutMs = 5_000): Promise<FrozenClient> {
  const url = new URL(wsUrl);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => undefined);
  let buffer = Buffer.alloc(0);
  let headerDone = false;
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const upgraded = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no 101 response')), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (headerDone) return;
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      buffer = buffer.subarray(end + 4);
      headerDone = true;
      clearTimeout(timer);
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
    });
    socket.once('close', () => reject(new Error('closed before the upgrade')));
  });
  socket.write(
    [
      `GET ${url.pathname}${url.search} HTTP/1.1`,
      `Host: ${url.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n'),
  );
  await upgraded;
  return { socket, ended, frames: () => parseFrames(buffer) };
}

/** Parses unmasked frames (server to client); stops at an incomplete one. */
function parseFrames(data: Buffer): ServerFrame[] {
  const frames: ServerFrame[] = [];
  let at = 0;
  while (at + 2 <= data.length) {
    const opcode = data[at]! & 0x0f;
    let length = data[at + 1]! & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (offset + 2 > data.length) break;
      length = data.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (offset + 8 > data.length) break;
      length = Number(data.readBigUInt64BE(offset));
      offset += 8;
    }
    if (offset + length > data.length) break;
    frames.push({ opcode, payload: data.subarray(offset, offset + length) });
    at = offset + length;
  }
  return frames;
}

/** The code and reason of a close frame's payload. */
export function closeFrame(frame: ServerFrame): { code: number; reason: string } {
  return { code: frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005, reason: frame.payload.subarray(2).toString('utf8') };
}
