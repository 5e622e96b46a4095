/**
 * A client that stops reading: its latest-state channels are conflated past
 * the soft bound, it is closed (4409) past the hard bound, and a fast client
 * on the same channel receives every update in order meanwhile.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { DEFAULT_BUS_LIMITS } from '../../src/bus/market-bus.js';
import { loadGatewayConfig } from '../../src/config/gateway-config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { Worker } from '../../src/ingest/worker.js';
import { silentLogger } from '../../src/shared/logger.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { startSimulator, workerConfigFor } from '../helpers/worker-stack.js';
import { waitFor } from '../helpers/wait-for.js';

function metric(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

describe('slow clients', () => {
  it('are conflated, then closed, without delaying a fast client on the same channel', async (t) => {
    const defer = deferCleanups(t);
    const simulator = await startSimulator();
    defer(() => simulator.close());
    const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS });
    defer(() => bus.close());
    const worker = await Worker.start(workerConfigFor(simulator, 'redis://unused:1'), { bus, logger: silentLogger(), marketNow: () => simulator.virtualTimeMs });
    defer(() => worker.stop());
    const gateway = new Gateway(
      loadGatewayConfig({}, {
        PORT: '0', SYMBOLS: 'BTCUSDT,ETHUSDT', TIMEFRAMES: '1,5', LOG_LEVEL: 'silent',
        SOFT_SEND_BUFFER_BYTES: '65536', MAX_SEND_BUFFER_BYTES: '3000000', INBOUND_MESSAGES_PER_SECOND: '1000',
      }, false),
      { bus, logger: silentLogger() },
    );
    defer(() => gateway.stop());
    const { url, port } = await gateway.listen();
    const base = `ws://127.0.0.1:${port}/api/v1/live`;

    const fast = new WebSocket(`${base}/ws/ticker/BTCUSDT`);
    defer(() => fast.terminate());
    const fastSeqs: number[] = [];
    const arrivals: number[] = [];
    fast.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { type: string; seq: number };
      if (message.type === 'update' || message.type === 'snapshot') {
        fastSeqs.push(message.seq);
        arrivals.push(Date.now());
      }
    });

    const slow = new WebSocket(`${base}/ws`);
    defer(() => slow.terminate());
    await new Promise((resolve) => slow.once('open', resolve));
    // Stop reading: the kernel buffers fill, then the gateway's send buffer grows.
    ((slow as unknown as { _socket: Socket })._socket).pause();
    slow.send(JSON.stringify({ type: 'subscribe', subscription: 'ticker', symbol: 'BTCUSDT' }));
    slow.send(JSON.stringify({ type: 'subscribe', subscription: 'orderbook', symbol: 'BTCUSDT' }));
    // Large snapshots, again and again, to fill its buffers quickly.
    const flood = setInterval(() => {
      for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
        slow.send(JSON.stringify({ type: 'subscribe', subscription: 'candles', symbol, timeframe: '1', limit: 1000 }));
      }
    }, 50);
    defer(() => clearInterval(flood));

    const metrics = async () => (await fetch(`${url}/metrics`)).text();
    await waitFor('conflation kicked in', async () => metric(await metrics(), /tickstream_gateway_dropped_updates_total\{reason="conflated"\} (\d+)/) > 0, 20_000, 100);
    await waitFor('slow client closed at the hard bound', async () => metric(await metrics(), /tickstream_gateway_slow_client_closes_total (\d+)/) === 1, 30_000, 100);
    clearInterval(flood);
    await waitFor('only the fast client remains', () => gateway.connectionCount === 1, 5_000);

    // The fast client saw every ticker update, in order, with no stall.
    assert.ok(fastSeqs.length > 20, `fast client got ${fastSeqs.length} messages`);
    for (let i = 1; i < fastSeqs.length; i++) assert.equal(fastSeqs[i], fastSeqs[i - 1]! + 1, `fast client seq ${fastSeqs[i]} after ${fastSeqs[i - 1]}`);
    const longestGapMs = Math.max(...arrivals.slice(1).map((at, i) => at - arrivals[i]!));
    assert.ok(longestGapMs < 1_500, `fast client stalled for ${longestGapMs} ms`);
    assert.equal(fast.readyState, WebSocket.OPEN);
  });
});
