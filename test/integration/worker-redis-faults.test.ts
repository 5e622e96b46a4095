/**
 * Redis faults under a streaming worker: killed and restarted mid-stream, and
 * down at start. The worker keeps its exchange connection, counts what it could
 * not publish, never crashes, and resumes; books restart from a snapshot and
 * candles closed during the outage are re-published. Down at start, it streams
 * nothing until Redis confirms its leases.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CandleUpdate, OrderBookUpdate } from '../../src/schemas/index.js';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import { Worker } from '../../src/ingest/worker.js';
import { silentLogger } from '../../src/shared/logger.js';
import { ChannelObserver } from '../helpers/channel-observer.js';
import { TestRedisServer } from '../helpers/redis-server.js';
import { startSimulator, startWorkerStack, workerConfigFor } from '../helpers/worker-stack.js';
import { delay, waitFor } from '../helpers/wait-for.js';
import { assertSchemaValid, replayBook } from '../helpers/update-checks.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';

describe('Redis faults', () => {
  it('Redis killed and restarted mid-stream: no crash, failures counted, publishing resumes', async (t) => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    t.after(() => process.off('unhandledRejection', onUnhandled));

    const stack = await startWorkerStack(t);
    const { redis, observer, simulator } = stack;
    await waitFor('live data', () => observer.on('orderbook:BTCUSDT').length > 5 && observer.on('candles:BTCUSDT:1').length > 0);
    const seqBefore = observer.on('orderbook:BTCUSDT').at(-1)!.seq;

    await redis.kill();
    const outageStartMs = simulator.virtualTimeMs;
    await waitFor('publishes failing', () => stack.worker.stats().publishFailures > 20, 5_000);
    await delay(2_500); // two 1-minute candles close while Redis is down
    assert.equal(simulator.connectionCount, 1, 'the exchange connection is kept');
    assert.equal(stack.worker.stats().reconnects, 0);
    const outageEndMs = simulator.virtualTimeMs;

    const observedBefore = observer.messages.length;
    await redis.startProcess();
    await waitFor('messages flow again', () => observer.messages.length > observedBefore + 20, 15_000);
    await waitFor('candles flow again', () => observer.messages.slice(observedBefore).some((m) => m.channel === 'candles:BTCUSDT:1'), 10_000);

    // The restarted Redis is empty: its history holds exactly what was published since.
    // (The observer itself may miss messages while it resubscribes: Pub/Sub is at-most-once.)
    const history = await stack.bus.readHistory('orderbook:BTCUSDT', 0);
    const bookAfter = history.payloads.map((payload) => JSON.parse(payload) as OrderBookUpdate);
    assert.ok(bookAfter.length > 0);
    assert.equal(bookAfter[0]!.action, 'snapshot', 'the first book message after the outage is a full snapshot');
    assert.ok(bookAfter[0]!.seq > seqBefore, 'seq keeps increasing across a Redis restart');
    replayBook(bookAfter);
    bookAfter.forEach(assertSchemaValid);
    observer.messages.slice(observedBefore).forEach((m) => m.message.type === 'update' && assertSchemaValid(m.message));

    // Candles that closed during the outage reached the (restarted, empty) Redis, confirmed.
    await delay(1_000);
    const stored = await stack.bus.readSnapshot('candles:BTCUSDT:1');
    if (stored.subscription !== 'candles') return assert.fail('wrong snapshot kind');
    const closedDuringOutage = stored.candles.filter((c) => c.timestamp >= Math.floor(outageStartMs / 60_000) * 60_000 && c.timestamp + 60_000 <= outageEndMs);
    assert.ok(closedDuringOutage.length >= 1, `stored ${stored.candles.map((c) => c.timestamp).join(',')}`);
    assert.ok(closedDuringOutage.every((c) => c.confirm), 'outage candles stored confirmed');
    // The restarted Redis was empty; the worker put its confirmed history back: no hole, nothing lost.
    await waitFor('history restored', async () => {
      const now = await stack.bus.readSnapshot('candles:BTCUSDT:1');
      return now.subscription === 'candles' && now.candles.length >= 490;
    }, 5_000);
    const restored = await stack.bus.readSnapshot('candles:BTCUSDT:1');
    if (restored.subscription !== 'candles') return assert.fail('wrong snapshot kind');
    for (let i = 1; i < restored.candles.length; i++) {
      assert.equal(restored.candles[i]!.timestamp - restored.candles[i - 1]!.timestamp, 60_000, 'hole in the restored candles');
    }
    // Read what the bus carried from its own history: a Pub/Sub observer may miss messages while it resubscribes.
    const candleHistory = await stack.bus.readHistory('candles:BTCUSDT:1', 0);
    const republished = candleHistory.payloads
      .map((payload) => JSON.parse(payload) as CandleUpdate)
      .filter((u) => u.candle.confirm && closedDuringOutage.some((c) => c.timestamp === u.candle.timestamp));
    assert.equal(republished.length, closedDuringOutage.length, 'each outage candle confirmed exactly once on the bus');
    assert.deepEqual(unhandled, []);
  });

  it('Redis down at start: the worker waits for its leases, then takes its symbols and publishes', async (t) => {
    const defer = deferCleanups(t);
    const simulator = await startSimulator();
    defer(() => simulator.close());
    const redis = await TestRedisServer.start();
    defer(() => redis.stop());
    await redis.kill();
    const config = workerConfigFor(simulator, redis.url);
    const bus = createRedisBus({ url: config.redisUrl, prefix: '', limits: config.limits, logger: silentLogger() });
    const worker = await Worker.start(config, { bus, logger: silentLogger(), marketNow: () => simulator.virtualTimeMs });
    defer(() => bus.close());
    defer(() => worker.stop());
    // Without Redis no lease can be confirmed, so no symbol is streamed: another worker may hold them.
    await delay(1_500);
    assert.deepEqual(worker.stats().symbols, []);
    assert.equal(worker.stats().published, 0);

    await redis.startProcess();
    const observer = await ChannelObserver.start(redis.url);
    defer(() => observer.close());
    await waitFor('published after Redis came up', () => observer.on('orderbook:BTCUSDT').length > 0 && observer.on('candles:BTCUSDT:1').length > 0, 15_000);
    assert.deepEqual(worker.stats().symbols, ['BTCUSDT', 'ETHUSDT']);
    assert.equal((observer.on('orderbook:BTCUSDT')[0] as OrderBookUpdate).action, 'snapshot');
    assert.ok(worker.stats().published > 0);
  });
});
