/**
 * The browser client library against a real gateway (Node's `ws` standing in
 * for the browser WebSocket): snapshot then updates, and a gateway restart
 * survived with `since`: reconnecting, then live, with no duplicate and no hole.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { DEFAULT_BUS_LIMITS, type MarketBus } from '../../src/bus/market-bus.js';
import { loadGatewayConfig } from '../../src/config/gateway-config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { Worker } from '../../src/ingest/worker.js';
import type { MarketUpdate } from '../../src/schemas/index.js';
import { silentLogger } from '../../src/shared/logger.js';
import { GatewayClient, type ChannelSnapshot, type StateChange, type WebSocketConstructor } from '../../web/src/gateway-client.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { startSimulator, workerConfigFor } from '../helpers/worker-stack.js';
import { delay, waitFor } from '../helpers/wait-for.js';

function gatewayOn(bus: MarketBus, port: number, env: Record<string, string> = {}): Gateway {
  return new Gateway(loadGatewayConfig({}, { PORT: String(port), SYMBOLS: 'BTCUSDT,ETHUSDT', TIMEFRAMES: '1,5', LOG_LEVEL: 'silent', ...env }, false), { bus, logger: silentLogger() });
}

describe('GatewayClient (web/src)', () => {
  it('streams snapshot then updates, and survives a gateway restart with no duplicate and no hole', async (t) => {
    const defer = deferCleanups(t);
    const simulator = await startSimulator();
    defer(() => simulator.close());
    const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS });
    defer(() => bus.close());
    const worker = await Worker.start(workerConfigFor(simulator, 'redis://unused:1'), { bus, logger: silentLogger(), marketNow: () => simulator.virtualTimeMs });
    defer(() => worker.stop());
    let gateway = gatewayOn(bus, 0);
    defer(() => gateway.stop());
    const { port } = await gateway.listen();
    // The worker backfills candle history from REST beside the live stream: wait for it, so the snapshot has 10.
    await waitFor('candle history on the bus', async () => {
      const stored = await bus.readSnapshot('candles:BTCUSDT:1');
      return stored.subscription === 'candles' && stored.candles.length >= 10;
    }, 10_000);

    const client = new GatewayClient({ url: `ws://127.0.0.1:${port}/api/v1/live/ws`, WebSocket: WebSocket as unknown as WebSocketConstructor, reconnectBaseMs: 100, reconnectMaxMs: 300 });
    defer(() => client.close());
    const states: StateChange[] = [];
    client.onStateChange((change) => states.push(change));
    const snapshots: ChannelSnapshot[] = [];
    const updates: MarketUpdate[] = [];
    client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' }, { onSnapshot: (s) => snapshots.push(s), onUpdate: (u) => updates.push(u) });
    const candleSnapshots: ChannelSnapshot[] = [];
    client.subscribe({ subscription: 'candles', symbol: 'BTCUSDT', timeframe: '1', limit: 10 }, { onSnapshot: (s) => candleSnapshots.push(s), onUpdate: () => undefined });
    await waitFor('updates flowing', () => updates.length > 5, 10_000);
    assert.equal(snapshots.length, 1);
    assert.equal(updates[0]!.seq, snapshots[0]!.seq + 1);
    assert.equal((candleSnapshots[0]!.candles as unknown[]).length, 10);

    await gateway.stop();
    await waitFor('client reconnecting', () => client.state === 'reconnecting' || client.state === 'connecting', 3_000);
    assert.ok(states.some((s) => s.state === 'reconnecting' && typeof s.reconnectInMs === 'number'));
    await delay(600); // updates keep flowing into the bus while no gateway is up
    gateway = gatewayOn(bus, port);
    await gateway.listen();
    const before = updates.length;
    await waitFor('live again and updates flowing', () => client.state === 'live' && updates.length > before + 5, 10_000);

    assert.equal(snapshots.length, 1, 'resumed with since: a replay, not a new snapshot');
    const seqs = updates.map((u) => u.seq);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1, `seq ${seqs[i]} after ${seqs[i - 1]}`);
  });

  it('treats a silent socket as dead and reconnects', async (t) => {
    const defer = deferCleanups(t);
    const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS });
    defer(() => bus.close());
    const gateway = gatewayOn(bus, 0, { HEARTBEAT_INTERVAL_MS: '60000' });
    defer(() => gateway.stop());
    const { port } = await gateway.listen();
    const client = new GatewayClient({ url: `ws://127.0.0.1:${port}/api/v1/live/ws`, WebSocket: WebSocket as unknown as WebSocketConstructor, silenceTimeoutMs: 300, reconnectBaseMs: 100, reconnectMaxMs: 200 });
    defer(() => client.close());
    const states: string[] = [];
    client.onStateChange((change) => states.push(change.state));
    await waitFor('reconnected after silence', () => states.filter((s) => s === 'live').length >= 2, 5_000);
    assert.ok(states.includes('reconnecting'));
    client.close();
    assert.equal(client.state, 'closed');
  });
});
