/**
 * One Bybit v5 public WebSocket, kept alive forever: connect, subscribe in
 * batches, ping every 20 s, and treat the link as dead when a pong is missing,
 * when a socket with topics carries no data at all (a silent stall: pings can
 * keep working while data stops), or when a subscribe goes unacknowledged.
 * A dead link is terminated and reconnected with capped exponential backoff
 * and full jitter; the backoff resets once a connection has been healthy for a
 * while. Topics are the state (as in bybit-api): every wanted topic is
 * resubscribed on each new socket.
 *
 * Data frames are handed to the owner as parsed JSON; this module knows
 * nothing about what a kline or a book is.
 * @module
 */
import WebSocket from 'ws';
import type { Logger } from '../../shared/logger.js';
import { Backoff } from '../../shared/backoff.js';
import { rawDataText } from '../../shared/raw-data.js';
import { classifyInbound } from './bybit-control-frames.js';
import { TopicSubscriptions, type TopicRequest } from './topic-subscriptions.js';

export interface BybitConnectionTimings {
  /** `{"op":"ping"}` cadence (Bybit recommends 20 s). */
  readonly pingIntervalMs: number;
  /** A ping without a pong for this long means the link is dead. */
  readonly pongTimeoutMs: number;
  /** No data frame at all for this long on a socket with topics means a silent stall. */
  readonly silenceTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** A subscribe request without an ack for this long: reconnect. */
  readonly ackTimeoutMs: number;
  /** Backoff window: first ceiling and cap, ms (full jitter). */
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  /** Backoff restarts from the base once a connection has been healthy this long. */
  readonly healthyResetMs: number;
}

export type DeadLinkReason = 'pong-timeout' | 'silence' | 'ack-timeout' | 'resync-failed' | 'requested';

export interface BybitConnectionEvents {
  /** A socket opened; subscriptions are being (re)sent. */
  onOpen?(connectionNumber: number): void;
  /** The socket closed; `reconnectInMs` is undefined when stopping. */
  onClose?(info: { code: number; reason: string; reconnectInMs: number | undefined }): void;
  onData?(topic: string, frame: Record<string, unknown>, receivedAtMs: number): void;
  /** A frame that is not JSON or not an object: counted and dropped. */
  onMalformed?(raw: string, reason: string): void;
  onTopicActive?(topic: string): void;
  onTopicRejected?(topic: string, reason: string): void;
  onDeadLink?(reason: DeadLinkReason): void;
}

export interface BybitConnectionOptions {
  /** Full endpoint, e.g. wss://stream.bybit.com/v5/public/linear. */
  readonly url: string;
  readonly timings: BybitConnectionTimings;
  readonly logger: Logger;
  /** Args per subscribe request (Bybit spot rejects more than 10). */
  readonly batchSize?: number;
  readonly random?: () => number;
}

export interface BybitConnectionStats {
  readonly connects: number;
  readonly reconnects: number;
  readonly framesReceived: number;
  readonly malformedFrames: number;
  readonly pingsSent: number;
  readonly pongsReceived: number;
  readonly deadLinks: number;
}

export type BybitConnectionState = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';

const STOP_UNSUBSCRIBE_WAIT_MS = 1_000;
const STOP_CLOSE_WAIT_MS = 1_000;

export class BybitConnection {
  private socket: WebSocket | undefined;
  private readonly subscriptions: TopicSubscriptions;
  private readonly backoff: Backoff;
  private stateValue: BybitConnectionState = 'idle';
  private reconnectTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private openedAtMs = 0;
  private lastDataAtMs = 0;
  private awaitingPongSinceMs: number | undefined;
  private pingNumber = 0;
  private counters = { connects: 0, reconnects: 0, framesReceived: 0, malformedFrames: 0, pingsSent: 0, pongsReceived: 0, deadLinks: 0 };

  constructor(
    private readonly options: BybitConnectionOptions,
    private readonly events: BybitConnectionEvents = {},
  ) {
    this.subscriptions = new TopicSubscriptions(options.batchSize ?? 10);
    this.backoff = new Backoff(
      { baseMs: options.timings.reconnectBaseMs, maxMs: options.timings.reconnectMaxMs, minMs: Math.min(250, options.timings.reconnectBaseMs) },
      options.random,
    );
  }

