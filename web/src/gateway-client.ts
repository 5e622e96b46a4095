/**
 * A small reconnecting client for the tickstream gateway's `/ws` endpoint,
 * for browsers (the live page uses it) and for anyone's app: lift this file.
 *
 * - One socket, any number of channel subscriptions; each handler gets the
 *   snapshot, then every update in seq order.
 * - Reconnects forever with capped exponential backoff and full jitter, and
 *   resumes every subscription with `since` = the last seq it delivered: the
 *   gateway replays what was missed, or sends a snapshot marked `reset`.
 * - Given several gateway URLs (`url: [a, b, …]`), every reconnect moves to the
 *   next one, round robin: when a gateway dies its clients resume on another
 *   (every gateway serves the same bus, so `since` continues there).
 * - A channel the gateway could not serve for now (error `UNAVAILABLE`, e.g.
 *   its Redis was down) is subscribed again with `since`, after 1 s plus a
 *   backoff.
 * - A socket that stays silent (no heartbeat, no data) for `silenceTimeoutMs`
 *   counts as dead: browsers never see WebSocket pings, so this is the only way
 *   to notice a half-open connection.
 *
 * It imports types only, and takes the WebSocket constructor as an option
 * (default: the global one), so it runs unchanged in browsers and in Node.
 * @module
 */
import type {
  MarketUpdate,
  StatusMessage,
  SubscriptionType,
  Timeframe,
  WebSocketError,
} from '../../src/schemas/index.js';

/** The part of the WebSocket API this client needs (browser WebSocket and `ws` both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface ChannelRequest {
  readonly subscription: SubscriptionType;
  readonly symbol: string;
  readonly timeframe?: Timeframe;
  /** Snapshot size (the gateway's default when absent). */
  readonly limit?: number;
}

/** A snapshot as received; `reset` means: drop your state for this channel and start from this one. */
export interface ChannelSnapshot {
  readonly type: 'snapshot';
  readonly channel: string;
  readonly seq: number;
  readonly reset?: boolean;
  readonly simulated?: boolean;
  readonly [field: string]: unknown;
}

export interface ChannelHandlers {
  onSnapshot(snapshot: ChannelSnapshot): void;
  onUpdate(update: MarketUpdate): void;
  /** Upstream health changes concerning this channel (or the whole upstream). */
  onStatus?(status: StatusMessage): void;
  onError?(error: WebSocketError): void;
}

export interface GatewayClientOptions {
  /**
   * e.g. ws://127.0.0.1:8000/api/v1/live/ws, or several gateways' URLs: the
   * client connects to the first and moves to the next on every reconnect
   * (round robin), resuming with `since` wherever it lands.
   */
  readonly url: string | readonly string[];
  readonly WebSocket?: WebSocketConstructor;
  /** Backoff window: first ceiling and cap, ms (default 500 → 15000). */
  readonly reconnectBaseMs?: number;
  readonly reconnectMaxMs?: number;
  /** No message at all for this long: the socket is dead (default 75 s: 2.5 gateway heartbeats). */
  readonly silenceTimeoutMs?: number;
  readonly random?: () => number;
}

export interface StateChange {
  readonly state: ConnectionState;
  /** When reconnecting: the delay before the next attempt. */
  readonly reconnectInMs?: number;
  readonly attempt: number;
  /** The gateway connected to, being connected to, or (when reconnecting) to be tried next. */
  readonly url?: string;
}

interface Subscription {
  readonly request: ChannelRequest;
  readonly channel: string;
  readonly handlers: ChannelHandlers;
  /** Last seq delivered to the handlers; the resume point after a reconnect. */
  lastSeq: number | undefined;
  /** UNAVAILABLE answers in a row (the backoff exponent of the next retry), reset by data. */
  retries: number;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

const OPEN = 1;
/**
 * An UNAVAILABLE channel is retried no sooner than this (plus the backoff):
 * the bus is down, and retries of several channels must stay well below the
 * gateway's inbound message limit (10/s), or they would be dropped unanswered.
 */
const RETRY_FLOOR_MS = 1_000;

export class GatewayClient {
  private socket: WebSocketLike | undefined;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly stateListeners = new Set<(change: StateChange) => void>();
  private stateValue: ConnectionState = 'connecting';
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private silenceTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly urls: readonly string[];
  private urlIndex = 0;

