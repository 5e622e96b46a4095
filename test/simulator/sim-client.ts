/**
 * A small WebSocket test client for the simulator: records every frame (raw
 * text and parsed), waits for frames matching a predicate (each frame can be
 * claimed once, in arrival order), and reports how the socket closed.
 */
import WebSocket from 'ws';
import { compareDecimal, isZeroDecimal } from '../../src/schemas/index.js';

/** Parsed JSON off the wire; the tests' assertions are what check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Wire = any;

export interface Received {
  readonly raw: string;
  readonly msg: Wire;
  readonly atMs: number;
}

export class SimClient {
  readonly frames: Received[] = [];
  private readonly claimed = new Set<number>();
  private waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: WebSocket.RawData) => {
      const raw = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      let msg: unknown;
      try {
        msg = JSON.parse(raw);
      } catch {
        msg = undefined;
      }
      this.frames.push({ raw, msg, atMs: Date.now() });
      this.notify();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code: number, reason: Buffer) => {
        resolve({ code, reason: reason.toString() });
        this.notify();
      });
    });
  }

  static connect(url: string): Promise<SimClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const client = new SimClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends a request and waits for the control reply (ack/error/pong) that echoes its op. */
  async request(message: { op: string; req_id?: string; args?: string[] }, timeoutMs = 3000): Promise<Wire> {
    const reqId = message.req_id;
    this.send(message);
    return this.next((m) => m?.topic === undefined && m?.op === message.op && (reqId === undefined || m.req_id === reqId), timeoutMs);
  }

  /** The first unclaimed frame matching `predicate` (waiting for it if needed); it is claimed. */
  async next(predicate: (msg: Wire, raw: string) => boolean, timeoutMs = 3000): Promise<Wire> {
    return (await this.nextFrame(predicate, timeoutMs)).msg;
  }

  async nextFrame(predicate: (msg: Wire, raw: string) => boolean, timeoutMs = 3000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let index = 0; index < this.frames.length; index += 1) {
        const frame = this.frames[index]!;
        if (!this.claimed.has(index) && predicate(frame.msg, frame.raw)) {
          this.claimed.add(index);
          return frame;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for a frame (${this.frames.length} received)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Claims `count` frames matching `predicate`, in order. */
  async collect(predicate: (msg: Wire) => boolean, count: number, timeoutMs = 5000): Promise<Wire[]> {
    const deadline = Date.now() + timeoutMs;
    const found: Wire[] = [];
    while (found.length < count) found.push(await this.next(predicate, Math.max(1, deadline - Date.now())));
    return found;
  }

  /** Unclaimed frames matching, without waiting. */
  unclaimed(predicate: (msg: Wire) => boolean): Wire[] {
    return this.frames.filter((frame, index) => !this.claimed.has(index) && predicate(frame.msg)).map((frame): Wire => frame.msg);
  }

  /** Claims everything received so far. */
  drain(): void {
    for (let index = 0; index < this.frames.length; index += 1) this.claimed.add(index);
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.socket.terminate();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export const isTopic = (topic: string) => (msg: Wire): boolean => msg?.topic === topic;
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A local book built by applying frames the way a careful client does, checking Bybit's rules as it goes. */
export class BookReplica {
  bids = new Map<string, string>();
  asks = new Map<string, string>();
  lastU: number | undefined;

  /** Applies a frame; throws on a rule violation (gap, delete of a missing level, delta before snapshot). */
  apply(frame: Wire): void {
    const data = frame.data;
    if (frame.type === 'snapshot') {
      this.bids = new Map(data.b.map((level: string[]) => [level[0], level[1]]));
      this.asks = new Map(data.a.map((level: string[]) => [level[0], level[1]]));
      this.lastU = data.u;
      return;
    }
    if (this.lastU === undefined) throw new Error('delta before snapshot');
    if (data.u !== this.lastU + 1) throw new Error(`gap: u ${data.u} after ${this.lastU}`);
    this.lastU = data.u;
    for (const [side, levels] of [[this.bids, data.b], [this.asks, data.a]] as const) {
      for (const [price, size] of levels as string[][]) {
        if (isZeroDecimal(size!)) {
          if (!side.has(price!)) throw new Error(`delete of missing level ${price}`);
          side.delete(price!);
        } else side.set(price!, size!);
      }
    }
  }

  sortedBids(): string[] {
    return [...this.bids.keys()].sort((a, b) => compareDecimal(b, a));
  }

  sortedAsks(): string[] {
    return [...this.asks.keys()].sort((a, b) => compareDecimal(a, b));
  }

  /** True when best bid >= best ask. */
  crossed(): boolean {
    const bid = this.sortedBids()[0];
    const ask = this.sortedAsks()[0];
    return bid !== undefined && ask !== undefined && compareDecimal(bid, ask) >= 0;
  }
}

/** Exact decimal string to a bigint at `scale` decimals (for summing volumes without floats). */
export function toUnits(text: string, scale: number): bigint {
  const [integer = '0', fraction = ''] = text.split('.');
  if (fraction.length > scale) throw new Error(`${text} has more than ${scale} decimals`);
  return BigInt(integer + fraction.padEnd(scale, '0'));
}