  get state(): BybitConnectionState {
    return this.stateValue;
  }

  stats(): BybitConnectionStats {
    return { ...this.counters };
  }

  /** Epoch ms of the last data frame on the current socket (0 before any). */
  get lastDataAt(): number {
    return this.lastDataAtMs;
  }

  activeTopics(): string[] {
    return this.subscriptions.activeTopics();
  }
  rejectedTopics(): ReadonlyMap<string, string> {
    return this.subscriptions.rejectedTopics();
  }

  start(): void {
    if (this.stateValue !== 'idle') return;
    this.connect();
  }

  /** Replaces the wanted topic set; the difference is (un)subscribed now if connected. */
  setTopics(topics: Iterable<string>): void {
    const requests = this.subscriptions.setDesired(topics);
    // Topics added to a quiet socket (a standby worker taking a symbol over): silence counts from now.
    if (requests.some((request) => request.op === 'subscribe')) this.lastDataAtMs = Math.max(this.lastDataAtMs, Date.now());
    this.sendAll(requests);
  }

  /** Unsubscribe + subscribe one topic to get a fresh snapshot (e.g. after a book gap). */
  resync(topic: string): void {
    this.sendAll(this.subscriptions.resync(topic));
  }

  /** Drops the socket and reconnects (after backoff). */
  reconnect(reason: DeadLinkReason = 'requested'): void {
    this.declareDead(reason);
  }

