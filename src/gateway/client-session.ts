/**
 * One connected client: its subscriptions (a cursor per channel), its send
 * path with a hard bound on queued bytes (a client that stops reading is
 * closed with 4409 instead of growing memory or delaying anyone else), and
 * the upstream status messages that concern its channels.
 * @module
 */
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { ChannelHistory, MarketBus } from '../bus/market-bus.js';
import type { GatewayLimits } from '../config/gateway-config.js';
import { channelName, type ChannelRef, type StatusMessage, type SubscriptionResponse } from '../schemas/index.js';
import type { Logger } from '../shared/logger.js';
import { ChannelCursor, type CursorIo } from './channel-cursor.js';
import { framedOnce, type TurnBatcher } from './frame-writer.js';
import { deflatedFrameOnce, deflateMode } from './deflate-frames.js';
import type { SnapshotReads } from './snapshot-reads.js';
import type { ChannelHub, ChannelListener } from './channel-hub.js';
import { CLOSE_CODES, clientError, type ClientErrorCode } from './client-errors.js';
import { snapshotPayload } from './snapshot-messages.js';
import type { GatewayMetrics } from './gateway-metrics.js';

export interface SessionDeps {
  readonly hub: ChannelHub;
  readonly bus: MarketBus;
  readonly limits: GatewayLimits;
  readonly logger: Logger;
  readonly simulated: () => boolean;
  readonly metrics: GatewayMetrics;
  readonly batcher: TurnBatcher;
  readonly snapshots: SnapshotReads;
}

export interface SubscribeOptions {
  readonly since?: number;
  readonly limit?: number;
  /** Path endpoints answer with exactly the documented fields; /ws adds `channel`. */
  readonly nameChannel: boolean;
}

let nextSessionId = 1;
const DRAIN_POLL_MS = 50;

export class ClientSession implements ChannelListener {
  readonly id = nextSessionId++;
  /** Set by every pong; cleared by every heartbeat ping. */
  alive = true;
  private readonly cursors = new Map<string, ChannelCursor>();
  /** Link-wide status goes to clients that ever subscribed (onStatus). */
  private hasSubscribed = false;
  private closed = false;
  messagesSent = 0;
  /** Created by the first whenDrained: most clients are never slow. */
  private drainWaiters: (() => void)[] | undefined;
  private drainTimer: NodeJS.Timeout | undefined;

