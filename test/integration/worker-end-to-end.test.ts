/**
 * simulator → worker → real Redis → an independent Redis subscriber, for each
 * channel type: the data arrives, is valid, is sequenced, and agrees with the
 * exchange (the simulator's REST) and with the state a late joiner reads.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CandleUpdate, OrderBookUpdate, TickerUpdate, TradeUpdate } from '../../src/schemas/index.js';
import { startWorkerStack } from '../helpers/worker-stack.js';
import { waitFor } from '../helpers/wait-for.js';
import { assertSchemaValid, assertSeqContiguous, replayBook, sameBook } from '../helpers/update-checks.js';

async function restCandles(restBaseUrl: string, symbol: string, interval: string, limit: number) {
  const response = await fetch(`${restBaseUrl}/v5/market/kline?category=linear&symbol=${symbol}&interval=${interval}&limit=${limit}`);
  const body = (await response.json()) as { result: { list: string[][] } };
  return body.result.list;
}

describe('worker end to end over Redis', () => {
  it('publishes every channel type, valid, sequenced and consistent', async (t) => {
    const stack = await startWorkerStack(t);
    const { observer, bus } = stack;

    await waitFor(
      'confirmed candles, trades, tickers and book deltas on every channel',
      () =>
        observer.on('candles:BTCUSDT:1').filter((u) => (u as CandleUpdate).candle.confirm).length >= 3 &&
        observer.on('candles:ETHUSDT:5').length >= 1 &&
        observer.on('trades:BTCUSDT').length >= 3 &&
        observer.on('trades:ETHUSDT').length >= 1 &&
        observer.on('ticker:BTCUSDT').length >= 3 &&
        observer.on('orderbook:BTCUSDT').filter((u) => (u as OrderBookUpdate).action === 'delta').length >= 10 &&
        observer.on('orderbook:ETHUSDT').length >= 2,
      20_000,
    );
    const channels = ['candles:BTCUSDT:1', 'candles:BTCUSDT:5', 'candles:ETHUSDT:1', 'candles:ETHUSDT:5', 'trades:BTCUSDT', 'trades:ETHUSDT', 'ticker:BTCUSDT', 'ticker:ETHUSDT', 'orderbook:BTCUSDT', 'orderbook:ETHUSDT'];
    for (const channel of channels) {
      const updates = observer.on(channel);
      assert.ok(updates.length > 0, `${channel} received nothing`);
      updates.forEach(assertSchemaValid);
      assertSeqContiguous(updates);
      for (const update of updates) assert.equal(update.channel, channel);
    }
    assert.deepEqual(new Set(observer.messages.map((m) => m.channel)), new Set([...channels, 'status']));

    // Candles: confirmed exactly once each, stored history contiguous and equal to the exchange's.
    const candleUpdates = observer.on('candles:BTCUSDT:1') as CandleUpdate[];
    const confirmations = new Map<number, number>();
    for (const update of candleUpdates) {
      if (update.candle.confirm) confirmations.set(update.candle.timestamp, (confirmations.get(update.candle.timestamp) ?? 0) + 1);
      assert.equal(update.status, update.candle.confirm ? 'confirmed' : 'ongoing');
    }
    for (const [start, count] of confirmations) assert.equal(count, 1, `candle ${start} confirmed ${count} times`);
    const stored = await bus.readSnapshot('candles:BTCUSDT:1');
    assert.equal(stored.subscription, 'candles');
    if (stored.subscription !== 'candles') return;
    assert.ok(stored.candles.length >= 400, `cold start backfilled ${stored.candles.length} candles`);
    for (let i = 1; i < stored.candles.length; i++) {
      assert.equal(stored.candles[i]!.timestamp - stored.candles[i - 1]!.timestamp, 60_000, 'hole in stored candles');
    }
    const rows = await restCandles(stack.simulator.restBaseUrl, 'BTCUSDT', '1', 1000);
    const exchange = new Map(rows.map((row) => [Number(row[0]), row]));
    let compared = 0;
    for (const candle of stored.candles.filter((c) => c.confirm)) {
      const row = exchange.get(candle.timestamp);
      if (!row) continue;
      assert.deepEqual([candle.open, candle.high, candle.low, candle.close, candle.volume, candle.turnover], row.slice(1), `candle ${candle.timestamp} differs from the exchange`);
      compared++;
    }
    assert.ok(compared >= 100, `compared ${compared} confirmed candles with REST`);

    // Trades: each id once.
    const tradeIds = (observer.on('trades:BTCUSDT') as TradeUpdate[]).flatMap((u) => u.trades.map((trade) => trade.id));
    assert.equal(new Set(tradeIds).size, tradeIds.length, 'duplicate trade ids');

    // Ticker: always the full merged ticker, even though Bybit sends sparse deltas.
    for (const update of observer.on('ticker:BTCUSDT') as TickerUpdate[]) {
      for (const field of ['lastPrice', 'markPrice', 'indexPrice', 'bid1Price', 'ask1Price', 'fundingRate', 'volume24h']) {
        assert.ok(typeof update.ticker[field as keyof typeof update.ticker] === 'string', `ticker seq ${update.seq} lacks ${field}`);
      }
    }

    // Book: snapshot first, deltas continue updateIds, never crossed, and the stored book equals the replayed one.
    const storedBook = await bus.readSnapshot('orderbook:BTCUSDT');
    assert.equal(storedBook.subscription, 'orderbook');
    if (storedBook.subscription !== 'orderbook' || !storedBook.book) return assert.fail('no stored book');
    await waitFor('observer caught up with the stored book', () => observer.on('orderbook:BTCUSDT').at(-1)!.seq >= storedBook.seq);
    const books = observer.on('orderbook:BTCUSDT') as OrderBookUpdate[];
    assert.equal(books[0]!.action, 'snapshot');
    assert.equal(books[0]!.book.bids.length, 50);
    const replayed = replayBook(books, storedBook.seq);
    assert.ok(replayed && sameBook(replayed, storedBook.book), 'stored book differs from snapshot + deltas');
    assert.equal(replayed.updateId, storedBook.book.updateId);

    // Upstream status: connecting, then live.
    const states = observer.statuses().map((s) => s.state);
    assert.ok(states.includes('live'), `status states ${states.join(',')}`);
    assert.ok(observer.statuses().every((s) => s.simulated && s.upstream === 'bybit:linear'));
  });
});
