/**
 * The rules both MarketBus implementations share, written once so the memory
 * bus and the Redis bus cannot drift: which updates are publishable, how a seq
 * is stamped and serialized, what each publish changes in the channel state,
 * and how history completeness is judged.
 * @module
 */
import { parseChannel, STATUS_CHANNEL, type MarketUpdate, type OrderBookData, type SubscriptionType, type UnsequencedUpdate } from '../schemas/index.js';
import type { ChannelHistory, PublishedUpdate } from './market-bus.js';

/**
 * What one publish does to the channel's stored state, as the JSON strings to
 * store. Candles are keyed by start time (upsert); trades are appended.
 */
export type ChannelStateChange =
  | { readonly subscription: 'candles'; readonly timestamp: number; readonly candleJson: string }
  | { readonly subscription: 'trades'; readonly tradeJsons: readonly string[] }
  | { readonly subscription: 'ticker'; readonly tickerJson: string }
  | { readonly subscription: 'orderbook'; readonly bookJson: string };

/**
 * Checks an update can be published and returns its state change. Throws a
 * TypeError (a caller bug, so before any seq is consumed) when the channel name
 * does not match the update or an orderbook delta comes without `currentBook`.
 */
export function planStateChange(update: UnsequencedUpdate, currentBook: OrderBookData | undefined): ChannelStateChange {
  const ref = parseChannel(update.channel);
  if (!ref || ref.subscription !== update.subscription || ref.symbol !== update.symbol) {
    throw new TypeError(`channel ${JSON.stringify(update.channel)} does not match a ${update.subscription} update for ${update.symbol}`);
  }
  switch (update.subscription) {
    case 'candles':
      if (ref.subscription !== 'candles' || ref.timeframe !== update.timeframe) {
        throw new TypeError(`channel ${update.channel} does not match timeframe ${update.timeframe}`);
      }
      return { subscription: 'candles', timestamp: update.candle.timestamp, candleJson: JSON.stringify(update.candle) };
    case 'trades':
      return { subscription: 'trades', tradeJsons: update.trades.map((trade) => JSON.stringify(trade)) };
    case 'ticker':
      return { subscription: 'ticker', tickerJson: JSON.stringify(update.ticker) };
    case 'orderbook': {
      if (update.action === 'snapshot') return { subscription: 'orderbook', bookJson: JSON.stringify(update.book) };
      if (!currentBook) throw new TypeError(`orderbook delta on ${update.channel} needs currentBook (the full book after the delta)`);
      return { subscription: 'orderbook', bookJson: JSON.stringify(currentBook) };
    }
  }
}

/** Stamps the seq and serializes once: these bytes are the Pub/Sub payload, the history entry and the return value. */
export function stampUpdate(update: UnsequencedUpdate, seq: number): PublishedUpdate {
  const sequenced = { ...update, seq } as MarketUpdate;
  return { update: sequenced, payload: JSON.stringify(sequenced) };
}

/** The kind of a data channel (throws TypeError for `status` or anything that is not a channel). */
export function dataChannelKind(channel: string): SubscriptionType {
  const ref = parseChannel(channel);
  if (!ref) throw new TypeError(`not a data channel: ${JSON.stringify(channel)}`);
  return ref.subscription;
}

/** Only real channels (and `status`) can be subscribed, so a listener can never reach into the key space. */
export function assertSubscribable(channel: string): void {
  if (channel !== STATUS_CHANNEL && !parseChannel(channel)) {
    throw new TypeError(`cannot subscribe to ${JSON.stringify(channel)}: not a channel`);
  }
}

/** `limit` for a snapshot: undefined (all kept) or a positive integer. */
export function assertSnapshotLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new RangeError(`snapshot limit must be a positive integer, got ${limit}`);
  }
}

export function assertSinceSeq(sinceSeq: number): void {
  if (!Number.isInteger(sinceSeq) || sinceSeq < 0) {
    throw new RangeError(`sinceSeq must be a non-negative integer, got ${sinceSeq}`);
  }
}

/**
 * Builds a history answer from the kept payloads with seq in (sinceSeq, latest].
 * Seqs are unique and only ever stamped once, so the range is complete exactly
 * when the count matches; a trimmed start or a failed publish makes it short.
 */
export function historyAnswer(sinceSeq: number, latest: number, payloads: readonly string[]): ChannelHistory {
  if (sinceSeq >= latest) return { seq: latest, payloads: [], complete: true };
  return { seq: latest, payloads, complete: payloads.length === latest - sinceSeq };
}

/** Roughly what a publish's state change adds to the Redis backlog (a book delta carries the full book). */
export function stateBytes(change: ChannelStateChange): number {
  switch (change.subscription) {
    case 'candles':
      return change.candleJson.length;
    case 'trades':
      return change.tradeJsons.reduce((total, json) => total + json.length, 0);
    case 'ticker':
      return change.tickerJson.length;
    case 'orderbook':
      return change.bookJson.length;
  }
}
