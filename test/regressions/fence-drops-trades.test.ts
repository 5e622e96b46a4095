/**
 * Regression (found in review): the lease fence (ChannelPublisher `mayPublish`, false once 80% of the
 * TTL passed without a confirmed renewal) drops trades silently.
 *
 * A refusal by the fence "looks like a bus outage to the streams", but unlike a
 * bus refusal it consumes no seq: TradeStream has already marked the trades as
 * seen (deduplicator) and never re-sends them, so the channel's seq stays
 * consecutive and no consumer can tell trades are missing (ARCHITECTURE.md:
 * "A gap is never silent"). Trigger: this worker's Redis link stops answering
 * for a bit more than 80% of the TTL (a network hiccup; Redis itself is fine),
 * nobody else takes the lease, the worker resumes.
 * Real parts: simulator, worker, private redis-server; a TCP pass-through in
 * front of Redis for the worker only, which can hold traffic; an independent
 * subscriber on Redis directly; the simulator's REST recent trades as truth.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import { Worker } from '../../src/ingest/worker.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { TradeUpdate } from '../../src/schemas/index.js';
import { ChannelObserver } from '../helpers/channel-observer.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { TestRedisServer } from '../helpers/redis-server.js';
import { startSimulator, workerConfigFor } from '../helpers/worker-stack.js';
import { delay, waitFor } from '../helpers/wait-for.js';
import { HoldingProxy } from './helpers/holding-proxy.js';

describe('regression: the lease fence and trades', { timeout: 60_000 }, () => {
  it('never loses trades without a visible gap when the fence refuses publishes', { timeout: 45_000 }, async (t) => {
    const defer = deferCleanups(t);
    const simulator = await startSimulator();
    defer(() => simulator.close());
    const redis = await TestRedisServer.start();
    defer(() => redis.stop());
    const proxy = await HoldingProxy.start(redis.port);
    defer(() => proxy.close());
    const observer = await ChannelObserver.start(redis.url);
    defer(() => observer.close());
    const config = workerConfigFor(simulator, proxy.url, { flags: { symbols: 'BTCUSDT' }, env: { LEASE_TTL_MS: '3000' } });
    const bus = createRedisBus({ url: proxy.url, prefix: '', limits: config.limits, logger: silentLogger() });
    defer(() => bus.close());
    const worker = await Worker.start(config, { bus, logger: silentLogger(), simulated: true, marketNow: () => simulator.virtualTimeMs });
    defer(() => worker.stop());
    await waitFor('trades flowing', () => observer.on('trades:BTCUSDT').length > 10, 15_000);

    // The worker's Redis link holds for 3.5 s: past the fence (2.4 s after the last renewal), short of every bus deadline (5 s).
    proxy.hold();
    await delay(3_500);
    proxy.release();
    assert.ok(worker.stats().unownedPublishes > 0, 'the fence refused publishes while the lease was unconfirmed');
    // The next renewal confirms the lease (nobody else wanted it): the worker publishes again.
    let refusals = -1;
    await waitFor('the fence lets publishes through again', () => {
      const now = worker.stats().unownedPublishes;
      const stable = now === refusals;
      refusals = now;
      return stable;
    }, 10_000, 1_000);
    const resumedAt = observer.on('trades:BTCUSDT').length;
    await waitFor('new trades after the hold', () => observer.on('trades:BTCUSDT').length > resumedAt + 10, 10_000);

    const updates = observer.on('trades:BTCUSDT') as TradeUpdate[];
    const seqs = updates.map((update) => update.seq);
    const seqGaps = seqs.filter((seq, index) => index > 0 && seq !== seqs[index - 1]! + 1).length;
    const seen = new Set(updates.flatMap((update) => update.trades.map((trade) => trade.id)));
    const firstMs = Math.min(...updates.flatMap((update) => update.trades.map((trade) => trade.timestamp)));
    const lastMs = Math.max(...updates.flatMap((update) => update.trades.map((trade) => trade.timestamp)));
    const response = (await (await fetch(`${simulator.restBaseUrl}/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=1000`)).json()) as {
      result: { list: { execId: string; time: string }[] };
    };
    const exchange = response.result.list.filter((trade) => Number(trade.time) > firstMs && Number(trade.time) < lastMs);
    const missing = exchange.filter((trade) => !seen.has(trade.execId));
        assert.ok(exchange.length > 50, `enough exchange trades in the window (${exchange.length})`);
    assert.ok(
      missing.length === 0 || seqGaps > 0,
      `${missing.length} of ${exchange.length} exchange trades never reached trades:BTCUSDT, yet its seq is consecutive ` +
        `(${seqs[0]}..${seqs.at(-1)}, ${seqGaps} gaps); fence refusals: ${worker.stats().unownedPublishes}`,
    );
  });
});
