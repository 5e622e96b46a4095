/**
 * The Redis bus: the MarketBus contract against a private redis-server, then
 * what only Redis has: the exact Pub/Sub names and key layout external clients
 * rely on, connection economy, and faults (Redis down at start, Redis killed
 * and restarted mid-stream). Fault tests get their own server so killing it
 * cannot disturb the contract run.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { BusUnavailableError, DEFAULT_BUS_LIMITS, type MarketBus } from '../../src/bus/market-bus.js';
import { createRedisBus, MAX_PENDING_PUBLISHES, OPERATION_DEADLINE_MS } from '../../src/bus/redis-bus.js';
import { candlesChannel, STATUS_CHANNEL, tickerChannel, tradesChannel } from '../../src/schemas/index.js';
import { pino } from 'pino';
import { silentLogger, type Logger } from '../../src/shared/logger.js';
import { TestRedisServer } from '../helpers/redis-server.js';
import { coordinationContract } from './coordination.contract.js';
import { marketBusContract, range } from './market-bus.contract.js';
import { candleUpdate, statusMessage, T0_MS, tickerUpdate, tradeUpdate } from './market-fixtures.js';
import { PayloadCollector, settleEventLoop, waitUntil, within } from './payload-collector.js';

const RECOVERY_WAIT_MS = 15_000;

let server: TestRedisServer | undefined;
before(async () => {
  server = await TestRedisServer.start();
});
after(async () => {
  await server?.stop();
});

marketBusContract('redis bus', (options) => createRedisBus({ ...options, url: server!.url, logger: silentLogger() }));
coordinationContract('redis bus', (options) => createRedisBus({ ...options, url: server!.url, logger: silentLogger() }));

/** Buses and raw clients of one describe block, closed after each test. */
function resources() {
  const buses: MarketBus[] = [];
  const raws: ReturnType<typeof createClient>[] = [];
  return {
    bus(url: string, prefix: string, logger: Logger = silentLogger()): MarketBus {
      const bus = createRedisBus({ url, prefix, limits: DEFAULT_BUS_LIMITS, logger });
      buses.push(bus);
      return bus;
    },
    async raw(url: string) {
      const client = createClient({ url });
      client.on('error', () => undefined);
      raws.push(client);
      await client.connect();
      return client;
    },
    async release(): Promise<void> {
      await Promise.all(buses.splice(0).map((bus) => within(bus.close(), 5_000, 'bus close')));
      for (const client of raws.splice(0)) client.destroy();
    },
  };
}

void describe('redis bus: names on the wire and in the key space', () => {
  const owned = resources();
  afterEach(() => owned.release());

  void it('publishes on exactly candles:{SYMBOL}:{TF} etc. with prefix "", for redis-cli users', async () => {
    const raw = await owned.raw(server!.url);
    const bus = owned.bus(server!.url, '');
    const received: [string, string][] = [];
    const names = [candlesChannel('RAWUSDT', '1'), tradesChannel('RAWUSDT'), tickerChannel('RAWUSDT'), STATUS_CHANNEL];
    await raw.subscribe(names, (message, channel) => received.push([channel, message]));
    const candle = await bus.publish(candleUpdate('RAWUSDT', T0_MS));
    const trade = await bus.publish(tradeUpdate('RAWUSDT', ['r1']));
    const ticker = await bus.publish(tickerUpdate('RAWUSDT', '61029.90'));
    const status = statusMessage('bybit:linear', 'live');
    await bus.publishStatus(status);
    await waitUntil(() => received.length === 4, '4 raw messages');
    assert.deepEqual(received, [
      [names[0], candle.payload],
      [names[1], trade.payload],
      [names[2], ticker.payload],
      [STATUS_CHANNEL, JSON.stringify(status)],
    ]);
  });

  void it('prefixes every key and channel, and keeps keys out of the channel namespace', async () => {
    const raw = await owned.raw(server!.url);
    const rawSubscriber = await owned.raw(server!.url);
    const bus = owned.bus(server!.url, 'ts:');
    const received: string[] = [];
    await rawSubscriber.subscribe('ts:candles:KEYUSDT:1', (message) => received.push(message));
    const candle = await bus.publish(candleUpdate('KEYUSDT', T0_MS));
    await bus.publish(tradeUpdate('KEYUSDT', ['k1']));
    await bus.publish(tickerUpdate('KEYUSDT', '1.0'));
    await bus.publishStatus(statusMessage('bybit:linear', 'live'));
    await waitUntil(() => received.length === 1, 'the prefixed message');
    assert.deepEqual(received, [candle.payload]);
    const types: Record<string, string> = {};
    for (const key of await raw.keys('*KEYUSDT*')) types[key] = await raw.type(key);
    assert.deepEqual(types, {
      'ts:tickstream:seq:candles:KEYUSDT:1': 'string',
      'ts:tickstream:history:candles:KEYUSDT:1': 'zset',
      'ts:tickstream:state:candles:KEYUSDT:1': 'zset',
      'ts:tickstream:seq:trades:KEYUSDT': 'string',
      'ts:tickstream:history:trades:KEYUSDT': 'zset',
      'ts:tickstream:state:trades:KEYUSDT': 'list',
      'ts:tickstream:seq:ticker:KEYUSDT': 'string',
      'ts:tickstream:history:ticker:KEYUSDT': 'zset',
      'ts:tickstream:state:ticker:KEYUSDT': 'string',
    });
    assert.equal(await raw.type('ts:tickstream:channels'), 'hash');
    assert.equal(await raw.type('ts:tickstream:status:bybit:linear'), 'string');
    for (const key of await raw.keys('ts:*')) assert.ok(key.startsWith('ts:tickstream:'), key);
  });
});

