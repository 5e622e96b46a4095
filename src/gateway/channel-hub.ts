/**
 * Fan-out inside one gateway process: one bus subscription per channel, shared
 * by every client on it and released when the last one leaves. Each payload
 * is parsed once (for its seq) and turned into bytes once; every subscriber
 * gets the same Buffer.
 * @module
 */
import type { MarketBus, Unsubscribe } from '../bus/market-bus.js';
import { STATUS_CHANNEL, type StatusMessage } from '../schemas/index.js';
import type { Logger } from '../shared/logger.js';
import type { GatewayMetrics } from './gateway-metrics.js';

export interface ChannelListener {
  deliver(channel: string, seq: number, data: Buffer): void;
}

export type StatusListener = (status: StatusMessage, data: Buffer) => void;

interface ChannelEntry {
  readonly listeners: Set<ChannelListener>;
  /** Resolves once the bus subscription is active. */
  readonly ready: Promise<Unsubscribe>;
  lastSeq: number;
  lastMessageAt: number | undefined;
  messages: number;
  /** The delivery-lag histogram of the channel's kind (candles, trades, ...), looked up once. */
  readonly lag: { observe(seconds: number): void } | undefined;
}

export interface HubChannelInfo {
  readonly channel: string;
  readonly subscribers: number;
  readonly lastSeq: number;
  readonly lastMessageAt: number | undefined;
}

export class ChannelHub {
  private readonly entries = new Map<string, ChannelEntry>();
  private readonly statusListeners = new Set<StatusListener>();
  private statusSubscription: Promise<Unsubscribe> | undefined;
  private messagesIn = 0;

  constructor(
    private readonly bus: MarketBus,
    private readonly logger: Logger,
    private readonly metrics?: GatewayMetrics,
  ) {}

  /** Adds a listener; resolves once the channel's bus subscription is active. */
  async attach(channel: string, listener: ChannelListener): Promise<void> {
    let entry = this.entries.get(channel);
    if (!entry) {
      const created: ChannelEntry = {
        listeners: new Set(),
        ready: this.bus.subscribe(channel, (payload) => this.onPayload(channel, payload)),
        lastSeq: 0,
        lastMessageAt: undefined,
        messages: 0,
        lag: this.metrics?.deliveryLag.labels(channel.slice(0, channel.indexOf(':'))),
      };
      entry = created;
      this.entries.set(channel, created);
      created.ready.catch(() => {
        if (this.entries.get(channel) === created) this.entries.delete(channel);
      });
    }
    entry.listeners.add(listener);
    try {
      await entry.ready;
    } catch (error) {
      entry.listeners.delete(listener);
      throw error;
    }
  }

  detach(channel: string, listener: ChannelListener): void {
    const entry = this.entries.get(channel);
    if (!entry || !entry.listeners.delete(listener) || entry.listeners.size > 0) return;
    this.entries.delete(channel);
    entry.ready
      .then((unsubscribe) => unsubscribe())
      .catch((error: unknown) => this.logger.warn({ channel, err: (error as Error).message }, 'bus unsubscribe failed'));
  }

  async onStatus(listener: StatusListener): Promise<void> {
    this.statusListeners.add(listener);
    this.statusSubscription ??= this.bus.subscribe(STATUS_CHANNEL, (payload) => this.onStatusPayload(payload));
    await this.statusSubscription;
  }

  channelInfo(): HubChannelInfo[] {
    return [...this.entries].map(([channel, entry]) => ({
      channel,
      subscribers: entry.listeners.size,
      lastSeq: entry.lastSeq,
      lastMessageAt: entry.lastMessageAt,
    }));
  }

  get totalMessagesIn(): number {
    return this.messagesIn;
  }

  async close(): Promise<void> {
    const pending = [...this.entries.values()].map((entry) => entry.ready.then((unsubscribe) => unsubscribe()).catch(() => undefined));
    this.entries.clear();
    if (this.statusSubscription) pending.push(this.statusSubscription.then((unsubscribe) => unsubscribe()).catch(() => undefined));
    this.statusListeners.clear();
    await Promise.all(pending);
  }

  private onPayload(channel: string, payload: string): void {
    const entry = this.entries.get(channel);
    if (!entry) return;
    let seq: number;
    let exchangeTs: number | undefined;
    try {
      ({ seq, exchange_ts: exchangeTs } = JSON.parse(payload) as { seq: number; exchange_ts?: number });
    } catch {
      this.logger.error({ channel }, 'unparsable payload on the bus');
      return;
    }
    this.messagesIn++;
    entry.messages++;
    entry.lastSeq = Math.max(entry.lastSeq, seq);
    entry.lastMessageAt = Date.now();
    const data = Buffer.from(payload);
    for (const listener of entry.listeners) listener.deliver(channel, seq, data);
    this.metrics?.messagesIn.inc();
    if (exchangeTs !== undefined) entry.lag?.observe(Math.max(0, Date.now() - exchangeTs) / 1000);
  }

  private onStatusPayload(payload: string): void {
    let status: StatusMessage;
    try {
      status = JSON.parse(payload) as StatusMessage;
    } catch {
      return;
    }
    const data = Buffer.from(payload);
    for (const listener of this.statusListeners) listener(status, data);
  }
}
