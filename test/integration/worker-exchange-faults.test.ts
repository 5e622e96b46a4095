/**
 * Exchange-side faults, injected by the simulator while the worker streams
 * into a real Redis: drops, refused reconnects, silent stalls, lost pongs,
 * rejected subscriptions and unknown symbols.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CandleUpdate, StatusMessage, TradeUpdate } from '../../src/schemas/index.js';
import { UnknownSymbolError } from '../../src/exchanges/bybit/bybit-rest-client.js';
import { Worker } from '../../src/ingest/worker.js';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { DEFAULT_BUS_LIMITS } from '../../src/bus/market-bus.js';
import { silentLogger } from '../../src/shared/logger.js';
import { startSimulator, startWorkerStack, workerConfigFor, type WorkerStack } from '../helpers/worker-stack.js';
import { delay, waitFor } from '../helpers/wait-for.js';
import { assertSchemaValid, assertSeqContiguous } from '../helpers/update-checks.js';

async function restCandleRows(stack: WorkerStack, symbol: string, interval: string): Promise<Map<number, string[]>> {
  const response = await fetch(`${stack.simulator.restBaseUrl}/v5/market/kline?category=linear&symbol=${symbol}&interval=${interval}&limit=1000`);
  const body = (await response.json()) as { result: { list: string[][] } };
  return new Map(body.result.list.map((row) => [Number(row[0]), row]));
}

/** The stored candles have no hole, and every confirmed one equals the exchange's final candle. */
async function assertCandleHistoryWhole(stack: WorkerStack, symbol: string): Promise<number> {
  const stored = await stack.bus.readSnapshot(`candles:${symbol}:1`);
  assert.equal(stored.subscription, 'candles');
  if (stored.subscription !== 'candles') return 0;
  for (let i = 1; i < stored.candles.length; i++) {
    assert.equal(stored.candles[i]!.timestamp - stored.candles[i - 1]!.timestamp, 60_000, `hole after candle ${stored.candles[i - 1]!.timestamp}`);
  }
  const rows = await restCandleRows(stack, symbol, '1');
  for (const candle of stored.candles.filter((c) => c.confirm)) {
    const row = rows.get(candle.timestamp);
    if (row) assert.deepEqual([candle.open, candle.high, candle.low, candle.close, candle.volume], row.slice(1, 6), `candle ${candle.timestamp}`);
  }
  return stored.candles.length;
}

function assertConfirmedOnce(updates: readonly CandleUpdate[]): void {
  const seen = new Set<number>();
  for (const update of updates.filter((u) => u.candle.confirm)) {
    assert.ok(!seen.has(update.candle.timestamp), `candle ${update.candle.timestamp} confirmed twice`);
    seen.add(update.candle.timestamp);
  }
}

function stateChanges(statuses: readonly StatusMessage[], channel?: string): string[] {
  return statuses.filter((s) => (channel ? s.channels.includes(channel) : s.channels.length === 0)).map((s) => s.state);
}

