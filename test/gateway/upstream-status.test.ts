/**
 * Upstream health reaches subscribed clients: the worker's status messages
 * (link-wide with `channels: []`, or naming channels) are relayed to the
 * clients holding an affected channel, and the data stream survives an
 * upstream outage without a hole.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { StatusMessageSchema, type StatusMessage } from '../../src/schemas/index.js';
import { startGatewayStack } from './helpers/gateway-stack.js';
import { TestClient, dataOf, ofType, seqOf, type ServerMessage } from './helpers/ws-client.js';

const checkStatus = TypeCompiler.Compile(StatusMessageSchema);

const linkStatus =
  (state: string) =>
  (message: ServerMessage): boolean =>
    message.type === 'status' && message.state === state && Array.isArray(message.channels) && message.channels.length === 0;

const channelStatus =
  (channel: string, state?: string) =>
  (message: ServerMessage): boolean =>
    message.type === 'status' && (state === undefined || message.state === state) && Array.isArray(message.channels) && message.channels.includes(channel);

function assertContiguous(channel: string, data: readonly ServerMessage[]): void {
  assert.equal(data[0]!.type, 'snapshot');
  for (let i = 1; i < data.length; i++) assert.equal(seqOf(data[i]!), seqOf(data[i - 1]!) + 1, `${channel}: seq ${seqOf(data[i]!)} after ${seqOf(data[i - 1]!)}`);
}

describe('gateway upstream status', () => {
  it('a dropped exchange link: subscribed clients get status disconnected (channels: []) and then live; data resumes without a hole', async (t) => {
    const stack = await startGatewayStack(t);
    const multiplex = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => multiplex.close());
    await multiplex.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    const path = await TestClient.connect(`${stack.ws}/ws/candles/ETHUSDT/1?limit=2`);
    stack.defer(() => path.close());
    await multiplex.take(2, dataOf('ticker:BTCUSDT'), 8_000, 'ticker data');
    await path.take(2, dataOf('candles:ETHUSDT:1'), 8_000, 'candles data');

    stack.simulator.refuseConnections(true);
    stack.simulator.dropConnections();
    const down = await multiplex.next(linkStatus('disconnected'), 8_000, 'status disconnected');
    await path.next(linkStatus('disconnected'), 8_000, 'status disconnected on the path client');
    stack.simulator.refuseConnections(false);
    const up = await multiplex.next(linkStatus('live'), 10_000, 'status live');
    await path.next(linkStatus('live'), 10_000, 'status live on the path client');

    for (const status of [down, up]) {
      assert.ok(checkStatus.Check(status), `status shape: ${JSON.stringify(status)}`);
      assert.equal(status.upstream, 'bybit:linear');
      assert.deepEqual(status.channels, [], 'the whole upstream link');
      assert.equal(status.simulated, true);
      assert.ok(!Number.isNaN(Date.parse(status.timestamp)));
    }
    assert.equal(typeof down.reason, 'string', 'a disconnect says why');
    const statusOrder = multiplex.all(ofType('status')).map((s) => (s as unknown as StatusMessage).state);
    assert.ok(statusOrder.indexOf('disconnected') < statusOrder.lastIndexOf('live'), `status order ${statusOrder.join(' → ')}`);

    // The data goes on after the outage, with no hole across it.
    const updatesAtLive = multiplex.all(dataOf('ticker:BTCUSDT')).length;
    await multiplex.receivedAfter(multiplex.received.length - 1, dataOf('ticker:BTCUSDT'), 3, 8_000);
    assert.ok(multiplex.all(dataOf('ticker:BTCUSDT')).length > updatesAtLive);
    assertContiguous('ticker:BTCUSDT', multiplex.all(dataOf('ticker:BTCUSDT')));
    assertContiguous('candles:ETHUSDT:1', path.all(dataOf('candles:ETHUSDT:1')));
    assert.ok(multiplex.isOpen && path.isOpen, 'an upstream outage does not close clients');
  });

  it('a channel status (order book resync) reaches only clients holding that channel', async (t) => {
    const stack = await startGatewayStack(t);
    const holder = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => holder.close());
    await holder.subscribe({ subscription: 'orderbook', symbol: 'BTCUSDT' });
    const other = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => other.close());
    await other.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    await other.subscribe({ subscription: 'orderbook', symbol: 'ETHUSDT' });
    await holder.take(2, dataOf('orderbook:BTCUSDT'), 8_000, 'book data');

    // A skipped book update id: the worker resyncs orderbook:BTCUSDT and says so, for that channel only.
    assert.equal(stack.simulator.skipOrderBookUpdate('BTCUSDT'), 1);
    const resyncing = await holder.next(channelStatus('orderbook:BTCUSDT', 'resyncing'), 8_000, 'status resyncing');
    assert.ok(checkStatus.Check(resyncing));
    assert.deepEqual(resyncing.channels, ['orderbook:BTCUSDT']);
    assert.equal(typeof resyncing.reason, 'string');
    await holder.next(channelStatus('orderbook:BTCUSDT', 'live'), 8_000, 'status live for the channel');

    // A marker status for a channel `other` holds, published after: once it has arrived, anything about
    // orderbook:BTCUSDT would have arrived before it (one bus topic, one socket, in order).
    await stack.bus.publishStatus({
      type: 'status',
      state: 'stale',
      upstream: 'bybit:linear',
      channels: ['ticker:BTCUSDT'],
      reason: 'test marker',
      simulated: true,
      timestamp: new Date().toISOString(),
    });
    const marker = await other.next(channelStatus('ticker:BTCUSDT', 'stale'), 5_000, 'the marker status');
    assert.equal(marker.reason, 'test marker');
    assert.deepEqual(other.all(channelStatus('orderbook:BTCUSDT')), [], 'no status about a channel it does not hold');
    // The holder is not told about ticker:BTCUSDT either; a link-wide status reaches both.
    await stack.bus.publishStatus({
      type: 'status',
      state: 'live',
      upstream: 'bybit:linear',
      channels: [],
      reason: 'test marker 2',
      simulated: true,
      timestamp: new Date().toISOString(),
    });
    await holder.next((m) => linkStatus('live')(m) && m.reason === 'test marker 2', 5_000, 'the link-wide marker');
    await other.next((m) => linkStatus('live')(m) && m.reason === 'test marker 2', 5_000, 'the link-wide marker');
    assert.deepEqual(holder.all(channelStatus('ticker:BTCUSDT')), []);
    // The book stream itself stays whole across the resync.
    assertContiguous('orderbook:BTCUSDT', holder.all(dataOf('orderbook:BTCUSDT')));
  });
});
