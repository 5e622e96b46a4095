/**
 * Turns what the bus stores for a channel into the snapshot message a client
 * receives first (or after a reset), in the shape of the published schemas.
 * @module
 */
import type { ChannelSnapshotData } from '../bus/market-bus.js';
import type { CandleSnapshot, ChannelRef, OrderBookSnapshot, TickerSnapshot, TradeSnapshot } from '../schemas/index.js';
import { channelName } from '../schemas/index.js';
import { memoized, type WeakMemo } from '../shared/weak-memo.js';

export type SnapshotMessage = CandleSnapshot | TradeSnapshot | TickerSnapshot | OrderBookSnapshot;

export interface SnapshotFlags {
  readonly reset: boolean;
  readonly simulated: boolean;
}

export function snapshotMessage(ref: ChannelRef, data: ChannelSnapshotData, flags: SnapshotFlags): SnapshotMessage {
  const base = {
    type: 'snapshot' as const,
    channel: channelName(ref),
    symbol: ref.symbol,
    seq: data.seq,
    ...(flags.reset ? { reset: true } : {}),
    ...(flags.simulated ? { simulated: true } : {}),
  };
  switch (data.subscription) {
    case 'candles':
      return { ...base, subscription: 'candles', timeframe: ref.subscription === 'candles' ? ref.timeframe : '1', candles: [...data.candles] };
    case 'trades':
      return { ...base, subscription: 'trades', trades: [...data.trades] };
    case 'ticker':
      return { ...base, subscription: 'ticker', ticker: data.ticker };
    case 'orderbook':
      return {
        ...base,
        subscription: 'orderbook',
        ...(data.book ? { depth: Math.max(1, data.book.bids.length, data.book.asks.length) } : {}),
        book: data.book,
      };
  }
}

/** Serialized snapshots per bus read: the subscribers that shared one read (snapshot-reads.ts) share its bytes. */
const serialized: WeakMemo<ChannelSnapshotData, string, Buffer> = new WeakMap();

/**
 * The snapshot message as bytes, serialized once per read, channel and flags: in a reconnect storm every client
 * that joined one read gets the same Buffer, which the fan-out path also frames once (frame-writer.ts).
 */
export function snapshotPayload(ref: ChannelRef, data: ChannelSnapshotData, flags: SnapshotFlags): Buffer {
  // The channel is in the key: a bus could hand two empty channels the same object.
  const key = `${flags.reset ? 1 : 0}${flags.simulated ? 1 : 0}${channelName(ref)}`;
  return memoized(serialized, data, key, () => Buffer.from(JSON.stringify(snapshotMessage(ref, data, flags))));
}
