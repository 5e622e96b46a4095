/**
 * Narrows the gateway client's loosely typed snapshots to the schema types.
 * The client hands every channel's snapshot over as one open record; the page
 * checks the field it is about to use before trusting the rest of the shape
 * (the gateway validated it on the way in; this only guards against wiring a
 * handler to the wrong channel kind).
 * @module
 */
import type { CandleSnapshot, OrderBookSnapshot, TickerSnapshot, TradeSnapshot } from '../../src/schemas/index.js';
import type { ChannelSnapshot } from './gateway-client.js';

export function candleSnapshot(snapshot: ChannelSnapshot): CandleSnapshot | undefined {
  return snapshot['subscription'] === 'candles' && Array.isArray(snapshot['candles']) ? (snapshot as unknown as CandleSnapshot) : undefined;
}

export function tradeSnapshot(snapshot: ChannelSnapshot): TradeSnapshot | undefined {
  return snapshot['subscription'] === 'trades' && Array.isArray(snapshot['trades']) ? (snapshot as unknown as TradeSnapshot) : undefined;
}

export function tickerSnapshot(snapshot: ChannelSnapshot): TickerSnapshot | undefined {
  return snapshot['subscription'] === 'ticker' && 'ticker' in snapshot ? (snapshot as unknown as TickerSnapshot) : undefined;
}

export function orderBookSnapshot(snapshot: ChannelSnapshot): OrderBookSnapshot | undefined {
  return snapshot['subscription'] === 'orderbook' && 'book' in snapshot ? (snapshot as unknown as OrderBookSnapshot) : undefined;
}
