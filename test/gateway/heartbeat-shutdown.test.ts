/**
 * Liveness and shutdown: a JSON heartbeat and a ping every
 * HEARTBEAT_INTERVAL_MS, a client that stops answering pings terminated
 * while live ones stay; `gateway.stop()` closing every client with 1001 and a
 * reason within the deadline, and refusing upgrades meanwhile and after.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { DEFAULT_BUS_LIMITS } from '../../src/bus/market-bus.js';
import { HeartbeatMessageSchema } from '../../src/schemas/index.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { startGatewayOn, startGatewayStack } from './helpers/gateway-stack.js';
import { closeFrame, frozenClient } from './helpers/raw-upgrade.js';
import { TestClient, dataOf, ofType, refusedUpgradeStatus } from './helpers/ws-client.js';

const checkHeartbeat = TypeCompiler.Compile(HeartbeatMessageSchema);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

describe('gateway heartbeats', () => {
  it('HEARTBEAT_INTERVAL_MS=200: {"type":"heartbeat","timestamp":ISO} and a ping on every tick', async (t) => {
    const defer = deferCleanups(t);
    const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS });
    defer(() => bus.close());
    const { ws } = await startGatewayOn(defer, bus, { HEARTBEAT_INTERVAL_MS: '200' });
    const client = await TestClient.connect(`${ws}/ws`);
    defer(() => client.close());
    let pings = 0;
    client.socket.on('ping', () => pings++);

    const arrivals: number[] = [];
    for (let i = 0; i < 4; i++) {
      const heartbeat = await client.next(ofType('heartbeat'), 2_000, `heartbeat ${i + 1}`);
      arrivals.push(Date.now());
      assert.deepEqual(Object.keys(heartbeat).sort(), ['timestamp', 'type']);
      assert.ok(checkHeartbeat.Check(heartbeat));
      assert.match(heartbeat.timestamp, ISO);
      assert.ok(Math.abs(Date.parse(heartbeat.timestamp) - Date.now()) < 5_000, 'timestamp is now');
    }
    // On the configured cadence: three intervals of 200 ms between the first and the fourth, none far late.
    const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
    assert.ok(arrivals[3]! - arrivals[0]! >= 450, `4 heartbeats within ${arrivals[3]! - arrivals[0]!} ms`);
    assert.ok(gaps.every((gap) => gap <= 1_000), `gaps between heartbeats ${gaps.join(', ')} ms`);
    assert.ok(pings >= 3, `${pings} pings`);
    assert.ok(client.isOpen, 'a client answering pings stays connected');
  });

  it('a client that never answers pings (autoPong: false) is terminated within a few intervals; a normal one stays', async (t) => {
    const stack = await startGatewayStack(t, { gatewayEnv: { HEARTBEAT_INTERVAL_MS: '200' } });
    const normal = await TestClient.connect(`${stack.ws}/ws/ticker/BTCUSDT`);
    stack.defer(() => normal.close());
    const openedAt = Date.now();
    const silent = await TestClient.connect(`${stack.ws}/ws/ticker/BTCUSDT`, { autoPong: false });
    stack.defer(() => silent.terminate());

    const closed = await silent.expectClose(3_000);
    const lifetimeMs = Date.now() - openedAt;
    assert.equal(closed.code, 1006, 'terminated: no close handshake');
    assert.ok(lifetimeMs <= 2_000, `terminated after ${lifetimeMs} ms (interval 200 ms)`);
    assert.ok(silent.all(ofType('heartbeat')).length >= 1, 'it was sent heartbeats before');

    // The normal client is unaffected: still open, heartbeats and data keep coming.
    const heartbeatsBefore = normal.all(ofType('heartbeat')).length;
    const updatesBefore = normal.all(dataOf('ticker:BTCUSDT')).length;
    await normal.receivedAfter(normal.received.length - 1, ofType('heartbeat'), 3, 3_000);
    assert.ok(normal.isOpen);
    assert.ok(normal.all(ofType('heartbeat')).length >= heartbeatsBefore + 3);
    assert.ok(normal.all(dataOf('ticker:BTCUSDT')).length > updatesBefore, 'data keeps flowing');
    assert.equal(stack.gateway.connectionCount, 1, 'the terminated session is gone');
  });
});

describe('gateway shutdown', () => {
  it('stop() closes every client with 1001 and a reason, promptly; upgrades are refused meanwhile and after', async (t) => {
    const stack = await startGatewayStack(t);
    const multiplex = await TestClient.connect(`${stack.ws}/ws`);
    const idle = await TestClient.connect(`${stack.ws}/ws`);
    const path = await TestClient.connect(`${stack.ws}/ws/candles/BTCUSDT/1?limit=3`);
    const clients = [multiplex, idle, path];
    for (const client of clients) stack.defer(() => client.terminate());
    await multiplex.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    await multiplex.subscribe({ subscription: 'orderbook', symbol: 'ETHUSDT' });
    await multiplex.take(2, dataOf('orderbook:ETHUSDT'), 8_000, 'book data');
    await path.take(2, dataOf('candles:BTCUSDT:1'), 8_000, 'candles data');
    // A client that never answers the close handshake: stop() must not wait for it forever.
    const frozen = await frozenClient(`${stack.ws}/ws/ticker/ETHUSDT`);
    stack.defer(() => frozen.socket.destroy());
    assert.equal(stack.gateway.connectionCount, 4);

    const startedAt = Date.now();
    const closeTimes = clients.map((client) => client.expectClose(3_000).then((info) => ({ ...info, afterMs: Date.now() - startedAt })));
    const stopped = stack.gateway.stop().then(() => Date.now() - startedAt);

    // While stopping (the frozen client holds it for a moment): a new upgrade gets 503.
    assert.equal(await refusedUpgradeStatus(`${stack.ws}/ws/ticker/BTCUSDT`), 503, 'upgrade during shutdown');

    const closes = await Promise.all(closeTimes);
    for (const close of closes) {
      assert.equal(close.code, 1001);
      assert.ok(close.reason.length > 0, 'a reason is given');
      assert.ok(close.afterMs < 1_500, `closed ${close.afterMs} ms after stop()`);
    }
    const stopMs = await stopped;
    assert.ok(stopMs < 3_000, `stop() took ${stopMs} ms`);
    await frozen.ended;
    const frozenClose = frozen.frames().find((frame) => frame.opcode === 0x8);
    assert.ok(frozenClose, 'the frozen client was sent a close frame');
    assert.equal(closeFrame(frozenClose).code, 1001);
    assert.equal(stack.gateway.connectionCount, 0);

    // After stop(): nothing is accepted any more.
    const after = await refusedUpgradeStatus(`${stack.ws}/ws`);
    assert.ok(after === 0 || after === 503, `upgrade after stop: ${after}`);
    await assert.rejects(fetch(`${stack.http}/health`), 'the HTTP server is closed');
    // Idempotent.
    await stack.gateway.stop();
  });

  it('stop() with only cooperative clients returns well under the deadline', async (t) => {
    const stack = await startGatewayStack(t);
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => TestClient.connect(`${stack.ws}/ws/orderbook/BTCUSDT`)));
    for (const client of clients) stack.defer(() => client.terminate());
    await Promise.all(clients.map((client) => client.take(2, dataOf('orderbook:BTCUSDT'), 8_000, 'book data')));
    const startedAt = Date.now();
    await stack.gateway.stop();
    const stopMs = Date.now() - startedAt;
    assert.ok(stopMs < 1_000, `stop() took ${stopMs} ms`);
    for (const client of clients) assert.equal((await client.expectClose(1_000)).code, 1001);
  });
});
