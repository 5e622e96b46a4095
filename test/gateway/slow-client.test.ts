/**
 * A client that stops reading: its latest-state channels are conflated past
 * the soft bound, it is closed (4409) past the hard bound, and a fast client
 * on the same channel receives every update in order meanwhile.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { waitFor } from '../helpers/wait-for.js';
import { startGatewayStack } from './helpers/gateway-stack.js';

function metric(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

describe('slow clients', () => {
  it('are conflated, then closed, without delaying a fast client on the same channel', async (t) => {
    const stack = await startGatewayStack(t, {
      gatewayEnv: { SOFT_SEND_BUFFER_BYTES: '65536', MAX_SEND_BUFFER_BYTES: '3000000', INBOUND_MESSAGES_PER_SECOND: '1000' },
    });
    const { defer, gateway } = stack;
    const url = new URL(stack.http).origin;
    const base = stack.ws;

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
