/**
 * Builders for the updates the bus tests publish: valid, minimal, with the
 * decimal strings written the way Bybit writes them (trailing zeros kept) so a
 * test notices if anything on the way turns them into numbers.
 */
import {
  candlesChannel,
  orderBookChannel,
  tickerChannel,
  tradesChannel,
  type CandleUpdate,
  type OrderBookData,
  type OrderBookUpdate,
  type StatusMessage,
  type TickerUpdate,
  type TradeUpdate,
  type UnsequencedUpdate,
} from '../../src/schemas/index.js';

/** 2026-01-01T00:00:00Z: a minute boundary, after MIN_TIMESTAMP_MS. */
export const T0_MS = 1_767_225_600_000;
export const MINUTE_MS = 60_000;

const receivedAt = '2026-01-01T00:00:00.123Z';

export function candleUpdate(symbol: string, startMs: number, close = '61029.90', confirm = false): UnsequencedUpdate<CandleUpdate> {
  return {
    type: 'update',
    subscription: 'candles',
    channel: candlesChannel(symbol, '1'),
    symbol,
    timeframe: '1',
    candle: { timestamp: startMs, open: '61000.10', high: '61100.00', low: '60950.50', close, volume: '12.300', turnover: '750000.0000', confirm },
    status: confirm ? 'confirmed' : 'ongoing',
    source: 'stream',
    received_at: receivedAt,
    exchange_ts: startMs + 1_000,
  };
}

/** One update with `ids.length` trades, oldest first. */
export function tradeUpdate(symbol: string, ids: readonly string[], price = '61029.90'): UnsequencedUpdate<TradeUpdate> {
  return {
    type: 'update',
    subscription: 'trades',
    channel: tradesChannel(symbol),
    symbol,
    trades: ids.map((id, index) => ({ id, timestamp: T0_MS + index, price, size: '0.010', side: index % 2 === 0 ? 'Buy' : 'Sell' })),
    source: 'stream',
    received_at: receivedAt,
    exchange_ts: T0_MS,
  };
}

export function tickerUpdate(symbol: string, lastPrice: string): UnsequencedUpdate<TickerUpdate> {
  return {
    type: 'update',
    subscription: 'ticker',
    channel: tickerChannel(symbol),
    symbol,
    ticker: { symbol, lastPrice, markPrice: '61030.00', fundingRate: '0.0001', price24hPcnt: '-0.0150' },
    received_at: receivedAt,
    exchange_ts: T0_MS,
  };
}

export function book(updateId: number, bestBid: string, bestAsk: string): OrderBookData {
  return {
    bids: [[bestBid, '1.500'], ['61000.00', '2.000']],
    asks: [[bestAsk, '0.750'], ['61100.00', '3.000']],
    updateId,
    prevUpdateId: updateId === 1 ? null : updateId - 1,
    seq: 1000 + updateId,
    timestamp: T0_MS + updateId,
  };
}

export function bookUpdate(symbol: string, action: 'snapshot' | 'delta', data: OrderBookData): UnsequencedUpdate<OrderBookUpdate> {
  return {
    type: 'update',
    subscription: 'orderbook',
    channel: orderBookChannel(symbol),
    symbol,
    depth: 50,
    action,
    book: data,
    received_at: receivedAt,
    exchange_ts: T0_MS,
  };
}

export function statusMessage(upstream: string, state: StatusMessage['state'], reason?: string): StatusMessage {
  return {
    type: 'status',
    state,
    upstream,
    channels: [],
    ...(reason === undefined ? {} : { reason }),
    simulated: true,
    timestamp: '2026-01-01T00:00:01.000Z',
  };
}
