/**
 * Fan-out mechanics over a real Redis: one Pub/Sub subscription per channel per
 * gateway process however many clients hold it, released when the last one
 * leaves; and permessage-deflate only when configured.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { startGatewayStack } from './helpers/gateway-stack.js';
import { TestClient } from './helpers/ws-client.js';
import { waitFor } from '../helpers/wait-for.js';

describe('gateway fan-out', () => {
  it('holds one Redis subscription per channel, shared by every client, released after the last one leaves', async (t) => {
    const stack = await startGatewayStack(t, { redis: true });
    const redis = createClient({ url: stack.redis!.url });
    await redis.connect();
    stack.defer(() => redis.quit());
    const subscribers = async (channel: string) => Number((await redis.pubSubNumSub(channel))[channel] ?? 0);
    assert.equal(await subscribers('ticker:BTCUSDT'), 0, 'nothing subscribed before any client');

    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => TestClient.connect(`${stack.ws}/ws/ticker/BTCUSDT`)));
    for (const client of clients) stack.defer(() => client.close());
    await Promise.all(clients.map((client) => client.next((m) => m.type === 'update')));
    assert.equal(await subscribers('ticker:BTCUSDT'), 1, 'five clients, one Redis subscription');

    for (const client of clients.slice(0, 4)) await client.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await subscribers('ticker:BTCUSDT'), 1, 'still held while a client remains');
    await clients[4]!.close();
    await waitFor('released after the last client', async () => (await subscribers('ticker:BTCUSDT')) === 0, 5_000);
  });

  it('serves every path endpoint end to end over Redis: subscribed, snapshot, then updates from snapshot seq + 1', async (t) => {
    const stack = await startGatewayStack(t, { redis: true });
    for (const path of ['/ws/candles/BTCUSDT/1', '/ws/trades/BTCUSDT', '/ws/ticker/BTCUSDT', '/ws/orderbook/BTCUSDT']) {
      const client = await TestClient.connect(`${stack.ws}${path}`);
      stack.defer(() => client.close());
      await client.next((m) => m.type === 'update', 10_000);
      const messages = client.received.map((r) => r.message);
      assert.equal(messages[0]!.type, 'subscribed', path);
      assert.equal(messages[1]!.type, 'snapshot', path);
      const snapshotSeq = messages[1]!.seq as number;
      assert.ok(snapshotSeq > 0, `${path}: the snapshot carries the stored state`);
      assert.equal(messages.find((m) => m.type === 'update')!.seq, snapshotSeq + 1, `${path}: first update follows the snapshot`);
      assert.ok(client.received.every((r) => !r.binary), `${path}: text frames`);
    }
  });

  it('negotiates permessage-deflate only when WS_PERMESSAGE_DEFLATE is set', async (t) => {
    const plain = await startGatewayStack(t, { waitForData: false });
    const offPlain = await TestClient.connect(`${plain.ws}/ws/ticker/BTCUSDT`, { perMessageDeflate: true });
    plain.defer(() => offPlain.close());
    assert.equal(offPlain.socket.extensions, '', 'off by default');

    const compressed = await startGatewayStack(t, { waitForData: false, gatewayEnv: { WS_PERMESSAGE_DEFLATE: 'true' } });
    const on = await TestClient.connect(`${compressed.ws}/ws/ticker/BTCUSDT`, { perMessageDeflate: true });
    compressed.defer(() => on.close());
    assert.match(on.socket.extensions, /permessage-deflate/);
    await on.next((m) => m.type === 'subscribed');
  });
});