void describe('redis bus: connections', () => {
  let own: TestRedisServer | undefined;
  const owned = resources();
  before(async () => {
    own = await TestRedisServer.start();
  });
  after(async () => {
    await owned.release();
    await own?.stop();
  });

  void it('holds one connection until the first subscribe; listeners share one Redis subscription', async () => {
    const raw = await owned.raw(own!.url);
    const clients = async () => (await raw.clientList()).length;
    const subscribers = async (topic: string) => Number((await raw.pubSubNumSub(topic))[topic]);
    assert.equal(await clients(), 1);
    const bus = owned.bus(own!.url, 'cx:');
    await bus.publish(tickerUpdate('BTCUSDT', '1.0'));
    assert.equal(await clients(), 2, 'a publish-only bus holds one connection');
    const channel = tickerChannel('BTCUSDT');
    const unsubscribe = [await bus.subscribe(channel, () => undefined), await bus.subscribe(channel, () => undefined)];
    await bus.subscribe(tradesChannel('BTCUSDT'), () => undefined);
    assert.equal(await clients(), 3, 'one more for Pub/Sub');
    assert.equal(await subscribers(`cx:${channel}`), 1, 'two listeners, one Redis subscription');
    await unsubscribe[0]!();
    assert.equal(await subscribers(`cx:${channel}`), 1);
    await unsubscribe[1]!();
    await waitUntil(async () => (await subscribers(`cx:${channel}`)) === 0, 'the Redis subscription to go');
    assert.equal(await subscribers(`cx:${tradesChannel('BTCUSDT')}`), 1);
  });
});