  /**
   * The shared frame of a payload for this client: plain (frame-writer.ts) or compressed (deflate-frames.ts);
   * undefined where `ws` must frame (a deflate negotiation the shared frames cannot serve).
   */
  private readonly frameOf: ((payload: Buffer) => Buffer) | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: SessionDeps,
    readonly remoteAddress: string,
    /** The TCP socket under `socket`, for pre-framed writes. */
    private readonly rawSocket: Duplex,
    /** The negotiated Sec-WebSocket-Extensions value ('' when none). */
    negotiatedExtensions: string,
  ) {
    socket.on('pong', () => (this.alive = true));
    const deflate = deflateMode(negotiatedExtensions);
    if (negotiatedExtensions === '') this.frameOf = framedOnce;
    else if (deflate.compress) this.frameOf = (payload) => deflatedFrameOnce(payload, deflate.windowBits);
  }

  get subscriptionCount(): number {
    return this.cursors.size;
  }

  isSubscribed(channel: string): boolean {
    return this.cursors.has(channel);
  }

  deliver(channel: string, seq: number, data: Buffer): void {
    this.cursors.get(channel)?.deliver(seq, data);
  }

  async subscribe(ref: ChannelRef, options: SubscribeOptions): Promise<void> {
    this.hasSubscribed = true;
    const channel = channelName(ref);
    this.dropCursor(channel);
    const cursor = new ChannelCursor(channel, new SessionCursorIo(this, channel, ref, options.limit, options.nameChannel), this.deps.limits.maxPendingUpdates);
    this.cursors.set(channel, cursor);
    try {
      await this.deps.hub.attach(channel, this);
    } catch (error) {
      this.cursors.delete(channel);
      this.unavailable(channel, `cannot subscribe to ${channel}: ${(error as Error).message}`, options.nameChannel);
      return;
    }
    if (this.closed || this.cursors.get(channel) !== cursor) return;
    this.sendJson(subscribedMessage(ref, options.nameChannel));
    await cursor.start(options.since);
  }

  unsubscribe(ref: ChannelRef): boolean {
    const channel = channelName(ref);
    if (!this.cursors.has(channel)) return false;
    this.dropCursor(channel);
    const response: SubscriptionResponse = {
      type: 'unsubscribed',
      success: true,
      message: `Unsubscribed from ${describe(ref)}`,
      subscription: ref.subscription,
      symbol: ref.symbol,
      ...(ref.subscription === 'candles' ? { timeframe: ref.timeframe } : {}),
      channel,
    };
    this.sendJson(response);
    return true;
  }

  /**
   * Status changes for a channel this client holds, and those for the whole link to any client that has
   * subscribed: one whose subscriptions an outage ended (UNAVAILABLE) holds none, and needs the `live` that tells
   * it to subscribe again most of all.
   */
  onStatus(status: StatusMessage, data: Buffer): void {
    if (status.channels.length === 0 ? this.hasSubscribed : status.channels.some((channel) => this.cursors.has(channel))) this.send(data);
  }

  sendError(code: ClientErrorCode, message: string, channel?: string): void {
    this.deps.metrics.clientErrors.inc({ code });
    this.sendJson(clientError(code, message, channel));
  }

  sendJson(message: object): void {
    this.send(JSON.stringify(message));
  }

  send(data: Buffer | string): void {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > this.deps.limits.maxSendBufferBytes) {
      this.deps.logger.warn({ session: this.id, buffered: this.socket.bufferedAmount }, 'slow client closed');
      this.deps.metrics.slowClientCloses.inc();
      this.close(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer: send buffer full');
      return;
    }
    this.messagesSent++;
    this.deps.metrics.messagesOut.inc();
    // A shared bus message (a Buffer) is framed (and compressed) once for all clients (frame-writer.ts, deflate-frames.ts).
    if (this.frameOf && typeof data !== 'string') this.deps.batcher.write(this.rawSocket, this.frameOf(data));
    // Every message is JSON text: a Buffer would otherwise go out as a binary frame (a Blob in browsers). `ws` never
    // compresses (a compressing sender goes asynchronous and would reorder this message after later shared frames).
    else this.socket.send(data, { binary: false, compress: false });
  }

  /**
   * The bus could not serve a channel. On /ws the client may subscribe again; a
   * path endpoint is its one channel, and an open socket carrying nothing would
   * look healthy, so it is closed (1013) for the client to reconnect with `since`.
   */
  private unavailable(channel: string, message: string, multiplexed: boolean): void {
    this.sendError('UNAVAILABLE', message, channel);
    if (!multiplexed) this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'bus unavailable; reconnect with since');
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.dispose();
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason.slice(0, 120));
      // A client that never answers the close handshake is cut off.
      setTimeout(() => this.socket.terminate(), 2_000).unref();
    }
  }

  ping(): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }

  /** Cuts a dead client off without a close handshake. */
  terminate(): void {
    this.dispose();
    this.socket.terminate();
  }

  /** The send buffer is over the soft bound: latest-state channels conflate. */
  congested(): boolean {
    return this.socket.bufferedAmount > this.deps.limits.softSendBufferBytes;
  }

  countDropped(reason: 'conflated'): void {
    this.deps.metrics.droppedUpdates.inc({ reason });
  }

  async readSnapshot(channel: string, ref: ChannelRef, limit: number | undefined, reset: boolean): Promise<{ payload: Buffer; seq: number }> {
    const data = await this.deps.snapshots.read(channel, limit ?? this.deps.limits.defaultSnapshotLimit);
    return { payload: snapshotPayload(ref, data, { reset, simulated: this.deps.simulated() }), seq: data.seq };
  }

  readHistory(channel: string, since: number): Promise<ChannelHistory> {
    return this.deps.bus.readHistory(channel, since);
  }

  /** A cursor gave up (bus error, too far behind): drop it and tell the client. */
  cursorFailed(channel: string, reason: string, multiplexed: boolean): void {
    this.dropCursor(channel);
    this.unavailable(channel, `${channel}: ${reason}`, multiplexed);
  }

  /** Polls the send buffer (ws has no per-socket drain event) until it is under the soft bound. */
  whenDrained(callback: () => void): void {
    (this.drainWaiters ??= []).push(callback);
    this.drainTimer ??= setInterval(() => {
      if (this.closed) return this.stopDrainPolling();
      if (this.congested()) return;
      const waiters = this.drainWaiters ?? [];
      this.stopDrainPolling();
      for (const waiter of waiters) waiter();
    }, DRAIN_POLL_MS);
  }

  private stopDrainPolling(): void {
    clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    this.drainWaiters = undefined;
  }

  /** The socket is gone: release every subscription. Idempotent. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopDrainPolling();
    for (const channel of [...this.cursors.keys()]) this.dropCursor(channel);
  }

  private dropCursor(channel: string): void {
    const cursor = this.cursors.get(channel);
    if (!cursor) return;
    cursor.close();
    this.cursors.delete(channel);
    this.deps.hub.detach(channel, this);
  }
}

/**
 * A cursor's view of its session. One small object with prototype methods per subscription: seven closures
 * and their context cost about 500 bytes more per subscription, 2 KB per connection on four channels.
 */
class SessionCursorIo implements CursorIo {
  constructor(
    private readonly session: ClientSession,
    private readonly channel: string,
    private readonly ref: ChannelRef,
    private readonly limit: number | undefined,
    private readonly multiplexed: boolean,
  ) {}

  send(data: Buffer | string): void {
    this.session.send(data);
  }

  congested(): boolean {
    return this.session.congested();
  }

  whenDrained(callback: () => void): void {
    this.session.whenDrained(callback);
  }

  dropped(reason: 'conflated'): void {
    this.session.countDropped(reason);
  }

  readSnapshot(reset: boolean): Promise<{ payload: Buffer; seq: number }> {
    return this.session.readSnapshot(this.channel, this.ref, this.limit, reset);
  }

  readHistory(since: number): Promise<ChannelHistory> {
    return this.session.readHistory(this.channel, since);
  }

  fail(reason: string): void {
    this.session.cursorFailed(this.channel, reason, this.multiplexed);
  }
}

function timeframeLabel(timeframe: string): string {
  if (timeframe === 'D' || timeframe === 'W' || timeframe === 'M') return `1${timeframe}`;
  const minutes = Number(timeframe);
  return minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
}

function describe(ref: ChannelRef): string {
  return ref.subscription === 'candles' ? `${ref.symbol} candles (${timeframeLabel(ref.timeframe)})` : `${ref.symbol} ${ref.subscription}`;
}

function subscribedMessage(ref: ChannelRef, nameChannel: boolean): SubscriptionResponse {
  return {
    type: 'subscribed',
    success: true,
    message: `Subscribed to ${describe(ref)}`,
    subscription: ref.subscription,
    symbol: ref.symbol,
    ...(ref.subscription === 'candles' ? { timeframe: ref.timeframe } : {}),
    ...(nameChannel ? { channel: channelName(ref) } : {}),
  };
}