  /** Unsubscribes, closes cleanly and stops reconnecting. Idempotent. */
  async stop(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    const socket = this.socket;
    const wasOpen = this.stateValue === 'open' && socket?.readyState === WebSocket.OPEN;
    this.stateValue = 'stopped';
    clearTimeout(this.reconnectTimer);
    this.clearSocketTimers();
    if (!socket) return;
    if (wasOpen) {
      const requests = this.subscriptions.unsubscribeAll();
      for (const request of requests) this.sendRequest(socket, request);
      if (requests.length > 0) await this.waitFor(() => this.subscriptions.pendingCount() === 0, STOP_UNSUBSCRIBE_WAIT_MS);
    }
    await new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, STOP_CLOSE_WAIT_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000, 'client shutdown');
    });
  }

  private connect(): void {
    this.stateValue = 'connecting';
    this.counters.connects++;
    const socket = new WebSocket(this.options.url, { handshakeTimeout: this.options.timings.connectTimeoutMs, perMessageDeflate: false });
    this.socket = socket;
    socket.on('open', () => this.onOpen(socket));
    socket.on('message', (data, isBinary) => this.onMessage(socket, data, isBinary));
    // 'error' always precedes 'close'; the close handler schedules the reconnect.
    socket.on('error', (error) => this.options.logger.warn({ err: error.message }, 'bybit socket error'));
    socket.on('close', (code, reason) => this.onSocketClose(socket, code, reason.toString()));
  }

  private onOpen(socket: WebSocket): void {
    if (socket !== this.socket || this.stateValue === 'stopped') return;
    this.stateValue = 'open';
    this.openedAtMs = Date.now();
    this.lastDataAtMs = this.openedAtMs;
    this.awaitingPongSinceMs = undefined;
    this.options.logger.info({ url: this.options.url, connection: this.counters.connects }, 'bybit connected');
    this.events.onOpen?.(this.counters.connects);
    this.sendAll(this.subscriptions.onConnected());
    this.ping();
    this.pingTimer = setInterval(() => this.ping(), this.options.timings.pingIntervalMs);
    const checkEveryMs = Math.max(50, Math.min(1_000, Math.floor(this.options.timings.pongTimeoutMs / 4), Math.floor(this.options.timings.silenceTimeoutMs / 4)));
    this.watchdogTimer = setInterval(() => this.checkHealth(), checkEveryMs);
  }

  private onMessage(socket: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    if (socket !== this.socket) return;
    const receivedAtMs = Date.now();
    const text = isBinary ? '' : rawDataText(data);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.counters.malformedFrames++;
      this.events.onMalformed?.(text.slice(0, 200), isBinary ? 'binary frame' : 'not JSON');
      return;
    }
    const inbound = classifyInbound(parsed);
    if (!inbound) {
      this.counters.malformedFrames++;
      this.events.onMalformed?.(text.slice(0, 200), 'not a JSON object');
      return;
    }
    switch (inbound.kind) {
      case 'data':
        this.counters.framesReceived++;
        this.lastDataAtMs = receivedAtMs;
        this.events.onData?.(inbound.topic, inbound.frame, receivedAtMs);
        return;
      case 'pong':
        this.counters.pongsReceived++;
        this.awaitingPongSinceMs = undefined;
        return;
      case 'ack':
        this.onAck(inbound.reqId, inbound.success, inbound.retMsg, inbound.op);
        return;
      case 'other':
        this.options.logger.debug({ frame: text.slice(0, 200) }, 'unrecognised bybit frame');
        return;
    }
  }

  private onAck(reqId: string | undefined, success: boolean, retMsg: string, op: string): void {
    if (!success) this.options.logger.warn({ reqId, op, retMsg }, 'bybit request failed');
    const outcome = this.subscriptions.onAck(reqId, success, retMsg);
    for (const topic of outcome.activated) {
      this.options.logger.info({ topic }, 'subscribed');
      this.events.onTopicActive?.(topic);
    }
    for (const { topic, reason } of outcome.rejected) {
      this.options.logger.error({ topic, reason }, 'bybit rejected topic; it will not be retried');
      this.events.onTopicRejected?.(topic, reason);
    }
    if (outcome.reconnect) return this.declareDead('resync-failed');
    this.sendAll(outcome.send);
  }

  private ping(): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    this.awaitingPongSinceMs ??= Date.now();
    this.counters.pingsSent++;
    socket.send(JSON.stringify({ req_id: `ping-${++this.pingNumber}`, op: 'ping' }));
  }

  private checkHealth(): void {
    if (this.stateValue !== 'open') return;
    const now = Date.now();
    const { pongTimeoutMs, silenceTimeoutMs, ackTimeoutMs, healthyResetMs } = this.options.timings;
    if (this.awaitingPongSinceMs !== undefined && now - this.awaitingPongSinceMs > pongTimeoutMs) return this.declareDead('pong-timeout');
    if (this.subscriptions.hasDesired() && now - this.lastDataAtMs > silenceTimeoutMs) return this.declareDead('silence');
    if (this.subscriptions.overdue(ackTimeoutMs).length > 0) return this.declareDead('ack-timeout');
    if (now - this.openedAtMs >= healthyResetMs && now - this.lastDataAtMs < silenceTimeoutMs) this.backoff.reset();
  }

  private declareDead(reason: DeadLinkReason): void {
    const socket = this.socket;
    if (this.stateValue === 'stopped' || !socket) return;
    this.counters.deadLinks++;
    this.options.logger.warn({ reason }, 'bybit link dead; terminating socket');
    this.events.onDeadLink?.(reason);
    socket.terminate();
  }

  private onSocketClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.clearSocketTimers();
    this.subscriptions.onDisconnected();
    this.socket = undefined;
    if (this.stateValue === 'stopped') {
      this.events.onClose?.({ code, reason, reconnectInMs: undefined });
      return;
    }
    const delayMs = this.backoff.next();
    this.counters.reconnects++;
    this.stateValue = 'waiting';
    this.options.logger.warn({ code, reason, reconnectInMs: delayMs }, 'bybit socket closed; reconnecting');
    this.events.onClose?.({ code, reason, reconnectInMs: delayMs });
    this.reconnectTimer = setTimeout(() => {
      if (this.stateValue === 'waiting') this.connect();
    }, delayMs);
  }

  private sendAll(requests: readonly TopicRequest[]): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    for (const request of requests) this.sendRequest(socket, request);
  }

  private sendRequest(socket: WebSocket, request: TopicRequest): void {
    this.options.logger.debug({ reqId: request.reqId, op: request.op, args: request.args }, 'bybit request');
    socket.send(JSON.stringify({ req_id: request.reqId, op: request.op, args: request.args }));
  }

  private clearSocketTimers(): void {
    clearInterval(this.pingTimer);
    clearInterval(this.watchdogTimer);
    this.pingTimer = undefined;
    this.watchdogTimer = undefined;
  }

  private async waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