void describe('redis bus: faults', () => {
  let own: TestRedisServer | undefined;
  const owned = resources();
  const processFaults: unknown[] = [];
  const recordFault = (fault: unknown) => processFaults.push(fault);
  before(async () => {
    own = await TestRedisServer.start();
    process.on('unhandledRejection', recordFault);
    process.on('uncaughtException', recordFault);
  });
  afterEach(async () => {
    await owned.release();
    assert.deepEqual(processFaults, [], 'no unhandled rejection or uncaught exception');
  });
  after(async () => {
    process.off('unhandledRejection', recordFault);
    process.off('uncaughtException', recordFault);
    await own?.stop();
  });

  void it('starts with Redis down without throwing, fails fast, then works once Redis is up', async () => {
    await own!.kill();
    const bus = owned.bus(own!.url, 'down:');
    await waitUntil(() => bus.connectionState() === 'disconnected', 'state disconnected');
    const started = Date.now();
    await assert.rejects(bus.publish(tickerUpdate('BTCUSDT', '1.0')), BusUnavailableError);
    assert.ok(Date.now() - started < 1_000, `publish failed fast (${Date.now() - started} ms)`);
    await assert.rejects(bus.subscribe(tickerChannel('BTCUSDT'), () => undefined), BusUnavailableError);
    await assert.rejects(bus.readSnapshot(tickerChannel('BTCUSDT')), BusUnavailableError);
    await assert.rejects(bus.publishStatus(statusMessage('bybit:linear', 'live')), BusUnavailableError);
    assert.deepEqual(bus.stats(), { published: 0, publishErrors: 1, activeChannels: 0 });

    await own!.startProcess();
    await waitUntil(() => bus.connectionState() === 'connected', 'reconnection', RECOVERY_WAIT_MS);
    const live = new PayloadCollector();
    await bus.subscribe(tickerChannel('BTCUSDT'), live.listener);
    const published = await bus.publish(tickerUpdate('BTCUSDT', '2.0'));
    assert.equal(published.update.seq, 1, 'the seq of a publish that never reached Redis is not consumed before seeding');
    assert.deepEqual(await live.waitForCount(1), [published.payload]);
  });

  void it('survives Redis being killed mid-stream: publishes fail and are counted, then everything resumes', async () => {
    const gatewayLog: { msg: string; connection?: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => gatewayLog.push(JSON.parse(line)) });
    const worker = owned.bus(own!.url, 'kill:');
    const gateway = owned.bus(own!.url, 'kill:', logger);
    const channel = tradesChannel('BTCUSDT');
    const live = new PayloadCollector();
    await gateway.subscribe(channel, live.listener);
    const unsubscribeTicker = await gateway.subscribe(tickerChannel('BTCUSDT'), () => undefined);
    for (let i = 1; i <= 3; i++) await worker.publish(tradeUpdate('BTCUSDT', [`before${i}`]));
    await live.waitForCount(3);

    await own!.kill();
    await waitUntil(() => worker.connectionState() === 'disconnected', 'the worker to notice');
    const logMark = gatewayLog.length;
    await within(unsubscribeTicker(), 1_000, 'unsubscribe while Redis is down');
    // A failed reconnect attempt makes node-redis drop the queued UNSUBSCRIBE: the case to recover from.
    const subscriberFailed = () => gatewayLog.slice(logMark).some((line) => line.connection === 'subscriber' && line.msg.startsWith('redis'));
    await waitUntil(subscriberFailed, 'a failed attempt of the gateway subscriber', RECOVERY_WAIT_MS);
    for (let i = 1; i <= 3; i++) {
      const started = Date.now();
      await assert.rejects(worker.publish(tradeUpdate('BTCUSDT', [`during${i}`])), BusUnavailableError);
      assert.ok(Date.now() - started < 1_000, 'failed fast');
    }
    assert.deepEqual(worker.stats(), { published: 3, publishErrors: 3, activeChannels: 1 });

    await own!.startProcess();
    await waitUntil(() => worker.connectionState() === 'connected', 'the worker to reconnect', RECOVERY_WAIT_MS);
    // The gateway's subscriber reconnects on its own schedule: publish until it hears.
    let next = 1;
    await waitUntil(
      async () => {
        await worker.publish(tradeUpdate('BTCUSDT', [`after${next++}`])).catch(() => undefined);
        await settleEventLoop();
        return live.payloads.length > 3;
      },
      'the existing subscription to receive again',
      RECOVERY_WAIT_MS,
      100,
    );
    const resumed = live.seqs().slice(3);
    assert.ok(resumed.every((seq) => seq > 6), `seqs 4-6 were consumed by the failed publishes: ${resumed.join(',')}`);
    assert.deepEqual(resumed, [...resumed].sort((a, b) => a - b));
    const history = await worker.readHistory(channel, 3);
    assert.equal(history.complete, false, 'the outage (and the wiped Redis) is a hole');
    assert.equal(history.seq, live.seqs().at(-1));
    const raw = await owned.raw(own!.url);
    const tickerTopic = `kill:${tickerChannel('BTCUSDT')}`;
    await waitUntil(async () => (await raw.pubSubNumSub(tickerTopic))[tickerTopic] === 0, 'the lost UNSUBSCRIBE to be redone');
    assert.equal((await raw.pubSubNumSub(`kill:${channel}`))[`kill:${channel}`], 1);
  });

  void it('bounds the backlog when Redis stalls (SIGSTOP), and close does not wait for a stalled Redis', async () => {
    const raw = await owned.raw(own!.url);
    const pid = Number(/process_id:(\d+)/.exec(await raw.info('server'))?.[1]);
    assert.ok(pid > 0, 'redis-server pid');
    const bus = owned.bus(own!.url, 'stall:');
    const channel = tickerChannel('BTCUSDT');
    await bus.publish(tickerUpdate('BTCUSDT', '1.0'));
    process.kill(pid, 'SIGSTOP');
    try {
      const backlog = range(1, MAX_PENDING_PUBLISHES).map((i) => bus.publish(tickerUpdate('BTCUSDT', `${i}.0`)));
      await assert.rejects(bus.publish(tickerUpdate('BTCUSDT', '7.7')), /not keeping up/);
      process.kill(pid, 'SIGCONT');
      const published = await within(Promise.all(backlog), 10_000, 'the backlog to drain');
      assert.deepEqual([published[0]!.update.seq, published.at(-1)!.update.seq], [2, MAX_PENDING_PUBLISHES + 1]);
      const after = await bus.publish(tickerUpdate('BTCUSDT', '8.8'));
      assert.equal(after.update.seq, MAX_PENDING_PUBLISHES + 3, 'the refused publish consumed its seq');
      assert.equal((await bus.readHistory(channel, MAX_PENDING_PUBLISHES)).complete, false);

      process.kill(pid, 'SIGSTOP');
      const stuck = range(1, 5).map((i) => bus.publish(tickerUpdate('BTCUSDT', `9.${i}`)));
      await within(bus.close(), 3_000, 'close while Redis is stalled');
      for (const outcome of await Promise.allSettled(stuck)) {
        assert.ok(outcome.status === 'rejected' && outcome.reason instanceof BusUnavailableError, String(outcome.status));
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  void it('detects a Redis that stops answering: publishes and reads fail at the deadline, state disconnected, then recovers', async () => {
    const raw = await owned.raw(own!.url);
    const pid = Number(/process_id:(\d+)/.exec(await raw.info('server'))?.[1]);
    const bus = owned.bus(own!.url, 'hung:');
    const channel = tickerChannel('BTCUSDT');
    await bus.publish(tickerUpdate('BTCUSDT', '1.0'));
    process.kill(pid, 'SIGSTOP');
    try {
      const startedAt = Date.now();
      await assert.rejects(bus.publish(tickerUpdate('BTCUSDT', '2.0')), /no reply from Redis/);
      const waitedMs = Date.now() - startedAt;
      assert.ok(waitedMs >= OPERATION_DEADLINE_MS - 100 && waitedMs < OPERATION_DEADLINE_MS + 2_000, `failed after ${waitedMs} ms`);
      assert.equal(bus.connectionState(), 'disconnected', 'a hung Redis is reported, not hidden behind an open socket');
      await assert.rejects(within(bus.publish(tickerUpdate('BTCUSDT', '3.0')), 500, 'an immediate refusal'), /not answering/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitUntil(() => bus.connectionState() === 'connected', 'connected again once Redis answers');
    const after = await bus.publish(tickerUpdate('BTCUSDT', '4.0'));
    assert.ok(after.update.seq > 3);
    const snapshot = await bus.readSnapshot(channel);
    assert.equal(snapshot.seq, after.update.seq);
  });

  void it('sees a hung Redis that was replaced come back with no operation of its own (a listening gateway)', async () => {
    const raw = await owned.raw(own!.url);
    const pid = Number(/process_id:(\d+)/.exec(await raw.info('server'))?.[1]);
    const bus = owned.bus(own!.url, 'probe:');
    await bus.publish(tickerUpdate('BTCUSDT', '1.0'));
    process.kill(pid, 'SIGSTOP');
    await assert.rejects(bus.publish(tickerUpdate('BTCUSDT', '2.0')), /no reply from Redis/);
    assert.equal(bus.connectionState(), 'disconnected');
    // The hung server dies and a new one starts: the operation that missed its deadline fails, nothing succeeds.
    await own!.kill();
    await own!.startProcess();
    await waitUntil(() => bus.connectionState() === 'connected', 'connected again without any operation', 15_000);
  });

  void it('closes promptly while Redis is down', async () => {
    await own!.kill();
    const bus = owned.bus(own!.url, 'close:');
    await waitUntil(() => bus.connectionState() === 'disconnected', 'state disconnected');
    await within(bus.close(), 2_000, 'close while Redis is down');
    assert.equal(bus.connectionState(), 'disconnected');
    await own!.startProcess();
  });
});
