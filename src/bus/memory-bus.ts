/**
 * MarketBus in one process: for tests and single-process development. It keeps
 * the Redis bus's semantics (see bus-semantics.ts, and the contract suite that
 * runs against both): per-channel seq seeded from the shared state on first
 * use, bounded stores, listeners called asynchronously in publish order and
 * never inside `publish`. Pass one `broker` to several buses to simulate a
 * worker and gateways sharing one Redis.
 * @module
 */
import { STATUS_CHANNEL, type CandleData, type OrderBookData, type StatusMessage, type TickerData, type TradeData, type UnsequencedUpdate } from '../schemas/index.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import {
  assertSinceSeq,
  assertSnapshotLimit,
  assertSubscribable,
  dataChannelKind,
  historyAnswer,
  planStateChange,
  stampUpdate,
} from './bus-semantics.js';
import type { Coordination } from './coordination.js';
import { MemoryBroker, type MemoryChannelRecord } from './memory-broker.js';
import {
  BusUnavailableError,
  type BusConnectionState,
  type BusOptions,
  type BusStats,
  type ChannelHistory,
  type ChannelInfo,
  type ChannelSnapshotData,
  type MarketBus,
  type PayloadListener,
  type PublishedUpdate,
  type Unsubscribe,
} from './market-bus.js';

export interface MemoryBusOptions extends BusOptions {
  /** Shared state and topics; defaults to a private broker. */
  readonly broker?: MemoryBroker;
  /** Where a throwing listener is reported (default: silent). */
  readonly logger?: Logger;
}

export { MemoryBroker };

export function createMemoryBus(options: MemoryBusOptions): MarketBus {
  return new MemoryBus(options);
}

class MemoryBus implements MarketBus {
  private readonly broker: MemoryBroker;
  private readonly logger: Logger;
  /** This instance's counters, seeded from the broker on first use (as the Redis bus seeds from Redis). */
  private readonly seqs = new Map<string, number>();
  private readonly subscriptions = new Set<{ readonly topic: string; readonly deliver: (payload: string) => void }>();
  private published = 0;
  private publishErrors = 0;
  private closed = false;

  readonly coordination: Coordination;

  constructor(private readonly options: MemoryBusOptions) {
    this.broker = options.broker ?? new MemoryBroker();
    this.logger = options.logger ?? silentLogger();
    this.coordination = this.broker.coordination(options.prefix);
  }

  forgetChannel(channel: string): void {
    this.seqs.delete(channel);
  }

  skipSeq(channel: string): void {
    const current = this.seqs.get(channel) ?? this.broker.record(this.options.prefix, channel)?.seq;
    if (current !== undefined) this.seqs.set(channel, current + 1);
  }

  publish(update: UnsequencedUpdate, currentBook?: OrderBookData): Promise<PublishedUpdate> {
    return settle(() => {
      const change = planStateChange(update, currentBook);
      if (this.closed) {
        this.publishErrors++;
        throw closedError();
      }
      const { prefix, limits } = this.options;
      const seq = (this.seqs.get(update.channel) ?? this.broker.record(prefix, update.channel)?.seq ?? 0) + 1;
      this.seqs.set(update.channel, seq);
      const published = stampUpdate(update, seq);
      this.broker.apply(prefix, update.channel, seq, Date.now(), published.payload, change, limits);
      this.broker.deliver(prefix + update.channel, published.payload);
      this.published++;
      return published;
    });
  }

  restoreCandles(channel: string, candles: readonly CandleData[]): Promise<number> {
    if (this.closed) return Promise.reject(new BusUnavailableError('bus closed'));
    const entries = candles.filter((candle) => candle.confirm).map((candle) => ({ timestamp: candle.timestamp, json: JSON.stringify(candle) }));
    return Promise.resolve(this.broker.restoreCandles(this.options.prefix, channel, entries, this.options.limits.candleHistorySize));
  }

  publishStatus(status: StatusMessage): Promise<void> {
    return settle(() => {
      this.assertOpen();
      const payload = JSON.stringify(status);
      this.broker.setStatus(this.options.prefix, status.upstream, payload);
      this.broker.deliver(this.options.prefix + STATUS_CHANNEL, payload);
    });
  }

