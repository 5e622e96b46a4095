/**
 * Several workers on one Redis (all real parts, in one process): each symbol
 * is streamed by exactly one worker, and a worker that stops hands its
 * symbols over at once; the taker continues the channels' seq and candles
 * with no hole, and tells clients on the status channel.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import type { MarketBus } from '../../src/bus/market-bus.js';
import { Worker } from '../../src/ingest/worker.js';
import type { CandleUpdate, MarketUpdate } from '../../src/schemas/index.js';
import { silentLogger } from '../../src/shared/logger.js';
import { ChannelObserver } from '../helpers/channel-observer.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { TestRedisServer } from '../helpers/redis-server.js';
import { startSimulator, workerConfigFor } from '../helpers/worker-stack.js';
import { delay, waitFor } from '../helpers/wait-for.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];

/** Every seq the bus stored for the channel, in order: consecutive means nobody else published into it. */
async function storedSeqs(bus: MarketBus, channel: string): Promise<number[]> {
  const history = await bus.readHistory(channel, 0);
  return history.payloads.map((payload) => (JSON.parse(payload) as MarketUpdate).seq);
}

function assertConsecutive(values: readonly number[], step: number, what: string): void {
  for (let i = 1; i < values.length; i++) assert.equal(values[i]! - values[i - 1]!, step, `${what}: ${values[i - 1]} then ${values[i]}`);
}

/** The simulator, a private Redis and an observer; `startWorker` adds a worker with its own bus (as its own process would have). */
async function startCluster(t: TestContext) {
  const defer = deferCleanups(t);
  const simulator = await startSimulator();
  defer(() => simulator.close());
  const redis = await TestRedisServer.start();
  defer(() => redis.stop());
  const observer = await ChannelObserver.start(redis.url);
  defer(() => observer.close());
  const startWorker = async (id: string): Promise<{ worker: Worker; bus: MarketBus }> => {
    const config = workerConfigFor(simulator, redis.url, { env: { WORKER_ID: id, LEASE_TTL_MS: '3000' } });
    const bus = createRedisBus({ url: config.redisUrl, prefix: '', limits: config.limits, logger: silentLogger() });
    defer(() => bus.close());
    const worker = await Worker.start(config, { bus, logger: silentLogger(), simulated: true, marketNow: () => simulator.virtualTimeMs });
    defer(() => worker.stop());
    return { worker, bus };
  };
  return { simulator, observer, startWorker };
}

describe('workers sharing the upstream through leases', () => {
  it('streams each symbol from exactly one worker, and hands a stopping worker\'s symbols over with no hole', async (t) => {
    const { simulator, observer, startWorker } = await startCluster(t);
    const workers = new Map<string, Worker>();
    let readBus: MarketBus | undefined;
    for (const id of ['worker-a', 'worker-b']) {
      const started = await startWorker(id);
      readBus ??= started.bus;
      workers.set(id, started.worker);
    }
    const bus = readBus!;
    await waitFor('data on every channel', () => SYMBOLS.every((symbol) => observer.on(`candles:${symbol}:1`).length > 2 && observer.on(`orderbook:${symbol}`).length > 2), 15_000);

    const held = [...workers.values()].map((worker) => worker.stats().symbols);
    assert.deepEqual(held.flat().sort(), SYMBOLS, `each symbol held once: ${JSON.stringify(held)}`);
    assert.equal(simulator.connectionCount, 2, 'both workers keep a socket open (the standby takes over on it)');
    for (const channel of ['candles:BTCUSDT:1', 'trades:BTCUSDT', 'orderbook:ETHUSDT', 'ticker:ETHUSDT']) {
      assertConsecutive(await storedSeqs(bus, channel), 1, `${channel} seq (two publishers would collide)`);
    }

    const ownerId = [...workers].find(([, worker]) => worker.stats().symbols.includes('BTCUSDT'))![0];
    const takerId = ownerId === 'worker-a' ? 'worker-b' : 'worker-a';
    const stoppedAt = Date.now();
    const statusesBefore = observer.statuses().length;
    await workers.get(ownerId)!.stop();
    await waitFor('the other worker streams BTCUSDT', () => workers.get(takerId)!.stats().symbols.includes('BTCUSDT'), 5_000);
    const takeoverMs = Date.now() - stoppedAt;
    assert.ok(takeoverMs < 3_000, `a released lease is taken within a round (${takeoverMs} ms)`);

    const candlesAfter = observer.on('candles:BTCUSDT:1').length;
    await waitFor('BTCUSDT candles from the new worker', () => observer.on('candles:BTCUSDT:1').length > candlesAfter + 3, 10_000);
    const statuses = observer.statuses().slice(statusesBefore);
    const stopped = statuses.find((status) => status.worker === ownerId && status.state === 'stopped');
    assert.ok(stopped?.channels.includes('candles:BTCUSDT:1'), `the stopping worker names its channels: ${JSON.stringify(statuses)}`);
    const takeover = statuses.find((status) => status.worker === takerId && status.state === 'connecting');
    assert.ok(takeover?.channels.includes('candles:BTCUSDT:1'), 'the taker announces the takeover');
    assert.match(takeover?.reason ?? '', new RegExp(`worker ${ownerId} stopped streaming BTCUSDT`));
    assert.ok(statuses.some((status) => status.worker === takerId && status.state === 'live' && status.channels.includes('candles:BTCUSDT:1')), 'then live');
    assert.equal(statuses.filter((status) => status.channels.length === 0 && status.state === 'stopped').length, 0, 'the link is not declared stopped while a worker remains');

    // Two more candles close under the new worker; the stored sequence and candles have no hole.
    await delay(2_500);
    assertConsecutive(await storedSeqs(bus, 'candles:BTCUSDT:1'), 1, 'candles:BTCUSDT:1 seq across the handover');
    assertConsecutive(await storedSeqs(bus, 'trades:BTCUSDT'), 1, 'trades:BTCUSDT seq across the handover');
    const snapshot = await bus.readSnapshot('candles:BTCUSDT:1');
    if (snapshot.subscription !== 'candles') return assert.fail('wrong snapshot kind');
    assertConsecutive(snapshot.candles.map((candle) => candle.timestamp), 60_000, 'stored candle starts');
    const confirmed = observer.on('candles:BTCUSDT:1').filter((update) => (update as CandleUpdate).status === 'confirmed').map((update) => (update as CandleUpdate).candle.timestamp);
    assertConsecutive([...new Set(confirmed)].sort((a, b) => a - b), 60_000, 'confirmed candles seen on the bus');
  });

  it('a standby worker holds nothing and says nothing until a symbol is free', async (t) => {
    const { observer, startWorker: start } = await startCluster(t);
    const first = await start('worker-1');
    await waitFor('worker-1 live', () => observer.on('candles:BTCUSDT:1').length > 0, 10_000);
    const standby = await start('worker-2');
    await delay(1_500);
    assert.deepEqual(standby.worker.stats().symbols, []);
    assert.deepEqual(first.worker.stats().symbols, SYMBOLS);
    assert.deepEqual(observer.statuses().filter((status) => status.worker === 'worker-2'), [], 'the standby worker is silent');
    const registry = await first.bus.coordination.listWorkers();
    assert.deepEqual(registry.map((record) => [record.id, record.symbols, record.link]), [['worker-1', SYMBOLS, 'live'], ['worker-2', [], 'open']]);
  });
});