describe('exchange faults', () => {
  it('drop + refused reconnects for 3 market minutes: reconnects, resubscribes once, backfills without a hole', async (t) => {
    // The simulator trades ~200 times a (real) second at this speed: keep enough to check the outage's trades.
    const stack = await startWorkerStack(t, { env: { TRADE_HISTORY_SIZE: '20000' } });
    const { simulator, observer } = stack;
    await waitFor('cold start backfill done and live data', () => stack.worker.stats().backfilledTrades > 0 && observer.on('ticker:BTCUSDT').length > 0, 10_000);
    const subscribesBefore = simulator.subscribeRequests.length;
    const backfilledBefore = stack.worker.stats().backfilledCandles;
    const tradeBackfillsBefore = (observer.on('trades:BTCUSDT') as TradeUpdate[]).filter((u) => u.source === 'backfill').length;

    simulator.refuseConnections(true);
    simulator.dropConnections();
    const outageStartMs = simulator.virtualTimeMs;
    await waitFor('worker saw the drop', () => stateChanges(observer.statuses()).includes('disconnected'));
    await delay(3_000); // three 1-minute candles close on the exchange meanwhile
    const outageEndMs = simulator.virtualTimeMs;
    simulator.refuseConnections(false);

    await waitFor('reconnected and live again', () => stateChanges(observer.statuses()).at(-1) === 'live' && simulator.connectionCount === 1, 10_000);
    assert.ok(stack.worker.stats().reconnects >= 1);
    const resent = simulator.subscribeRequests.slice(subscribesBefore).filter((r) => r.op === 'subscribe');
    assert.ok(resent.every((r) => r.args.length <= 10), 'resubscribed in batches of at most 10');
    const perTopic = new Map<string, number>();
    for (const topic of resent.flatMap((r) => r.args)) perTopic.set(topic, (perTopic.get(topic) ?? 0) + 1);
    assert.equal(perTopic.size, 10, 'every topic resubscribed');
    assert.ok([...perTopic.values()].every((count) => count === 1), 'each topic resubscribed exactly once');

    await waitFor('reconnect backfill published', () => stack.worker.stats().backfilledCandles >= backfilledBefore + 3 * 2, 10_000);
    await delay(1_000);
    assert.ok((await assertCandleHistoryWhole(stack, 'BTCUSDT')) >= 500);
    await assertCandleHistoryWhole(stack, 'ETHUSDT');
    const candles = observer.on('candles:BTCUSDT:1') as CandleUpdate[];
    assertConfirmedOnce(candles);
    assertSeqContiguous(candles);
    candles.forEach(assertSchemaValid);
    const outageCandles = candles.filter((u) => u.source === 'backfill' && u.candle.confirm && u.candle.timestamp >= Math.floor(outageStartMs / 60_000) * 60_000 && u.candle.timestamp + 60_000 <= outageEndMs);
    assert.ok(outageCandles.length >= 2, `candles closed during the outage came from REST: ${outageCandles.length}`);
    const trades = observer.on('trades:BTCUSDT') as TradeUpdate[];
    const tradeIds = trades.flatMap((u) => u.trades.map((trade) => trade.id));
    assert.equal(new Set(tradeIds).size, tradeIds.length, 'a trade re-delivered after the reconnect was published twice');
    assert.ok(trades.filter((u) => u.source === 'backfill').length > tradeBackfillsBefore, 'trades of the outage came from REST');
    const stored = await stack.bus.readSnapshot('trades:BTCUSDT');
    if (stored.subscription !== 'trades') return assert.fail('wrong kind');
    const restTrades = (await (await fetch(`${simulator.restBaseUrl}/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=1000`)).json()) as { result: { list: { execId: string; time: string }[] } };
    const storedIds = new Set(stored.trades.map((trade) => trade.id));
    const outageTrades = restTrades.result.list.filter((trade) => Number(trade.time) >= outageStartMs && Number(trade.time) <= outageEndMs);
    assert.ok(outageTrades.length > 0);
    assert.deepEqual(outageTrades.filter((trade) => !storedIds.has(trade.execId)).map((trade) => trade.execId), [], 'trades of the outage missing from the store');
  });

  it('REST down across a reconnect: the candle hole is repaired once REST answers again', async (t) => {
    const stack = await startWorkerStack(t, { env: { CANDLE_REPAIR_INTERVAL_MS: '500' } });
    const { simulator, observer } = stack;
    await waitFor('cold start done', () => stack.worker.stats().backfilledTrades > 0, 10_000);
    simulator.failRest(true);
    simulator.refuseConnections(true);
    simulator.dropConnections();
    await delay(3_000);
    simulator.refuseConnections(false);
    await waitFor('reconnected', () => stateChanges(observer.statuses()).at(-1) === 'live' && simulator.connectionCount === 1, 10_000);
    await delay(2_500); // the reconnect backfill fails meanwhile, and newer candles confirm live
    const stored = await stack.bus.readSnapshot('candles:BTCUSDT:1');
    if (stored.subscription !== 'candles') return assert.fail('wrong kind');
    const holes = stored.candles.slice(1).filter((c, i) => c.timestamp - stored.candles[i]!.timestamp !== 60_000).length;
    assert.ok(holes > 0, 'with REST down there is a hole to repair');
    simulator.failRest(false);
    await waitFor('hole repaired', async () => {
      const now = await stack.bus.readSnapshot('candles:BTCUSDT:1');
      return now.subscription === 'candles' && now.candles.slice(1).every((c, i) => c.timestamp - now.candles[i]!.timestamp === 60_000);
    }, 10_000, 100);
    await assertCandleHistoryWhole(stack, 'BTCUSDT');
    assertConfirmedOnce(observer.on('candles:BTCUSDT:1') as CandleUpdate[]);
  });

  it('a quiet channel is reported stale, its book resynced, and live again when data returns', async (t) => {
    const stack = await startWorkerStack(t, { env: { CHANNEL_STALE_MS: '600', BYBIT_SILENCE_TIMEOUT_MS: '10000' } });
    const { simulator, observer } = stack;
    await waitFor('live data', () => observer.on('orderbook:BTCUSDT').length > 5);
    simulator.stallData(2_000);
    await waitFor('stale reported', () => observer.statuses().some((s) => s.state === 'stale' && s.channels.includes('ticker:BTCUSDT')), 3_000);
    await waitFor('live again', () => stateChanges(observer.statuses(), 'ticker:BTCUSDT').at(-1) === 'live', 5_000);
    assert.deepEqual(stateChanges(observer.statuses(), 'ticker:BTCUSDT'), ['stale', 'live']);
    assert.equal(stack.worker.stats().reconnects, 0, 'a stale channel is not a dead link');
    const bookStates = stateChanges(observer.statuses(), 'orderbook:BTCUSDT');
    assert.equal(bookStates[0], 'stale');
    assert.ok(simulator.subscribeRequests.some((r) => r.op === 'unsubscribe' && r.args.includes('orderbook.50.BTCUSDT')), 'stale book resynced');
  });

  it('stop() unsubscribes every topic and closes the socket', async (t) => {
    const stack = await startWorkerStack(t);
    await waitFor('live data', () => stack.observer.on('ticker:ETHUSDT').length > 0);
    await stack.worker.stop();
    const unsubscribed = stack.simulator.subscribeRequests.filter((r) => r.op === 'unsubscribe').flatMap((r) => r.args);
    assert.equal(new Set(unsubscribed).size, 10);
    await waitFor('socket closed', () => stack.simulator.connectionCount === 0, 2_000);
    await waitFor('stopped announced', () => stateChanges(stack.observer.statuses()).at(-1) === 'stopped', 2_000);
  });

  it('a silent stall (pongs keep coming, data stops) is detected and reconnected', async (t) => {
    const stack = await startWorkerStack(t);
    const { simulator, observer } = stack;
    await waitFor('live data', () => observer.on('orderbook:BTCUSDT').length > 5);
    simulator.stallData(4_000);
    await waitFor('dead link declared', () => stack.worker.stats().connection.deadLinks >= 1, 6_000);
    await waitFor('data flowing again', async () => {
      const before = observer.on('orderbook:BTCUSDT').length;
      await delay(300);
      return observer.on('orderbook:BTCUSDT').length > before;
    }, 10_000);
    assert.ok(stack.worker.stats().connection.pongsReceived > 0);
    assert.ok(stateChanges(observer.statuses()).includes('disconnected'));
  });

  it('missing pongs mean a dead link', async (t) => {
    const stack = await startWorkerStack(t);
    const { simulator, observer } = stack;
    await waitFor('live data', () => observer.on('ticker:BTCUSDT').length > 0);
    const connectsBefore = stack.worker.stats().connection.connects;
    simulator.stopPongs();
    await waitFor('reconnected after the pong timeout', () => stack.worker.stats().connection.connects > connectsBefore, 5_000);
    simulator.resumePongs();
    const reconnectsAfterResume = stack.worker.stats().reconnects;
    await delay(1_500);
    assert.equal(stack.worker.stats().reconnects, reconnectsAfterResume, 'stable once pongs return');
  });

  it('a rejected subscription is reported once and the rest of its batch still subscribes', async (t) => {
    const simulatorTopic = 'orderbook.50.ETHUSDT';
    const stack = await startWorkerStack(t, { simulator: {} });
    const { simulator, observer } = stack;
    simulator.rejectSubscriptions(simulatorTopic);
    simulator.dropConnections();
    await waitFor('rejected topic reported', () => simulatorTopic in stack.worker.stats().rejectedTopics, 10_000);
    await waitFor('other ETHUSDT channels live after the reconnect', async () => {
      const before = observer.on('ticker:ETHUSDT').length;
      await delay(300);
      return observer.on('ticker:ETHUSDT').length > before;
    });
    const requestsAfter = simulator.subscribeRequests.filter((r) => r.args.includes(simulatorTopic)).length;
    await delay(1_000);
    assert.equal(simulator.subscribeRequests.filter((r) => r.args.includes(simulatorTopic)).length, requestsAfter, 'not retried in a loop');
    assert.match(stack.worker.stats().rejectedTopics[simulatorTopic]!, /handler not found/);
    assert.ok(observer.statuses().some((s) => s.state === 'stopped' && s.channels.includes('orderbook:ETHUSDT')));
  });

  it('an unknown symbol is a startup error naming it', async (t) => {
    const simulator = await startSimulator();
    t.after(() => simulator.close());
    const config = workerConfigFor(simulator, 'redis://127.0.0.1:1', { flags: { symbols: 'BTCUSDT,NOPEUSDT' } });
    const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS });
    await assert.rejects(Worker.start(config, { bus, logger: silentLogger() }), (error: unknown) => {
      assert.ok(error instanceof UnknownSymbolError);
      assert.deepEqual(error.symbols, ['NOPEUSDT']);
      assert.match(error.message, /NOPEUSDT/);
      return true;
    });
    assert.equal(simulator.totalConnections, 0, 'never connected with a bad symbol list');
    await bus.close();
  });
});
