/**
 * Gateways over a real Redis, each with its own bus (as separate processes
 * would have): two gateways serve one channel identically (same seqs, same
 * bytes); a channel restarted on a sole listener keeps flowing; and a Redis
 * restart under subscribed clients ends in contiguous updates or a reset
 * snapshot, never a silent hole.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/wait-for.js';
import { getJson, startGatewayStack } from './helpers/gateway-stack.js';
import { TestClient, dataOf, seqOf, type ServerMessage } from './helpers/ws-client.js';

/** Per channel: a snapshot (reset or first) restarts the count; otherwise each update is +1. */
function assertNoSilentHole(channel: string, data: readonly ServerMessage[]): void {
  assert.equal(data[0]!.type, 'snapshot');
  for (let i = 1; i < data.length; i++) {
    const message = data[i]!;
    if (message.type === 'snapshot') {
      assert.equal(message.reset, true, `${channel}: a later snapshot is marked reset`);
      continue;
    }
    assert.equal(seqOf(message), seqOf(data[i - 1]!) + 1, `${channel}: seq ${seqOf(message)} after ${seqOf(data[i - 1]!)}`);
  }
}

describe('gateways on Redis', () => {
  it('two gateways, each with its own Redis bus, serve one channel with the same seqs and identical update bytes', async (t) => {
    const stack = await startGatewayStack(t, { redis: true });
    const second = await stack.addGateway();
    const channel = 'orderbook:BTCUSDT';
    const a = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => a.close());
    const b = await TestClient.connect(`${second.ws}/ws/orderbook/BTCUSDT`);
    stack.defer(() => b.close());
    await a.subscribe({ subscription: 'orderbook', symbol: 'BTCUSDT' });
    const [snapshotA] = await a.take(1, dataOf(channel), 8_000, 'snapshot on gateway 1');
    const [snapshotB] = await b.take(1, dataOf(channel), 8_000, 'snapshot on gateway 2');
    const from = Math.max(seqOf(snapshotA!), seqOf(snapshotB!)) + 1;
    // Both have received the 20 updates after the later snapshot.
    const received = (client: TestClient) => new Map(client.received.filter((r) => r.message.type === 'update' && r.message.channel === channel).map((r) => [seqOf(r.message), r.raw]));
    await waitFor('20 common updates on both', () => [a, b].every((client) => received(client).has(from + 19)), 10_000);
    const bytesA = received(a);
    const bytesB = received(b);
    for (let seq = from; seq < from + 20; seq++) {
      assert.ok(bytesA.has(seq) && bytesB.has(seq), `seq ${seq} on both`);
      assert.equal(bytesA.get(seq), bytesB.get(seq), `seq ${seq}: identical bytes`);
    }
    assertNoSilentHole(channel, a.all(dataOf(channel)));
    assertNoSilentHole(channel, b.all(dataOf(channel)));
    // Each gateway counts only its own subscribers.
    for (const http of [stack.http, second.http]) {
      const { body } = await getJson(`${http}/channels`);
      const entry = (body.channels as { channel: string; subscribers: number }[]).find((c) => c.channel === channel);
      assert.equal(entry?.subscribers, 1, `${http}: one subscriber`);
    }
  });

  it('unsubscribe and subscribe again at once on the only listener of a channel: updates keep coming over Redis', async (t) => {
    const stack = await startGatewayStack(t, { redis: true });
    const client = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => client.close());
    await client.subscribe({ subscription: 'ticker', symbol: 'ETHUSDT' });
    await client.take(2, dataOf('ticker:ETHUSDT'), 8_000, 'ticker data');
    // Same tick: the old Redis subscription is released while the new one is made.
    client.send({ type: 'unsubscribe', subscription: 'ticker', symbol: 'ETHUSDT' });
    client.send({ type: 'subscribe', subscription: 'ticker', symbol: 'ETHUSDT' });
    const again = await client.nextReceived((m) => m.type === 'subscribed' && m.channel === 'ticker:ETHUSDT', 5_000, 'subscribed again');
    const data = await client.receivedAfter(again.index, dataOf('ticker:ETHUSDT'), 6, 8_000);
    assertNoSilentHole('ticker:ETHUSDT', data);
    // Restart while subscribed (no unsubscribe in between): the sole listener's Redis subscription is released
    // and made again at once.
    const last = await client.subscribe({ subscription: 'ticker', symbol: 'ETHUSDT' });
    const after = await client.receivedAfter(last.index, dataOf('ticker:ETHUSDT'), 6, 8_000);
    assertNoSilentHole('ticker:ETHUSDT', after);
  });

  it('a Redis restart under subscribed clients: they stay connected and the stream goes on without a silent hole', async (t) => {
    const stack = await startGatewayStack(t, { redis: true });
    const client = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => client.close());
    await client.subscribe({ subscription: 'orderbook', symbol: 'BTCUSDT' });
    await client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    await client.take(3, dataOf('orderbook:BTCUSDT'), 8_000, 'book data');
    await client.take(3, dataOf('ticker:BTCUSDT'), 8_000, 'ticker data');

    await stack.redis!.kill();
    await waitFor('the gateway sees Redis down', async () => (await getJson(`${stack.http}/health`)).status === 503, 10_000);
    await stack.redis!.startProcess();
    const mark = client.received.length - 1;
    await client.receivedAfter(mark, dataOf('orderbook:BTCUSDT'), 10, 15_000);
    await client.receivedAfter(mark, dataOf('ticker:BTCUSDT'), 3, 10_000);
    assert.ok(client.isOpen);
    // The gateway told its client it lost Redis, then that it has it back.
    const busStatus = client.all((message) => message.type === 'status' && message.upstream === 'redis').map((message) => message.state);
    assert.deepEqual(busStatus, ['disconnected', 'live']);
    assertNoSilentHole('orderbook:BTCUSDT', client.all(dataOf('orderbook:BTCUSDT')));
    assertNoSilentHole('ticker:BTCUSDT', client.all(dataOf('ticker:BTCUSDT')));
  });

  it('a path endpoint the bus cannot serve (Redis down) answers UNAVAILABLE and closes 1013, so its client reconnects', async (t) => {
    const stack = await startGatewayStack(t, { redis: true });
    await stack.redis!.kill();
    await waitFor('the gateway sees Redis down', async () => (await getJson(`${stack.http}/health`)).status === 503, 10_000);
    for (const query of ['', '?since=5']) {
      const client = await TestClient.connect(`${stack.ws}/ws/ticker/BTCUSDT${query}`);
      stack.defer(() => client.close());
      const error = await client.next((message) => message.type === 'error', 10_000, 'the error');
      assert.equal(error.code, 'UNAVAILABLE');
      assert.equal((await client.expectClose(10_000)).code, 1013, `path endpoint${query}`);
    }
  });
});
