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

  it('with WS_PERMESSAGE_DEFLATE, a compressing client gets the same messages as a plain one, compressed on the wire', async (t) => {
    const stack = await startGatewayStack(t, { redis: true, gatewayEnv: { WS_PERMESSAGE_DEFLATE: 'true' } });
    const path = `${stack.ws}/ws/orderbook/BTCUSDT`;
    const deflating = await TestClient.connect(path, { perMessageDeflate: true });
    const plain = await TestClient.connect(path, { perMessageDeflate: false });
    stack.defer(() => deflating.close());
    stack.defer(() => plain.close());
    assert.match(deflating.socket.extensions, /permessage-deflate/);
    assert.equal(plain.socket.extensions, '');
    const updates = (client: TestClient) => client.received.filter((r) => r.message.type === 'update');
    await waitFor('30 book updates on both', () => updates(deflating).length >= 30 && updates(plain).length >= 30, 15_000);

    // The same bytes after decompression, seq by seq, without a hole.
    const plainBySeq = new Map(updates(plain).map((r) => [r.message.seq as number, r.raw]));
    const seqs = updates(deflating).map((r) => r.message.seq as number);
    assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), 'no hole, no duplicate');
    const shared = updates(deflating).filter((r) => plainBySeq.has(r.message.seq as number));
    assert.ok(shared.length >= 20, `${shared.length} updates seen by both`);
    for (const r of shared) assert.equal(r.raw, plainBySeq.get(r.message.seq as number));
    assert.ok(deflating.received.every((r) => !r.binary), 'text messages');

    // Compressed on the wire: fewer bytes read from the socket than the messages hold.
    const wireBytes = (client: TestClient) => (client.socket as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;
    const textBytes = (client: TestClient) => client.received.reduce((total, r) => total + Buffer.byteLength(r.raw), 0);
    assert.ok(wireBytes(plain) >= textBytes(plain), 'the plain client reads at least the text');
    assert.ok(wireBytes(deflating) < textBytes(deflating) * 0.8, `deflate client: ${wireBytes(deflating)} bytes on the wire for ${textBytes(deflating)} of text`);
  });
});
