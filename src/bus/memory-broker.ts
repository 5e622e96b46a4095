/**
 * The in-process stand-in for Redis behind the memory bus: channel state and
 * Pub/Sub topics, keyed by prefix exactly as Redis keys are. Several memory
 * buses may share one broker to play worker and gateway in one process (and so
 * that the contract suite runs its multi-instance and prefix tests on both
 * implementations). Every store is bounded by the publisher's BusLimits.
 * @module
 */
import type { BusLimits, ChannelInfo } from './market-bus.js';
import type { ChannelStateChange } from './bus-semantics.js';
import { MemoryCoordination } from './memory-coordination.js';

/** One channel's state; everything is kept as the JSON the Redis bus would store. */
export interface MemoryChannelRecord {
  seq: number;
  lastPublishedAt: number;
  /** Ascending by timestamp; at most candleHistorySize. */
  readonly candles: { timestamp: number; json: string }[];
  /** Oldest first; at most tradeHistorySize. */
  readonly trades: string[];
  /** Ticker or book JSON (whichever the channel carries). */
  latestJson: string | null;
  /** Ascending by seq; at most messageHistorySize. */
  readonly history: { seq: number; payload: string }[];
}

export type TopicListener = (payload: string) => void;

export class MemoryBroker {
  private readonly channelsByPrefix = new Map<string, Map<string, MemoryChannelRecord>>();
  private readonly statuses = new Map<string, string>();
  /** Full topic name (prefix + channel), as a Redis Pub/Sub channel. */
  private readonly topics = new Map<string, Set<TopicListener>>();
  private readonly coordinations = new Map<string, MemoryCoordination>();

  /** Leases, workers, demand and instruments under one prefix. */
  coordination(prefix: string): MemoryCoordination {
    let coordination = this.coordinations.get(prefix);
    if (!coordination) this.coordinations.set(prefix, (coordination = new MemoryCoordination()));
    return coordination;
  }

  record(prefix: string, channel: string): MemoryChannelRecord | undefined {
    return this.channelsByPrefix.get(prefix)?.get(channel);
  }

  /** Puts back candles whose start time is missing (see MarketBus.restoreCandles). */
  restoreCandles(prefix: string, channel: string, candles: readonly { timestamp: number; json: string }[], limit: number): number {
    return insertMissingCandles(this.recordFor(prefix, channel), candles, limit);
  }

  private recordFor(prefix: string, channel: string): MemoryChannelRecord {
    let channels = this.channelsByPrefix.get(prefix);
    if (!channels) this.channelsByPrefix.set(prefix, (channels = new Map<string, MemoryChannelRecord>()));
    let record = channels.get(channel);
    if (!record) {
      record = { seq: 0, lastPublishedAt: 0, candles: [], trades: [], latestJson: null, history: [] };
      channels.set(channel, record);
    }
    return record;
  }

  /** Applies one publish: state, seq, history, info. The caller has stamped and serialized. */
  apply(prefix: string, channel: string, seq: number, publishedAt: number, payload: string, change: ChannelStateChange, limits: BusLimits): void {
    const record = this.recordFor(prefix, channel);
    applyChange(record, change, limits);
    record.seq = seq;
    record.lastPublishedAt = publishedAt;
    record.history.push({ seq, payload });
    trimFront(record.history, limits.messageHistorySize);
  }

  listChannels(prefix: string): ChannelInfo[] {
    const channels = this.channelsByPrefix.get(prefix);
    if (!channels) return [];
    return [...channels].map(([channel, record]) => ({ channel, seq: record.seq, lastPublishedAt: record.lastPublishedAt }));
  }

  setStatus(prefix: string, upstream: string, payload: string): void {
    this.statuses.set(`${prefix}\u0000${upstream}`, payload);
  }

  status(prefix: string, upstream: string): string | undefined {
    return this.statuses.get(`${prefix}\u0000${upstream}`);
  }

  /**
   * Delivers a payload to the topic's current listeners, asynchronously (never
   * inside the publisher's call) and in publish order (microtasks are FIFO).
   */
  deliver(topic: string, payload: string): void {
    const listeners = this.topics.get(topic);
    if (!listeners || listeners.size === 0) return;
    for (const listener of [...listeners]) queueMicrotask(() => listener(payload));
  }

  listen(topic: string, listener: TopicListener): void {
    let listeners = this.topics.get(topic);
    if (!listeners) this.topics.set(topic, (listeners = new Set<TopicListener>()));
    listeners.add(listener);
  }

  unlisten(topic: string, listener: TopicListener): void {
    const listeners = this.topics.get(topic);
    if (!listeners) return;
    listeners.delete(listener);
    if (listeners.size === 0) this.topics.delete(topic);
  }
}

/** Inserts candles whose start time is missing, keeping the store sorted and bounded; returns how many. */
function insertMissingCandles(record: MemoryChannelRecord, candles: readonly { timestamp: number; json: string }[], limit: number): number {
  const present = new Set(record.candles.map((candle) => candle.timestamp));
  const missing = candles.filter((candle) => !present.has(candle.timestamp));
  if (missing.length === 0) return 0;
  record.candles.push(...missing);
  record.candles.sort((a, b) => a.timestamp - b.timestamp);
  trimFront(record.candles, limit);
  return missing.length;
}

function applyChange(record: MemoryChannelRecord, change: ChannelStateChange, limits: BusLimits): void {
  switch (change.subscription) {
    case 'candles': {
      const { candles } = record;
      // Usually the newest candle or the one before: search from the end.
      let index = candles.length - 1;
      while (index >= 0 && candles[index]!.timestamp > change.timestamp) index--;
      if (index >= 0 && candles[index]!.timestamp === change.timestamp) candles[index]!.json = change.candleJson;
      else candles.splice(index + 1, 0, { timestamp: change.timestamp, json: change.candleJson });
      trimFront(candles, limits.candleHistorySize);
      return;
    }
    case 'trades':
      record.trades.push(...change.tradeJsons);
      trimFront(record.trades, limits.tradeHistorySize);
      return;
    case 'ticker':
      record.latestJson = change.tickerJson;
      return;
    case 'orderbook':
      record.latestJson = change.bookJson;
      return;
  }
}

/** Drops the oldest entries beyond `keep`. */
function trimFront(items: unknown[], keep: number): void {
  if (items.length > keep) items.splice(0, items.length - keep);
}
