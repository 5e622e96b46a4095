/**
 * A bare WebSocket client for the bench's unsampled connections: the upgrade
 * by hand, then frames walked in place in each TCP chunk, no per-message
 * allocation or event. With ten thousand connections on one core the client
 * process must cost far less per message than the server it measures; the
 * `ws` library costs about as much as a good server does, so it is kept for
 * the sampled clients (and wherever permessage-deflate is to be offered).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface RawFrameHandler {
  /** A text frame, as bytes in `chunk` from `start` to `end` (valid only during the call). */
  onText(chunk: Buffer, start: number, end: number): void;
  onClose(): void;
}

const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;

export class RawWsClient {
  private socket: Socket | undefined;
  private pending: Buffer | undefined;
  private upgraded = false;
  closed = false;

  constructor(private readonly handler: RawFrameHandler) {}

  /** Resolves once the server answered 101. */
  open(url: string): Promise<void> {
    const { hostname, port, pathname, search } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.setNoDelay(true);
    this.socket = socket;
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('close', () => {
        this.closed = true;
        this.handler.onClose();
      });
      socket.once('connect', () => {
        const key = randomBytes(16).toString('base64');
        socket.write(`GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      socket.on('data', (chunk: Buffer) => {
        if (this.upgraded) return this.onData(chunk);
        const buffered = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return void (this.pending = buffered);
        this.pending = undefined;
        if (!buffered.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101')) return reject(new Error(buffered.subarray(0, end).toString('latin1')));
        this.upgraded = true;
        resolve();
        if (end + 4 < buffered.length) this.onData(buffered.subarray(end + 4));
      });
    });
  }

  sendText(text: string): void {
    this.sendFrame(OPCODE_TEXT, Buffer.from(text));
  }

  pause(): void {
    this.socket?.pause();
  }

  destroy(): void {
    this.socket?.destroy();
  }

  /** Client frames must be masked (RFC 6455 5.3); a zero mask keeps the payload as is. */
  private sendFrame(opcode: number, payload: Buffer): void {
    const length = payload.length;
    const header = length < 126 ? Buffer.alloc(6) : Buffer.alloc(8);
    header[0] = 0x80 | opcode;
    if (length < 126) header[1] = 0x80 | length;
    else {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    }
    this.socket?.write(Buffer.concat([header, payload]));
  }

  private onData(chunk: Buffer): void {
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let offset = 0;
    while (offset + 2 <= data.length) {
      const opcode = data[offset]! & 0x0f;
      let length = data[offset + 1]! & 0x7f;
      let headerLength = 2;
      if (length === 126) {
        if (offset + 4 > data.length) break;
        length = data.readUInt16BE(offset + 2);
        headerLength = 4;
      } else if (length === 127) {
        if (offset + 10 > data.length) break;
        length = Number(data.readBigUInt64BE(offset + 2));
        headerLength = 10;
      }
      const start = offset + headerLength;
      const end = start + length;
      if (end > data.length) break;
      if (opcode === OPCODE_TEXT) this.handler.onText(data, start, end);
      else if (opcode === OPCODE_PING) this.sendFrame(0xa, Buffer.from(data.subarray(start, end)));
      else if (opcode === OPCODE_CLOSE) this.socket?.end();
      offset = end;
    }
    if (offset < data.length) this.pending = Buffer.from(data.subarray(offset));
  }
}
