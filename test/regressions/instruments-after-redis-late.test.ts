/**
 * Regression (found in review): a worker that starts while Redis is not up never shares its
 * instrument list once Redis is there (until the hourly refresh), so every
 * client-requested symbol is refused with UNKNOWN_SYMBOL ("no worker has shared
 * the exchange's instrument list yet") for up to an hour.
 * The list is published once in validateSymbols (fails: Redis down), and again
 * only from onBusRecovered, which fires when a publish succeeds after a
 * *refused publish*; a worker whose first publishes happen after Redis came up
 * never had one refused. (A standby worker, which never publishes, never
 * re-shares it after a Redis restart either.)
 * Real parts: simulator, worker, private redis-server (started late), gateway
 * with its own Redis bus, ws client.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import { DEFAULT_BUS_LIMITS } from '../../src/bus/market-bus.js';
import { Worker } from '../../src/ingest/worker.js';
import { silentLogger } from '../../src/shared/logger.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { TestRedisServer } from '../helpers/redis-server.js';
import { startSimulator, workerConfigFor } from '../helpers/worker-stack.js';
import { waitFor } from '../helpers/wait-for.js';
import { startGatewayOn, waitForChannels } from '../gateway/helpers/gateway-stack.js';
import { TestClient } from '../gateway/helpers/ws-client.js';

describe('regression: instrument list when Redis comes up after the worker', { timeout: 60_000 }, () => {
  it('lets clients request a listed symbol once the worker streams', { timeout: 45_000 }, async (t) => {
    const defer = deferCleanups(t);
    const simulator = await startSimulator();
    defer(() => simulator.close());
    const redis = await TestRedisServer.start();
    defer(() => redis.stop());
    await redis.kill(); // Redis is not up yet when the worker starts

    const config = workerConfigFor(simulator, redis.url, { env: { LEASE_TTL_MS: '1500' } });
    const bus = createRedisBus({ url: redis.url, prefix: '', limits: config.limits, logger: silentLogger() });
    defer(() => bus.close());
    const worker = await Worker.start(config, { bus, logger: silentLogger(), simulated: true, marketNow: () => simulator.virtualTimeMs });
    defer(() => worker.stop());

    await redis.startProcess();
    await waitFor('the worker streams its symbols', () => worker.stats().symbols.length === 2, 15_000);
    await waitForChannels(bus);

    const gatewayBus = createRedisBus({ url: redis.url, prefix: '', limits: DEFAULT_BUS_LIMITS, logger: silentLogger() });
    defer(() => gatewayBus.close());
    const gateway = await startGatewayOn(defer, gatewayBus, { REDIS_URL: redis.url });
    const client = await TestClient.connect(`${gateway.ws}/ws`);
    t.after(() => client.socket.terminate());
    client.send({ type: 'subscribe', subscription: 'ticker', symbol: 'SOLUSDT' });
    const answer = await client.next((message) => message.type === 'subscribed' || message.type === 'error', 5_000, 'an answer');
    assert.equal(answer.type, 'subscribed', `SOLUSDT (listed by the exchange) refused: ${JSON.stringify(answer)}; instrument list in Redis: ${await gatewayBus.coordination.isInstrument('bybit:linear', 'SOLUSDT')}`);
  });
});
