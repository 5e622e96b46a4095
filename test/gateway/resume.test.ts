/**
 * Resume by seq: a client that reconnects with `since` (the last seq it
 * processed) gets exactly the updates it missed, from the bus history, with no
 * snapshot and no hole, then the live ones; when that history no longer
 * reaches back, a fresh snapshot marked `reset: true`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MarketBus } from '../../src/bus/market-bus.js';
import { waitFor } from '../helpers/wait-for.js';
import { startGatewayStack, type GatewayStack } from './helpers/gateway-stack.js';
import { TestClient, dataOf, seqOf, type ServerMessage } from './helpers/ws-client.js';

async function busSeq(bus: MarketBus, channel: string): Promise<number> {
  return (await bus.readSnapshot(channel, 1)).seq;
}

async function connect(stack: GatewayStack, path = '/ws'): Promise<TestClient> {
  const client = await TestClient.connect(`${stack.ws}${path}`);
  stack.defer(() => client.close());
  return client;
}

/** A first client's session on `channel`: its last seq once it has seen a snapshot and a few updates; then it leaves. */
async function firstSession(stack: GatewayStack, channel: string, request: { subscription: string; symbol: string }): Promise<number> {
  const client = await connect(stack);
  await client.subscribe(request);
  const data = await client.take(5, dataOf(channel), 8_000, `${channel} data`);
  const lastSeq = seqOf(data.at(-1)!);
  await client.close();
  return lastSeq;
}

function assertContiguousFrom(channel: string, data: readonly ServerMessage[], firstSeq: number): void {
  assert.deepEqual(
    data.map((m) => m.type),
    data.map(() => 'update'),
    `${channel}: only updates on a resume (no snapshot)`,
  );
  data.forEach((message, i) => assert.equal(seqOf(message), firstSeq + i, `${channel}: message ${i} of the resume`));
}

