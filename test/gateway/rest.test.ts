/**
 * REST under /api/v1/live: the channel catalog (subscribers on this gateway,
 * seq, age, simulated), health (200 healthy, degraded while the gateway is
 * behind its fan-out, 503 when Redis is gone, healthy again once it is back)
 * and recent candles, with their error answers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CandleData } from '../../src/schemas/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { ALL_CHANNELS, getJson, startGatewayStack, type GatewayStack } from './helpers/gateway-stack.js';
import { TestClient, dataOf } from './helpers/ws-client.js';

interface ChannelEntry {
  channel: string;
  subscription: string;
  symbol: string;
  timeframe?: string;
  subscribers: number;
  seq: number;
  last_message_age_ms: number | null;
}

async function channels(stack: GatewayStack, http = stack.http): Promise<{ status: number; body: Record<string, unknown>; byName: Map<string, ChannelEntry> }> {
  const { status, body } = await getJson(`${http}/channels`);
  return { status, body, byName: new Map((body.channels as ChannelEntry[]).map((entry) => [entry.channel, entry])) };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

describe('gateway REST', () => {
  it('GET /channels: every served channel with subscribers on this gateway, seq and last_message_age_ms', async (t) => {
    const stack = await startGatewayStack(t, { gatewayFirst: true });
    const before = await channels(stack);
    assert.equal(before.status, 200);
    assert.equal(before.body.success, true);
    assert.deepEqual(
      (before.body.channels as ChannelEntry[]).map((entry) => entry.channel),
      [...ALL_CHANNELS],
      'every channel of the configured symbols and timeframes, sorted',
    );
    assert.equal(before.body.count, ALL_CHANNELS.length);
    assert.equal(before.body.simulated, true);
    for (const entry of before.byName.values()) assert.equal(entry.subscribers, 0, `${entry.channel}: no subscriber yet`);
    assert.deepEqual(before.byName.get('candles:BTCUSDT:5'), {
      ...before.byName.get('candles:BTCUSDT:5'),
      subscription: 'candles',
      symbol: 'BTCUSDT',
      timeframe: '5',
    });
    assert.deepEqual(Object.keys(before.byName.get('ticker:ETHUSDT')!).sort(), ['channel', 'last_message_age_ms', 'seq', 'subscribers', 'subscription', 'symbol']);

    const client = await TestClient.connect(`${stack.ws}/ws/ticker/BTCUSDT`);
    stack.defer(() => client.close());
    const multiplex = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => multiplex.close());
    await client.take(2, dataOf('ticker:BTCUSDT'), 8_000, 'ticker data');
    await multiplex.subscribe({ subscription: 'orderbook', symbol: 'ETHUSDT' });
    await multiplex.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });

    const during = await channels(stack);
    const busSeqs = new Map((await stack.bus.listChannels()).map((info) => [info.channel, info.seq]));
    assert.equal(during.byName.get('ticker:BTCUSDT')!.subscribers, 2, 'two sockets on ticker:BTCUSDT');
    assert.equal(during.byName.get('orderbook:ETHUSDT')!.subscribers, 1, 'a connected client shows as 1');
    assert.equal(during.byName.get('trades:BTCUSDT')!.subscribers, 0);
    for (const entry of during.byName.values()) {
      assert.ok(entry.seq > 0 && entry.seq <= busSeqs.get(entry.channel)!, `${entry.channel}: seq ${entry.seq} vs bus ${busSeqs.get(entry.channel)}`);
      assert.equal(typeof entry.last_message_age_ms, 'number', `${entry.channel}: age`);
      assert.ok(entry.last_message_age_ms! >= 0 && entry.last_message_age_ms! < 10_000, `${entry.channel}: age ${entry.last_message_age_ms}`);
    }

    await client.close();
    await waitFor('the subscriber count drops', async () => (await channels(stack)).byName.get('ticker:BTCUSDT')!.subscribers === 1, 5_000);
    multiplex.send({ type: 'unsubscribe', subscription: 'orderbook', symbol: 'ETHUSDT' });
    await waitFor('the unsubscribe is counted', async () => (await channels(stack)).byName.get('orderbook:ETHUSDT')!.subscribers === 0, 5_000);
  });

  it('a gateway started after the worker went live still knows the data is simulated', async (t) => {
    // The worker announces `simulated: true` in its status messages, and keeps the latest on the bus.
    const stack = await startGatewayStack(t);
    const latest = await stack.bus.readLatestStatus('bybit:linear');
    assert.equal(latest?.simulated, true, 'the bus holds a simulated status');
    const { body } = await channels(stack);
    const client = await TestClient.connect(`${stack.ws}/ws/ticker/BTCUSDT`);
    stack.defer(() => client.close());
    const [snapshot] = await client.take(1, dataOf('ticker:BTCUSDT'), 8_000, 'ticker snapshot');
    const candles = await getJson(`${stack.http}/candles/BTCUSDT/1?limit=1`);
    // Regression: a gateway started after the worker went live once missed the `simulated` flag already on the bus.
    assert.deepEqual(
      { channels: body.simulated, snapshot: snapshot!.simulated ?? false, candles: candles.body.simulated },
      { channels: true, snapshot: true, candles: true },
    );
  });

  it('GET /health with the memory bus: 200 healthy, redis "memory", active channels, upstream live', async (t) => {
    const stack = await startGatewayStack(t);
    await waitFor('upstream live', async () => (await stack.bus.readLatestStatus('bybit:linear'))?.state === 'live', 10_000);
    await waitFor('the worker registered live', async () => (await stack.bus.coordination.listWorkers())[0]?.link === 'live', 10_000);
    const client = await TestClient.connect(`${stack.ws}/ws/ticker/BTCUSDT`);
    stack.defer(() => client.close());
    await client.next((m) => m.type === 'subscribed');
    const { status, body } = await getJson(`${stack.http}/health`);
    assert.equal(status, 200);
    assert.equal(body.status, 'healthy');
    assert.equal(body.redis, 'memory');
    assert.equal(body.active_channels, ALL_CHANNELS.length);
    assert.match(body.timestamp as string, ISO);
    const upstream = body.upstream as Record<string, unknown>;
    assert.equal(upstream.name, 'bybit:linear');
    assert.equal(upstream.state, 'live');
    assert.match(upstream.since as string, ISO);
    assert.deepEqual(body.stale_channels, []);
    assert.equal(body.connections, 1);
    const gateway = body.gateway as { state: string; event_loop_delay_p99_ms: number; event_loop_delay_max_ms: number };
    assert.equal(gateway.state, 'keeping-up');
    assert.ok(Number.isInteger(gateway.event_loop_delay_p99_ms) && gateway.event_loop_delay_max_ms >= gateway.event_loop_delay_p99_ms, JSON.stringify(gateway));
    const workers = body.workers as { pid: number; link: string; symbols: string[] }[];
    assert.deepEqual(workers.map((worker) => [worker.pid, worker.link, worker.symbols]), [[process.pid, 'live', ['BTCUSDT', 'ETHUSDT']]]);

    // With no worker alive, a last "live" status is not believed.
    await stack.worker.stop();
    const after = await getJson(`${stack.http}/health`);
    assert.equal(after.body.status, 'degraded');
    assert.equal((after.body.upstream as Record<string, unknown>).state, 'no-worker');
    assert.deepEqual(after.body.workers, []);
  });

  it('GET /health: degraded, gateway "behind", while this gateway\'s event loop is held past HEALTH_LOOP_DELAY_MS', async (t) => {
    const stack = await startGatewayStack(t, { gatewayEnv: { HEALTH_LOOP_DELAY_MS: '100' } });
    await waitFor('healthy', async () => (await getJson(`${stack.http}/health`)).body.status === 'healthy', 10_000);
    // What a fan-out turn past the core's capacity does (10k clients on one core: turns of seconds).
    for (let i = 0; i < 3; i++) {
      const until = performance.now() + 300;
      while (performance.now() < until) {
        // busy
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const { status, body } = await getJson(`${stack.http}/health`);
    assert.equal(status, 200, 'still serving: degraded, not unhealthy');
    assert.equal(body.status, 'degraded');
    const gateway = body.gateway as { state: string; event_loop_delay_p99_ms: number; event_loop_delay_max_ms: number };
    assert.equal(gateway.state, 'behind', JSON.stringify(gateway));
    assert.ok(gateway.event_loop_delay_max_ms >= 200, JSON.stringify(gateway));
  });

  it('GET /health with Redis: healthy; 503 unhealthy while Redis is down; healthy again once it is back', async (t) => {
    const stack = await startGatewayStack(t, { redis: true });
    const redis = stack.redis!;
    await waitFor('upstream live', async () => (await stack.bus.readLatestStatus('bybit:linear'))?.state === 'live', 10_000);
    const healthy = await getJson(`${stack.http}/health`);
    assert.equal(healthy.status, 200);
    assert.equal(healthy.body.status, 'healthy');
    assert.equal(healthy.body.redis, 'connected');
    assert.equal(healthy.body.active_channels, ALL_CHANNELS.length);
    assert.match(healthy.body.timestamp as string, ISO);
    assert.equal((healthy.body.upstream as Record<string, unknown>).state, 'live');

    await redis.kill();
    let down: { status: number; body: Record<string, unknown> } | undefined;
    await waitFor('health 503', async () => (down = await getJson(`${stack.http}/health`)).status === 503, 10_000);
    assert.equal(down!.body.status, 'unhealthy');
    assert.notEqual(down!.body.redis, 'connected');
    assert.match(down!.body.timestamp as string, ISO);
    // The other routes answer too, rather than hang: candles need Redis (503), channels fall back to configuration.
    const candles = await getJson(`${stack.http}/candles/BTCUSDT/1?limit=3`);
    assert.equal(candles.status, 503);
    assert.deepEqual((candles.body.error as Record<string, unknown>).code, 'UNAVAILABLE');

    await redis.startProcess();
    let last: { status: number; body: Record<string, unknown> } | undefined;
    await waitFor('redis connected again', async () => (last = await getJson(`${stack.http}/health`)).body.redis === 'connected', 15_000);
    // Regression: after a Redis restart the upstream status key stayed missing until the link changed state, so /health stayed degraded.
    await waitFor('healthy again', async () => (last = await getJson(`${stack.http}/health`)).body.status === 'healthy', 5_000).catch(() => undefined);
    assert.equal(last!.status, 200);
    assert.equal(last!.body.status, 'healthy', `health after the Redis restart: ${JSON.stringify(last!.body)}`);
  });

  it('GET /candles/{symbol}/{tf}?limit=3: the 3 most recent candles, oldest first', async (t) => {
    const stack = await startGatewayStack(t);
    const { status, body } = await getJson(`${stack.http}/candles/BTCUSDT/1?limit=3`);
    assert.equal(status, 200);
    assert.equal(body.success, true);
    assert.equal(body.symbol, 'BTCUSDT');
    assert.equal(body.timeframe, '1');
    assert.equal(body.count, 3);
    const candles = body.candles as CandleData[];
    assert.equal(candles.length, 3);
    for (let i = 1; i < 3; i++) assert.equal(candles[i]!.timestamp - candles[i - 1]!.timestamp, 60_000, 'oldest first, consecutive');
    assert.ok(candles[0]!.confirm && candles[1]!.confirm, 'the older two are closed');
    const stored = await stack.bus.readSnapshot('candles:BTCUSDT:1', 3);
    assert.ok(stored.subscription === 'candles');
    assert.ok(stored.candles.at(-1)!.timestamp >= candles[2]!.timestamp, 'the newest is the current one (or one just before)');
    assert.ok(stored.candles.at(-1)!.timestamp - candles[2]!.timestamp <= 60_000);
    assert.ok(typeof body.seq === 'number' && body.seq > 0);

    const lower = await getJson(`${stack.http}/candles/ethusdt/5?limit=2`);
    assert.equal(lower.status, 200);
    assert.equal(lower.body.symbol, 'ETHUSDT');
    assert.equal((lower.body.candles as unknown[]).length, 2);

    await waitFor('backfill', async () => {
      const snapshot = await stack.bus.readSnapshot('candles:ETHUSDT:1', 1000);
      return snapshot.subscription === 'candles' && snapshot.candles.length > 200;
    });
    const defaulted = await getJson(`${stack.http}/candles/ETHUSDT/1`);
    assert.equal(defaulted.body.count, 200, 'default limit');
  });

  it('GET /candles errors: unknown symbol 404, unserved timeframe 404, bad symbol 400, bad limit 400', async (t) => {
    const stack = await startGatewayStack(t, { waitForData: false });
    const expectError = async (path: string, status: number, code: string) => {
      const answer = await getJson(`${stack.http}${path}`);
      assert.equal(answer.status, status, `${path}: status`);
      assert.equal(answer.body.success, false, `${path}: success`);
      const error = answer.body.error as Record<string, unknown>;
      assert.equal(error.code, code, `${path}: code`);
      assert.equal(typeof error.message, 'string');
    };
    await expectError('/candles/DOGEUSDT/1', 404, 'UNKNOWN_SYMBOL');
    await expectError('/candles/DOGEUSDT/1?limit=3', 404, 'UNKNOWN_SYMBOL');
    await expectError('/candles/BTCUSDT/15', 404, 'UNKNOWN_TIMEFRAME');
    await expectError('/candles/BTCUSDT/7', 404, 'UNKNOWN_TIMEFRAME');
    await expectError('/candles/BTC%24USDT/1', 400, 'INVALID_SYMBOL');
    for (const limit of ['0', '-1', '1001', '5000', 'abc', '1.5', '']) {
      await expectError(`/candles/BTCUSDT/1?limit=${limit}`, 400, 'INVALID_PARAMETER');
    }
    const unknownRoute = await fetch(`${stack.http}/nope`);
    assert.equal(unknownRoute.status, 404);
  });
});