  subscribe(channel: string, listener: PayloadListener): Promise<Unsubscribe> {
    return settle(() => this.addListener(channel, listener));
  }

  private addListener(channel: string, listener: PayloadListener): Unsubscribe {
    assertSubscribable(channel);
    this.assertOpen();
    const subscription = {
      topic: this.options.prefix + channel,
      deliver: (payload: string) => {
        // Delivery is queued at publish time; an unsubscribe in between wins, as with Redis.
        if (!this.subscriptions.has(subscription)) return;
        try {
          listener(payload);
        } catch (error) {
          this.logger.error({ err: error, channel }, 'bus listener threw');
        }
      },
    };
    this.subscriptions.add(subscription);
    this.broker.listen(subscription.topic, subscription.deliver);
    return () => {
      this.subscriptions.delete(subscription);
      this.broker.unlisten(subscription.topic, subscription.deliver);
      return Promise.resolve();
    };
  }

  readSnapshot(channel: string, limit?: number): Promise<ChannelSnapshotData> {
    return settle(() => {
      const kind = dataChannelKind(channel);
      assertSnapshotLimit(limit);
      this.assertOpen();
      return snapshotOf(kind, this.broker.record(this.options.prefix, channel), limit);
    });
  }

  readHistory(channel: string, sinceSeq: number): Promise<ChannelHistory> {
    return settle(() => {
      dataChannelKind(channel);
      assertSinceSeq(sinceSeq);
      this.assertOpen();
      const record = this.broker.record(this.options.prefix, channel);
      const payloads = (record?.history ?? []).filter((entry) => entry.seq > sinceSeq).map((entry) => entry.payload);
      return historyAnswer(sinceSeq, record?.seq ?? 0, payloads);
    });
  }

  readLatestStatus(upstream: string): Promise<StatusMessage | null> {
    return settle(() => {
      this.assertOpen();
      return parseOrNull<StatusMessage>(this.broker.status(this.options.prefix, upstream));
    });
  }

  listChannels(): Promise<ChannelInfo[]> {
    return settle(() => {
      this.assertOpen();
      return this.broker.listChannels(this.options.prefix);
    });
  }

  connectionState(): BusConnectionState {
    return this.closed ? 'disconnected' : 'connected';
  }

  /** An in-process bus is never lost (closing it is not a loss). */
  connectionLosses(): number {
    return 0;
  }

  stats(): BusStats {
    return { published: this.published, publishErrors: this.publishErrors, activeChannels: this.seqs.size };
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }

  close(): Promise<void> {
    this.closed = true;
    for (const subscription of this.subscriptions) this.broker.unlisten(subscription.topic, subscription.deliver);
    this.subscriptions.clear();
    return Promise.resolve();
  }
}

/** Runs synchronous work as a promise, so argument errors reject instead of throwing. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function closedError(): BusUnavailableError {
  return new BusUnavailableError('memory bus is closed');
}

function snapshotOf(kind: ChannelSnapshotData['subscription'], record: MemoryChannelRecord | undefined, limit: number | undefined): ChannelSnapshotData {
  const seq = record?.seq ?? 0;
  const newest = <T>(items: readonly T[]): readonly T[] => (limit === undefined ? items : items.slice(-limit));
  switch (kind) {
    case 'candles':
      return { subscription: 'candles', seq, candles: newest(record?.candles ?? []).map((candle) => JSON.parse(candle.json) as CandleData) };
    case 'trades':
      return { subscription: 'trades', seq, trades: newest(record?.trades ?? []).map((json) => JSON.parse(json) as TradeData) };
    case 'ticker':
      return { subscription: 'ticker', seq, ticker: parseOrNull<TickerData>(record?.latestJson) };
    case 'orderbook':
      return { subscription: 'orderbook', seq, book: parseOrNull<OrderBookData>(record?.latestJson) };
  }
}

function parseOrNull<T>(json: string | null | undefined): T | null {
  return json === null || json === undefined ? null : (JSON.parse(json) as T);
}