describe('gateway resume with since', () => {
  it('/ws with since: the missed updates from lastSeq+1 with no snapshot and no hole, byte for byte as published, then live ones', async (t) => {
    const stack = await startGatewayStack(t);
    const channel = 'orderbook:BTCUSDT';
    const lastSeq = await firstSession(stack, channel, { subscription: 'orderbook', symbol: 'BTCUSDT' });
    await waitFor('updates flowing while the client is away', async () => (await busSeq(stack.bus, channel)) >= lastSeq + 10, 10_000);

    const client = await connect(stack);
    const subscribed = await client.subscribe({ subscription: 'orderbook', symbol: 'BTCUSDT', since: lastSeq });
    const seqAtResume = await busSeq(stack.bus, channel);
    const missed = seqAtResume - lastSeq;
    assert.ok(missed >= 10);
    // The replay, and at least 5 live updates beyond what had been published when it resumed.
    const data = await client.receivedAfter(subscribed.index, dataOf(channel), missed + 5, 10_000);
    assertContiguousFrom(channel, data, lastSeq + 1);
    const history = await stack.bus.readHistory(channel, lastSeq);
    const replayed = client.received.filter((r) => r.index > subscribed.index && dataOf(channel)(r.message)).slice(0, 10);
    assert.deepEqual(
      replayed.map((r) => r.raw),
      history.payloads.slice(0, 10),
      'replayed updates are the published payloads, unchanged',
    );
  });

  it('/ws with since equal to the current seq: no snapshot, the next update is since+1', async (t) => {
    const stack = await startGatewayStack(t);
    const channel = 'ticker:ETHUSDT';
    const client = await connect(stack);
    const since = await busSeq(stack.bus, channel);
    const subscribed = await client.subscribe({ subscription: 'ticker', symbol: 'ETHUSDT', since });
    const data = await client.receivedAfter(subscribed.index, dataOf(channel), 3, 8_000);
    assertContiguousFrom(channel, data, since + 1);
  });

  it('/ws with since older than the bus history (messageHistorySize 20): a snapshot with reset:true, then updates from its seq', async (t) => {
    const stack = await startGatewayStack(t, { busLimits: { messageHistorySize: 20 } });
    const channel = 'orderbook:ETHUSDT';
    const lastSeq = await firstSession(stack, channel, { subscription: 'orderbook', symbol: 'ETHUSDT' });
    await waitFor('more than 20 updates while the client is away', async () => (await busSeq(stack.bus, channel)) > lastSeq + 25, 10_000);
    const history = await stack.bus.readHistory(channel, lastSeq);
    assert.equal(history.complete, false, 'the history no longer reaches back to lastSeq');

    const client = await connect(stack);
    const subscribed = await client.subscribe({ subscription: 'orderbook', symbol: 'ETHUSDT', since: lastSeq });
    const data = await client.receivedAfter(subscribed.index, dataOf(channel), 4, 8_000);
    const [snapshot, ...updates] = data;
    assert.equal(snapshot!.type, 'snapshot');
    assert.equal(snapshot!.reset, true, 'marked as a reset');
    assert.ok(seqOf(snapshot!) > lastSeq + 25, `snapshot seq ${seqOf(snapshot!)} is current`);
    assert.ok((snapshot!.book as { bids: unknown[] }).bids.length > 0);
    assertContiguousFrom(channel, updates, seqOf(snapshot!) + 1);
  });

  it('/ws with since ahead of the channel (a seq it never reached): a snapshot with reset:true', async (t) => {
    const stack = await startGatewayStack(t);
    const channel = 'ticker:BTCUSDT';
    const client = await connect(stack);
    const since = (await busSeq(stack.bus, channel)) + 100_000;
    const subscribed = await client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT', since });
    const [snapshot, ...updates] = await client.receivedAfter(subscribed.index, dataOf(channel), 3, 8_000);
    assert.equal(snapshot!.type, 'snapshot');
    assert.equal(snapshot!.reset, true);
    assert.ok(seqOf(snapshot!) < since);
    assertContiguousFrom(channel, updates, seqOf(snapshot!) + 1);
  });

  it('path endpoint ?since=: subscribed, then the missed updates and live ones, no snapshot', async (t) => {
    const stack = await startGatewayStack(t);
    const channel = 'trades:BTCUSDT';
    const first = await connect(stack, '/ws/trades/BTCUSDT');
    const firstData = await first.take(3, dataOf(channel), 8_000, 'trades data');
    const lastSeq = seqOf(firstData.at(-1)!);
    await first.close();
    await waitFor('trades published while away', async () => (await busSeq(stack.bus, channel)) >= lastSeq + 3, 10_000);

    const client = await connect(stack, `/ws/trades/BTCUSDT?since=${lastSeq}`);
    const subscribed = await client.nextReceived(() => true, 5_000, 'the first message');
    assert.deepEqual(subscribed.message, { type: 'subscribed', success: true, message: 'Subscribed to BTCUSDT trades', subscription: 'trades', symbol: 'BTCUSDT' });
    const missed = (await busSeq(stack.bus, channel)) - lastSeq;
    const data = await client.receivedAfter(subscribed.index, dataOf(channel), missed + 2, 10_000);
    assertContiguousFrom(channel, data, lastSeq + 1);
  });

  it('path endpoint ?since= older than the history: a reset snapshot', async (t) => {
    const stack = await startGatewayStack(t, { busLimits: { messageHistorySize: 20 } });
    const channel = 'orderbook:BTCUSDT';
    const since = await busSeq(stack.bus, channel);
    await waitFor('more than 20 updates', async () => (await busSeq(stack.bus, channel)) > since + 25, 10_000);
    const client = await connect(stack, `/ws/orderbook/BTCUSDT?since=${since}`);
    const [snapshot, ...updates] = await client.take(3, dataOf(channel), 8_000, 'book data');
    assert.equal(snapshot!.type, 'snapshot');
    assert.equal(snapshot!.reset, true);
    assertContiguousFrom(channel, updates, seqOf(snapshot!) + 1);
  });
});
