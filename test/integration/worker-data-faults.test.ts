/**
 * Bad data from the exchange: order book gaps, u=1 restarts, crossed books,
 * malformed JSON and invalid values. Never a corrupted book or an invalid
 * message on the bus; rejections are counted; the worker carries on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CandleUpdate, OrderBookUpdate, TradeUpdate } from '../../src/schemas/index.js';
import { startWorkerStack, type WorkerStack } from '../helpers/worker-stack.js';
import { delay, waitFor } from '../helpers/wait-for.js';
import { assertSchemaValid, assertSeqContiguous, replayBook } from '../helpers/update-checks.js';

function books(stack: WorkerStack, symbol = 'BTCUSDT'): OrderBookUpdate[] {
  return stack.observer.on(`orderbook:${symbol}`) as OrderBookUpdate[];
}

async function flowing(stack: WorkerStack, channel: string): Promise<void> {
  await waitFor(`${channel} flowing`, async () => {
    const before = stack.observer.on(channel).length;
    await delay(250);
    return stack.observer.on(channel).length > before;
  }, 10_000);
}

/** Every book message observed replays into a continuous, uncrossed book, and seq has no hole. */
function assertBookIntegrity(stack: WorkerStack, symbol = 'BTCUSDT'): void {
  const updates = books(stack, symbol);
  updates.forEach(assertSchemaValid);
  assertSeqContiguous(updates);
  replayBook(updates);
}

describe('exchange data faults', () => {
  it('an order book gap stops publishing, resyncs, and resumes from a fresh snapshot', async (t) => {
    const stack = await startWorkerStack(t);
    await waitFor('book deltas', () => books(stack).length > 10);
    const before = books(stack).length;
    stack.simulator.skipOrderBookUpdate('BTCUSDT');
    await waitFor('resync counted', () => stack.worker.stats().bookResyncs >= 1, 5_000);
    await waitFor('fresh snapshot after the gap', () => books(stack).slice(before).some((u) => u.action === 'snapshot'), 5_000);
    await flowing(stack, 'orderbook:BTCUSDT');
    assertBookIntegrity(stack);
    assert.equal(stack.worker.stats().rejectedByCode.BOOK_GAP, 1);
    assert.equal(stack.worker.stats().reconnects, 0, 'repaired by unsubscribe + subscribe, not by a reconnect');
    const states = stack.observer.statuses().filter((s) => s.channels.includes('orderbook:BTCUSDT')).map((s) => s.state);
    assert.deepEqual(states, ['resyncing', 'live']);
    assertBookIntegrity(stack, 'ETHUSDT');
  });

  it('a u=1 snapshot (exchange restart) replaces the book without a resync', async (t) => {
    const stack = await startWorkerStack(t);
    await waitFor('book deltas', () => books(stack).length > 10);
    stack.simulator.resetOrderBook('BTCUSDT');
    // 15 s, not 5: on a loaded CI machine this wait once ran out (2026-11-24) though the restart comes on the
    // simulator's next 100 ms step; the cause was not found in a run of its own (6 of 6 passed).
    await waitFor('restart snapshot published', () => books(stack).some((u) => u.action === 'snapshot' && u.book.updateId === 1), 15_000);
    await flowing(stack, 'orderbook:BTCUSDT');
    assertBookIntegrity(stack);
    assert.equal(stack.worker.stats().bookResyncs, 0);
    const restart = books(stack).find((u) => u.book.updateId === 1)!;
    assert.equal(restart.book.prevUpdateId, null);
  });

  it('a crossed book is never published: rejected, resynced', async (t) => {
    const stack = await startWorkerStack(t);
    await waitFor('book deltas', () => books(stack).length > 10);
    stack.simulator.crossOrderBook('BTCUSDT');
    await waitFor('crossed book rejected', () => (stack.worker.stats().rejectedByCode.BOOK_CROSSED ?? 0) >= 1, 5_000);
    await waitFor('resynced', () => stack.observer.statuses().some((s) => s.state === 'live' && s.channels.includes('orderbook:BTCUSDT')), 5_000);
    await flowing(stack, 'orderbook:BTCUSDT');
    assertBookIntegrity(stack);
    assert.equal(stack.worker.stats().reconnects, 0, 'repaired by a resync, not by a reconnect');
  });

  it('malformed JSON and invalid values are rejected and counted; nothing invalid is published; the worker carries on', async (t) => {
    const stack = await startWorkerStack(t);
    const { simulator } = stack;
    await waitFor('live candles', () => stack.observer.on('candles:BTCUSDT:1').length > 0 && stack.observer.on('trades:BTCUSDT').length > 0);
    const start = Math.floor(simulator.virtualTimeMs / 60_000) * 60_000;
    const ts = simulator.virtualTimeMs;
    simulator.sendRaw('{"topic":"kline.1.BTCUSDT","data":[{"start":');
    simulator.sendRaw('not json at all');
    simulator.sendRaw(JSON.stringify({
      topic: 'kline.1.BTCUSDT', type: 'snapshot', ts,
      data: [{ start, end: start + 59_999, interval: '1', open: '100.5', close: '96', high: '90', low: '95', volume: '1', turnover: '96', confirm: false, timestamp: ts }],
    }));
    simulator.sendRaw(JSON.stringify({
      topic: 'publicTrade.BTCUSDT', type: 'snapshot', ts,
      data: [{ T: ts, s: 'BTCUSDT', S: 'Buy', v: '0.5', p: 'NaN', L: 'PlusTick', i: 'bad-price-trade', BT: false }],
    }));
    simulator.sendRaw(JSON.stringify({ topic: 'tickers.BTCUSDT', type: 'delta', ts, data: 'not an object' }));
    await waitFor('rejections counted', () => {
      const byCode = stack.worker.stats().rejectedByCode;
      return (byCode.MALFORMED_FRAME ?? 0) >= 3 && (byCode.CANDLE_OHLC_INCONSISTENT ?? 0) >= 1 && (byCode.SCHEMA_VIOLATION ?? 0) >= 1;
    }, 5_000);
    await flowing(stack, 'candles:BTCUSDT:1');
    await flowing(stack, 'trades:BTCUSDT');
    const candles = stack.observer.on('candles:BTCUSDT:1') as CandleUpdate[];
    assert.ok(!candles.some((u) => u.candle.high === '90'), 'the invalid candle was published');
    const trades = stack.observer.on('trades:BTCUSDT') as TradeUpdate[];
    assert.ok(!trades.some((u) => u.trades.some((trade) => trade.id === 'bad-price-trade')), 'the invalid trade was published');
    for (const message of stack.observer.messages) if (message.channel !== 'status') assertSchemaValid(message.message as CandleUpdate);
    assert.equal(stack.worker.stats().reconnects, 0, 'bad frames do not cost the connection');
  });
});
