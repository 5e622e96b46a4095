/**
 * Regression (found in review): when the leases vanish from Redis (Redis restarted empty, a failover to
 * a replica that had not seen the last writes; here FLUSHALL right after the
 * holder's renewal), a standby worker acquires the "free" leases at its next
 * round while the holder still trusts its last renewal (`holds()` stays true
 * for 80% of the TTL and it only learns it lost at its own next round). For up
 * to one round both workers publish the same channels: the holder with its
 * in-process seq counter, the taker seeded from the seq key the holder keeps
 * writing, so the same seq is published twice (docs/scaling.md: "two workers
 * never publish one channel at the same time, and seq on a channel never
 * repeats").
 * Real parts: simulator, two workers with their own Redis buses, private
 * redis-server, an independent subscriber.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import type { MarketBus } from '../../src/bus/market-bus.js';
import { Worker } from '../../src/ingest/worker.js';
import { silentLogger } from '../../src/shared/logger.js';
import { ChannelObserver } from '../helpers/channel-observer.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { TestRedisServer } from '../helpers/redis-server.js';
import { startSimulator, workerConfigFor } from '../helpers/worker-stack.js';
import { delay, waitFor } from '../helpers/wait-for.js';

describe('regression: leases that vanish from Redis', { timeout: 60_000 }, () => {
  it('never lets two workers publish one channel (no repeated seq) when the store loses its leases', { timeout: 45_000 }, async (t) => {
    const defer = deferCleanups(t);
    const simulator = await startSimulator();
    defer(() => simulator.close());
    const redis = await TestRedisServer.start();
    defer(() => redis.stop());
    const observer = await ChannelObserver.start(redis.url);
    defer(() => observer.close());
    const admin = createClient({ url: redis.url });
    admin.on('error', () => undefined);
    await admin.connect();
    defer(() => admin.destroy());

    const workers: Worker[] = [];
    for (const id of ['worker-a', 'worker-b']) {
      const config = workerConfigFor(simulator, redis.url, { env: { WORKER_ID: id, LEASE_TTL_MS: '3000' } });
      const bus: MarketBus = createRedisBus({ url: config.redisUrl, prefix: '', limits: config.limits, logger: silentLogger() });
      defer(() => bus.close());
      const worker = await Worker.start(config, { bus, logger: silentLogger(), simulated: true, marketNow: () => simulator.virtualTimeMs });
      defer(() => worker.stop());
      workers.push(worker);
    }
    const [a, b] = workers as [Worker, Worker];
    await waitFor('worker-a streams', () => observer.on('orderbook:BTCUSDT').length > 5, 15_000);
    assert.deepEqual(a.stats().symbols, ['BTCUSDT', 'ETHUSDT']);
    assert.deepEqual(b.stats().symbols, []);

    // Right after worker-a renewed (the lease's TTL jumps back up), the store loses everything.
    const lease = 'tickstream:lease:bybit:linear:BTCUSDT';
    let previous = await admin.pTTL(lease);
    let renewed = false;
    for (const deadline = Date.now() + 5_000; Date.now() < deadline && !renewed; ) {
      const ttl = await admin.pTTL(lease);
      renewed = ttl > previous + 200;
      previous = ttl;
      await delay(3);
    }
    assert.ok(renewed, 'saw worker-a renew its lease');
    const before = observer.messages.length;
    await admin.flushAll();

    // worker-b's next round comes before worker-a's (same period, worker-a just had its round).
    await waitFor('worker-b takes BTCUSDT', () => b.stats().symbols.includes('BTCUSDT'), 5_000, 10);
    const bothHeld = a.stats().symbols.includes('BTCUSDT');
    await waitFor('worker-a lets it go', () => !a.stats().symbols.includes('BTCUSDT'), 5_000, 10);
    await delay(500);

    const seqs = observer.messages.slice(before).filter((m) => m.channel === 'orderbook:BTCUSDT' || m.channel === 'ticker:BTCUSDT');
    const seen = new Map<string, number>();
    const repeated: string[] = [];
    for (const { channel, message } of seqs) {
      const key = `${channel}#${(message as { seq: number }).seq}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (seen.get(key) === 2) repeated.push(key);
    }
    console.log(`both workers held BTCUSDT at once: ${bothHeld}; repeated seqs: ${repeated.length}`);
    assert.deepEqual(repeated, [], `the same seq was published twice on a channel (two publishers at once): ${repeated.slice(0, 10).join(', ')}${repeated.length > 10 ? ` … (${repeated.length})` : ''}`);
  });
});