  constructor(private readonly options: GatewayClientOptions) {
    const globalWebSocket = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    const impl = options.WebSocket ?? globalWebSocket;
    if (!impl) throw new Error('no WebSocket implementation: pass options.WebSocket');
    this.WebSocketImpl = impl;
    this.urls = typeof options.url === 'string' ? [options.url] : [...options.url];
    if (this.urls.length === 0) throw new Error('options.url: at least one gateway URL');
    this.connect();
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The gateway in use (or, while reconnecting, the one the next attempt goes to). */
  get url(): string {
    return this.urls[this.urlIndex]!;
  }

  onStateChange(listener: (change: StateChange) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Subscribes (now, or as soon as the socket is open); returns the unsubscribe function. */
  subscribe(request: ChannelRequest, handlers: ChannelHandlers): () => void {
    const channel = channelOf(request);
    const previous = this.subscriptions.get(channel);
    if (previous) clearTimeout(previous.retryTimer);
    const subscription: Subscription = { request, channel, handlers, lastSeq: undefined, retries: 0, retryTimer: undefined };
    this.subscriptions.set(channel, subscription);
    this.sendSubscribe(subscription);
    return () => {
      // A stale unsubscribe (the channel was subscribed again since) must not drop the newer subscription.
      if (this.subscriptions.get(channel) !== subscription) return;
      clearTimeout(subscription.retryTimer);
      this.subscriptions.delete(channel);
      this.send({ type: 'unsubscribe', subscription: request.subscription, symbol: request.symbol, ...(request.timeframe ? { timeframe: request.timeframe } : {}) });
    };
  }

  /** Stops for good: no reconnect. */
  close(): void {
    this.setState('closed');
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.silenceTimer);
    for (const subscription of this.subscriptions.values()) clearTimeout(subscription.retryTimer);
    this.socket?.close(1000, 'client closed');
    this.socket = undefined;
  }

  private connect(): void {
    const socket = new this.WebSocketImpl(this.url);
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.attempt = 0;
      this.setState('live');
      this.armSilenceTimer();
      for (const subscription of this.subscriptions.values()) {
        // A retry pending from the previous socket is overtaken by this subscribe.
        clearTimeout(subscription.retryTimer);
        subscription.retryTimer = undefined;
        this.sendSubscribe(subscription);
      }
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      this.armSilenceTimer();
      if (typeof event.data === 'string') this.onMessage(event.data);
    };
    socket.onclose = () => {
      if (socket === this.socket) this.scheduleReconnect();
    };
    socket.onerror = () => {
      // A close event follows; the reconnect is scheduled there.
    };
  }

  private onMessage(text: string): void {
    let message: { type?: string; channel?: string; channels?: string[]; seq?: number };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    const subscription = message.channel ? this.subscriptions.get(message.channel) : undefined;
    switch (message.type ?? '') {
      case 'snapshot':
        if (!subscription) return;
        subscription.lastSeq = message.seq;
        subscription.retries = 0;
        subscription.handlers.onSnapshot(message as ChannelSnapshot);
        return;
      case 'update':
        if (!subscription || message.seq === undefined) return;
        // Never deliver twice: a replay after a reconnect may overlap what was already seen.
        if (subscription.lastSeq !== undefined && message.seq <= subscription.lastSeq) return;
        subscription.lastSeq = message.seq;
        subscription.retries = 0;
        subscription.handlers.onUpdate(message as MarketUpdate);
        return;
      case 'status': {
        const status = message as StatusMessage;
        for (const target of this.subscriptions.values()) {
          if (status.channels.length === 0 || status.channels.includes(target.channel)) target.handlers.onStatus?.(status);
        }
        return;
      }
      case 'error': {
        if (!subscription) return;
        const error = message as WebSocketError;
        // "Retry later": the gateway dropped this subscription because its bus could not serve it just now.
        if (error.code === 'UNAVAILABLE') this.retrySubscribe(subscription);
        subscription.handlers.onError?.(error);
        return;
      }
      default:
        return;
    }
  }

  private sendSubscribe(subscription: Subscription): void {
    const { request } = subscription;
    this.send({
      type: 'subscribe',
      subscription: request.subscription,
      symbol: request.symbol,
      ...(request.timeframe ? { timeframe: request.timeframe } : {}),
      ...(request.limit ? { limit: request.limit } : {}),
      ...(subscription.lastSeq !== undefined ? { since: subscription.lastSeq } : {}),
    });
  }

  private retrySubscribe(subscription: Subscription): void {
    clearTimeout(subscription.retryTimer);
    const delayMs = RETRY_FLOOR_MS + this.backoffMs(subscription.retries++);
    subscription.retryTimer = setTimeout(() => {
      subscription.retryTimer = undefined;
      if (this.stateValue !== 'closed' && this.subscriptions.get(subscription.channel) === subscription) this.sendSubscribe(subscription);
    }, delayMs);
  }

  /** Full jitter over a ceiling doubling from reconnectBaseMs to reconnectMaxMs; at least 100 ms. */
  private backoffMs(attempt: number): number {
    const base = this.options.reconnectBaseMs ?? 500;
    const cap = this.options.reconnectMaxMs ?? 15_000;
    const ceiling = Math.min(cap, base * 2 ** attempt);
    return Math.max(100, Math.round((this.options.random ?? Math.random)() * ceiling));
  }

  private send(message: object): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  private armSilenceTimer(): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      // Half-open: close it ourselves and start over.
      const dead = this.socket;
      this.scheduleReconnect();
      dead?.close(4000, 'silent connection');
    }, this.options.silenceTimeoutMs ?? 75_000);
  }

  private scheduleReconnect(): void {
    if (this.stateValue === 'closed') return;
    clearTimeout(this.silenceTimer);
    this.socket = undefined;
    const delayMs = this.backoffMs(this.attempt);
    this.attempt++;
    // Round robin: the next attempt goes to the next gateway (the same one when there is only one).
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    this.setState('reconnecting', delayMs);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      if (this.stateValue === 'closed') return;
      this.setState('connecting');
      this.connect();
    }, delayMs);
  }

  private setState(state: ConnectionState, reconnectInMs?: number): void {
    this.stateValue = state;
    const change: StateChange = { state, attempt: this.attempt, url: this.url, ...(reconnectInMs !== undefined ? { reconnectInMs } : {}) };
    for (const listener of this.stateListeners) listener(change);
  }
}

export function channelOf(request: Pick<ChannelRequest, 'subscription' | 'symbol' | 'timeframe'>): string {
  const symbol = request.symbol.toUpperCase();
  return request.subscription === 'candles' ? `candles:${symbol}:${request.timeframe ?? '1'}` : `${request.subscription}:${symbol}`;
}
