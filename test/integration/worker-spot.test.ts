/**
 * The spot category end to end, with level-1 books: spot acks, spot tickers
 * (snapshot only, no bid/ask or mark price), numeric trade ids, and books that
 * are snapshot-only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OrderBookUpdate, TickerUpdate, TradeUpdate } from '../../src/schemas/index.js';
import { startWorkerStack } from '../helpers/worker-stack.js';
import { waitFor } from '../helpers/wait-for.js';
import { assertSchemaValid, assertSeqContiguous } from '../helpers/update-checks.js';

describe('worker on spot', () => {
  it('streams spot candles, trades, tickers and level-1 books', async (t) => {
    const stack = await startWorkerStack(t, { flags: { category: 'spot', symbols: 'BTCUSDT', timeframes: '1', 'orderbook-depth': '1' } });
    const { observer, simulator } = stack;
    await waitFor('every spot channel', () =>
      ['candles:BTCUSDT:1', 'trades:BTCUSDT', 'ticker:BTCUSDT'].every((c) => observer.on(c).length > 1) && observer.on('orderbook:BTCUSDT').length > 5, 15_000);
    for (const channel of ['candles:BTCUSDT:1', 'trades:BTCUSDT', 'ticker:BTCUSDT', 'orderbook:BTCUSDT']) {
      const updates = observer.on(channel);
      updates.forEach(assertSchemaValid);
      assertSeqContiguous(updates);
    }
    assert.ok(simulator.subscribeRequests.every((r) => r.category === 'spot' && r.args.length <= 10));
    const ticker = (observer.on('ticker:BTCUSDT').at(-1) as TickerUpdate).ticker;
    assert.equal(typeof ticker.lastPrice, 'string');
    assert.equal(ticker.markPrice, undefined, 'spot has no mark price');
    assert.equal(ticker.bid1Price, undefined, 'spot tickers carry no bid/ask');
    const books = observer.on('orderbook:BTCUSDT') as OrderBookUpdate[];
    assert.ok(books.every((u) => u.action === 'snapshot' && u.depth === 1 && u.book.bids.length <= 1 && u.book.asks.length <= 1));
    const ids = (observer.on('trades:BTCUSDT') as TradeUpdate[]).flatMap((u) => u.trades.map((trade) => trade.id));
    assert.ok(ids.every((id) => /^\d+$/.test(id)), 'spot trade ids are numeric strings');
    assert.equal(new Set(ids).size, ids.length);
  });
});
