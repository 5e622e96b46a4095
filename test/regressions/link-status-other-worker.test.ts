/**
 * Regression (found in review): with several workers, one worker's link-level status (channels: [],
 * "the whole upstream link") reaches the clients of channels another worker
 * streams perfectly well. Worker A (BTCUSDT) loses its exchange socket and
 * announces `disconnected` for the link; the gateway relays it to every session
 * (client-session onStatus: channels [] goes to everyone), so a client of
 * ticker:ETHUSDT (worker B, live) is told the upstream is disconnected; the web
 * page (feed-health.ts) keys it by upstream and shows the feed as down.
 * Real parts: two simulators (one per worker, so one link can fail alone), two
 * workers with their own Redis buses, private redis-server, gateway, ws client.
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
import { delay } from '../helpers/wait-for.js';
import { startGatewayOn } from '../gateway/helpers/gateway-stack.js';
import { TestClient, type ServerMessage } from '../gateway/helpers/ws-client.js';

describe('regression: link status with several workers', { timeout: 60_000 }, () => {
  it('does not tell a client whose channel another worker streams live that the upstream is disconnected', { timeout: 45_000 }, async (t) => {
    const defer = deferCleanups(t);
    const redis = await TestRedisServer.start();
    defer(() => redis.stop());
    const simulators = [await startSimulator(), await startSimulator()];
    for (const simulator of simulators) defer(() => simulator.close());
    const workers: Worker[] = [];
    for (const [index, symbol] of ['BTCUSDT', 'ETHUSDT'].entries()) {
      const config = workerConfigFor(simulators[index]!, redis.url, { flags: { symbols: symbol }, env: { WORKER_ID: `worker-${symbol}`, LEASE_TTL_MS: '1500' } });
      const bus = createRedisBus({ url: redis.url, prefix: '', limits: config.limits, logger: silentLogger() });
      defer(() => bus.close());
      const worker = await Worker.start(config, { bus, logger: silentLogger(), simulated: true, marketNow: () => simulators[index]!.virtualTimeMs });
      defer(() => worker.stop());
      workers.push(worker);
    }
    const gatewayBus = createRedisBus({ url: redis.url, prefix: '', limits: DEFAULT_BUS_LIMITS, logger: silentLogger() });
    defer(() => gatewayBus.close());
    const gateway = await startGatewayOn(defer, gatewayBus, { REDIS_URL: redis.url });

    const client = await TestClient.connect(`${gateway.ws}/ws`);
    t.after(() => client.socket.terminate());
    await client.subscribe({ subscription: 'ticker', symbol: 'ETHUSDT' });
    await client.next((message) => message.type === 'update' && message.channel === 'ticker:ETHUSDT', 15_000, 'ETHUSDT ticker');
    await delay(500);

    // Worker-BTCUSDT's exchange link fails (its simulator refuses it for a while); worker-ETHUSDT is untouched.
    simulators[0]!.refuseConnections(true);
    simulators[0]!.dropConnections();
    await delay(2_000);
    const updatesSince = client.received.filter((r) => r.message.type === 'update' && r.message.channel === 'ticker:ETHUSDT').length;
    assert.ok(updatesSince > 5, 'ticker:ETHUSDT is live all along');
    const linkStatuses = client.received.map((r) => r.message).filter((m: ServerMessage) => m.type === 'status' && (m.channels as string[]).length === 0 && m.state !== 'live');
    assert.deepEqual(
      linkStatuses.map((m) => ({ state: m.state, worker: m.worker, reason: m.reason })),
      [],
      'a client of ticker:ETHUSDT (worker-ETHUSDT, live) is told the whole upstream link is down',
    );
  });
});
