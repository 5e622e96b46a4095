/**
 * A WebSocket test client over the `ws` package: every server message is
 * parsed and kept (with its exact text), and `next(predicate)` takes the first
 * matching message not taken yet, waiting for it if needed, so a test can
 * follow each channel of a multiplexed socket on its own.
 */
import WebSocket from 'ws';
import { rawDataText } from '../../../src/shared/raw-data.js';

/** A server message: the parsed JSON, loosely typed for assertions. */
export type ServerMessage = Record<string, unknown> & { readonly type: string };

export interface Received {
  readonly message: ServerMessage;
  /** The exact text of the frame. */
  readonly raw: string;
  /** Receive order on this socket, from 0. */
  readonly index: number;
  /** Sent as a binary frame (the protocol is JSON text; kept so a test can check). */
  readonly binary: boolean;
}

export type Predicate = (message: ServerMessage) => boolean;

interface Waiter {
  readonly predicate: Predicate;
  readonly resolve: (received: Received) => void;
}

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

export class TestClient {
  /** Every message received, in order. */
  readonly received: Received[] = [];
  private readonly untaken: Received[] = [];
  private readonly waiters = new Set<Waiter>();
  private closeInfo: CloseInfo | undefined;
  private readonly closed: Promise<CloseInfo>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      // Binary frames are decoded too, so one frame-type bug does not hide every other behaviour.
      const raw = rawDataText(data);
      let message: ServerMessage;
      try {
        message = JSON.parse(raw) as ServerMessage;
      } catch {
        message = { type: '<not JSON>', raw };
      }
      const received: Received = { message, raw, index: this.received.length, binary: isBinary };
      this.received.push(received);
      for (const waiter of this.waiters) {
        if (waiter.predicate(message)) {
          this.waiters.delete(waiter);
          waiter.resolve(received);
          return;
        }
      }
      this.untaken.push(received);
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
      });
    });
    socket.on('error', () => undefined);
  }

  /** Opens a socket; rejects if the upgrade is refused or the socket fails to open. */
  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const socket = new WebSocket(url, options);
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => {
        socket.terminate();
        reject(new Error(`upgrade refused with HTTP ${response.statusCode}`));
      });
      socket.once('error', reject);
    });
    return client;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get closeResult(): CloseInfo | undefined {
    return this.closeInfo;
  }

  /**
   * /ws: sends a subscribe message and takes its `subscribed` answer (waiting
   * for it), so later `next(...)` calls see only what follows.
   */
  async subscribe(request: SubscribeRequest, timeoutMs = 5_000): Promise<Received> {
    const channel = channelOf(request);
    this.send({ type: 'subscribe', ...request });
    return this.nextReceived(onChannel(channel, 'subscribed'), timeoutMs, `subscribed to ${channel}`);
  }

  send(message: object | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first not-yet-taken message matching `predicate` (default: any); waits up to timeoutMs for it. */
  next(predicate: Predicate = () => true, timeoutMs = 5_000, description = 'a matching message'): Promise<ServerMessage> {
    return this.nextReceived(predicate, timeoutMs, description).then((received) => received.message);
  }

  nextReceived(predicate: Predicate = () => true, timeoutMs = 5_000, description = 'a matching message'): Promise<Received> {
    const at = this.untaken.findIndex((received) => predicate(received.message));
    if (at >= 0) return Promise.resolve(this.untaken.splice(at, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const last = this.received.slice(-5).map((r) => r.raw.slice(0, 200));
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}; close: ${JSON.stringify(this.closeInfo)}; last messages:\n${last.join('\n')}`));
      }, timeoutMs);
      const waiter: Waiter = {
        predicate,
        resolve: (received) => {
          clearTimeout(timer);
          resolve(received);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Takes the next `count` messages matching `predicate`, in order. */
  async take(count: number, predicate: Predicate, timeoutMs = 5_000, description = 'messages'): Promise<ServerMessage[]> {
    const messages: ServerMessage[] = [];
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < count; i++) {
      messages.push(await this.next(predicate, Math.max(1, deadline - Date.now()), `${description} (${i + 1} of ${count})`));
    }
    return messages;
  }

  /**
   * Waits until at least `count` messages matching `predicate` were received
   * after receive index `afterIndex` (taken or not); resolves with all of them.
   */
  async receivedAfter(afterIndex: number, predicate: Predicate, count: number, timeoutMs = 5_000): Promise<ServerMessage[]> {
    const matching = () => this.received.filter((r) => r.index > afterIndex && predicate(r.message)).map((r) => r.message);
    const deadline = Date.now() + timeoutMs;
    while (matching().length < count) {
      if (Date.now() > deadline) throw new Error(`only ${matching().length} of ${count} messages after #${afterIndex} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return matching();
  }

  /** All received messages (taken or not) matching `predicate`. */
  all(predicate: Predicate = () => true): ServerMessage[] {
    return this.received.filter((received) => predicate(received.message)).map((received) => received.message);
  }

  /** Resolves with the close code and reason; rejects if the socket is still open after timeoutMs. */
  async expectClose(timeoutMs = 5_000): Promise<CloseInfo> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes (normal close), falling back to terminate; resolves once closed. */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(1000);
    try {
      await this.expectClose(2_000);
    } catch {
      this.socket.terminate();
    }
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/**
 * Attempts an upgrade that is expected to be refused: resolves with the HTTP
 * status, or with 0 when the connection itself failed (e.g. ECONNREFUSED).
 * Rejects if the socket opens.
 */
export function refusedUpgradeStatus(url: string, timeoutMs = 5_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no answer to the upgrade of ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      resolve(response.statusCode ?? -1);
      socket.terminate();
    });
    socket.once('open', () => {
      clearTimeout(timer);
      socket.terminate();
      reject(new Error(`the upgrade of ${url} was accepted`));
    });
    socket.on('error', (error) => {
      if (error.message.includes('Unexpected server response')) return;
      clearTimeout(timer);
      resolve(0);
    });
  });
}

export interface SubscribeRequest {
  readonly subscription: string;
  readonly symbol: string;
  readonly timeframe?: string;
  readonly since?: number;
  readonly limit?: number;
}

/** The channel a (well-formed) request names, e.g. candles:BTCUSDT:1. */
export function channelOf(request: Pick<SubscribeRequest, 'subscription' | 'symbol' | 'timeframe'>): string {
  const symbol = request.symbol.toUpperCase();
  return request.subscription === 'candles' ? `candles:${symbol}:${request.timeframe ?? ''}` : `${request.subscription}:${symbol}`;
}

/* ---------- predicates ---------- */

export const ofType =
  (type: string): Predicate =>
  (message) =>
    message.type === type;

export const onChannel =
  (channel: string, type?: string): Predicate =>
  (message) =>
    message.channel === channel && (type === undefined || message.type === type);

export const isError =
  (code?: string): Predicate =>
  (message) =>
    message.type === 'error' && (code === undefined || message.code === code);

/** snapshots and updates of one channel (not subscribed/unsubscribed/errors). */
export const dataOf =
  (channel: string): Predicate =>
  (message) =>
    message.channel === channel && (message.type === 'snapshot' || message.type === 'update');

export function seqOf(message: ServerMessage): number {
  const seq = message.seq;
  if (typeof seq !== 'number') throw new Error(`no numeric seq in ${JSON.stringify(message).slice(0, 200)}`);
  return seq;
}

