/**
 * /api/v1/live/ws, the multiplexed endpoint: several channels on one socket,
 * each with its own subscribed → snapshot → contiguous updates stream, every
 * message naming its channel; unsubscribe stops a channel; subscribing again
 * restarts it from a fresh snapshot.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { SubscriptionResponseSchema } from '../../src/schemas/index.js';
import { startGatewayStack } from './helpers/gateway-stack.js';
import { TestClient, dataOf, onChannel, seqOf, type ServerMessage } from './helpers/ws-client.js';

const checkResponse = TypeCompiler.Compile(SubscriptionResponseSchema);

/** snapshot first, then updates from snapshot.seq + 1 on, +1 each: no duplicate, no hole. */
function assertStitched(channel: string, data: readonly ServerMessage[]): void {
  assert.ok(data.length >= 2, `${channel}: expected a snapshot and updates`);
  assert.equal(data[0]!.type, 'snapshot', `${channel}: the first data message is a snapshot`);
  assert.equal(data[0]!.reset, undefined, `${channel}: a first snapshot is not a reset`);
  for (let i = 1; i < data.length; i++) {
    assert.equal(data[i]!.type, 'update', `${channel}: message ${i} after the snapshot is an update`);
    assert.equal(data[i]!.channel, channel);
    assert.equal(seqOf(data[i]!), seqOf(data[i - 1]!) + 1, `${channel}: seq ${seqOf(data[i]!)} after ${seqOf(data[i - 1]!)}`);
  }
}

describe('gateway /ws multiplexed', () => {
  it('sends every message as a JSON text frame (the protocol is text; browsers get a Blob for a binary frame)', async (t) => {
    const stack = await startGatewayStack(t);
    const client = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => client.close());
    await client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    await client.take(5, dataOf('ticker:BTCUSDT'), 8_000, 'ticker data');
    const kinds = new Map<string, string>();
    for (const received of client.received) kinds.set(received.message.type, received.binary ? 'binary' : 'text');
    // Regression: forwarded updates once went out as binary frames (a Blob in browsers); every message must be text.
    assert.deepEqual(Object.fromEntries(kinds), { subscribed: 'text', snapshot: 'text', update: 'text' });
  });

  it('two channels: subscribed (naming the channel), a snapshot, then updates continuing its seq, each message naming its channel', async (t) => {
    const stack = await startGatewayStack(t);
    const client = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => client.close());

    client.send({ type: 'subscribe', subscription: 'ticker', symbol: 'BTCUSDT' });
    client.send({ type: 'subscribe', subscription: 'orderbook', symbol: 'ETHUSDT' });

    const ticker = await client.nextReceived(onChannel('ticker:BTCUSDT', 'subscribed'));
    assert.deepEqual(ticker.message, {
      type: 'subscribed',
      success: true,
      message: 'Subscribed to BTCUSDT ticker',
      subscription: 'ticker',
      symbol: 'BTCUSDT',
      channel: 'ticker:BTCUSDT',
    });
    const book = await client.nextReceived(onChannel('orderbook:ETHUSDT', 'subscribed'));
    assert.deepEqual(book.message, {
      type: 'subscribed',
      success: true,
      message: 'Subscribed to ETHUSDT orderbook',
      subscription: 'orderbook',
      symbol: 'ETHUSDT',
      channel: 'orderbook:ETHUSDT',
    });

    const tickerData = await client.take(6, dataOf('ticker:BTCUSDT'), 8_000, 'ticker:BTCUSDT data');
    const bookData = await client.take(6, dataOf('orderbook:ETHUSDT'), 8_000, 'orderbook:ETHUSDT data');
    assertStitched('ticker:BTCUSDT', tickerData);
    assertStitched('orderbook:ETHUSDT', bookData);
    assert.equal(tickerData[0]!.subscription, 'ticker');
    assert.equal(tickerData[0]!.symbol, 'BTCUSDT');
    assert.ok(tickerData[0]!.ticker !== null && typeof tickerData[0]!.ticker === 'object', 'the ticker snapshot holds the ticker');
    assert.equal(bookData[0]!.subscription, 'orderbook');

    // The subscribed answer precedes the channel's first data message.
    const firstTickerData = client.received.find((r) => dataOf('ticker:BTCUSDT')(r.message))!;
    const firstBookData = client.received.find((r) => dataOf('orderbook:ETHUSDT')(r.message))!;
    assert.ok(ticker.index < firstTickerData.index, 'subscribed before the ticker snapshot');
    assert.ok(book.index < firstBookData.index, 'subscribed before the book snapshot');

    // Every channel message names one of the two channels; nothing else arrives but heartbeats/status.
    for (const { message } of client.received) {
      if (message.type === 'heartbeat' || message.type === 'status') continue;
      assert.ok(['subscribed', 'snapshot', 'update'].includes(message.type), `unexpected ${message.type}`);
      assert.ok(message.channel === 'ticker:BTCUSDT' || message.channel === 'orderbook:ETHUSDT', `message without a channel: ${JSON.stringify(message).slice(0, 200)}`);
    }
    // The whole per-channel stream so far, not just what was taken: still stitched.
    assertStitched('ticker:BTCUSDT', client.all(dataOf('ticker:BTCUSDT')));
    assertStitched('orderbook:ETHUSDT', client.all(dataOf('orderbook:ETHUSDT')));
  });

  it('a candles channel and a trades channel on one socket, with a snapshot limit', async (t) => {
    const stack = await startGatewayStack(t);
    const client = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => client.close());
    client.send({ type: 'subscribe', subscription: 'candles', symbol: 'btcusdt', timeframe: '1', limit: 7 });
    client.send({ type: 'subscribe', subscription: 'trades', symbol: 'ETHUSDT', limit: 3 });

    const subscribed = await client.next(onChannel('candles:BTCUSDT:1', 'subscribed'));
    assert.deepEqual(subscribed, {
      type: 'subscribed',
      success: true,
      message: 'Subscribed to BTCUSDT candles (1m)',
      subscription: 'candles',
      symbol: 'BTCUSDT',
      timeframe: '1',
      channel: 'candles:BTCUSDT:1',
    });
    assert.ok(checkResponse.Check(subscribed));
    const candles = await client.take(3, dataOf('candles:BTCUSDT:1'), 8_000, 'candles data');
    assertStitched('candles:BTCUSDT:1', candles);
    assert.equal((candles[0]!.candles as unknown[]).length, 7, 'limit 7 → 7 candles');

    await client.next(onChannel('trades:ETHUSDT', 'subscribed'));
    const trades = await client.take(3, dataOf('trades:ETHUSDT'), 8_000, 'trades data');
    assertStitched('trades:ETHUSDT', trades);
    const snapshotTrades = trades[0]!.trades as unknown[];
    assert.ok(snapshotTrades.length >= 1 && snapshotTrades.length <= 3, `limit 3 → ${snapshotTrades.length} trades`);
  });

  it('unsubscribe: unsubscribed (naming the channel), then nothing more on that channel while the other goes on', async (t) => {
    const stack = await startGatewayStack(t);
    const client = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => client.close());
    await client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    await client.subscribe({ subscription: 'orderbook', symbol: 'BTCUSDT' });
    await client.take(3, dataOf('ticker:BTCUSDT'), 8_000, 'ticker data');
    await client.take(3, dataOf('orderbook:BTCUSDT'), 8_000, 'book data');

    client.send({ type: 'unsubscribe', subscription: 'ticker', symbol: 'BTCUSDT' });
    const unsubscribed = await client.nextReceived(onChannel('ticker:BTCUSDT', 'unsubscribed'));
    assert.deepEqual(unsubscribed.message, {
      type: 'unsubscribed',
      success: true,
      message: 'Unsubscribed from BTCUSDT ticker',
      subscription: 'ticker',
      symbol: 'BTCUSDT',
      channel: 'ticker:BTCUSDT',
    });
    // Let the other channel run on for a while (the ticker publishes about as often as the book).
    const tickerSeqAtUnsubscribe = (await stack.bus.readSnapshot('ticker:BTCUSDT')).seq;
    await client.take(15, dataOf('orderbook:BTCUSDT'), 8_000, 'book data after the unsubscribe');
    const tickerSeqNow = (await stack.bus.readSnapshot('ticker:BTCUSDT')).seq;
    assert.ok(tickerSeqNow > tickerSeqAtUnsubscribe, 'the ticker kept publishing meanwhile');
    const after = client.received.filter((r) => r.index > unsubscribed.index && r.message.channel === 'ticker:BTCUSDT');
    assert.deepEqual(after.map((r) => r.message.type), [], 'no ticker message after unsubscribed');
    assertStitched('orderbook:BTCUSDT', client.all(dataOf('orderbook:BTCUSDT')));

    // Subscribing again starts over: subscribed, a fresh snapshot (not a reset), contiguous updates.
    const again = await client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    const restarted = await client.receivedAfter(again.index, dataOf('ticker:BTCUSDT'), 4, 8_000);
    assertStitched('ticker:BTCUSDT', restarted);
    assert.ok(seqOf(restarted[0]!) >= tickerSeqNow, 'the new snapshot is current');
  });

  it('subscribing again to a channel it holds restarts it cleanly: subscribed, a new snapshot, no duplicate and no hole', async (t) => {
    const stack = await startGatewayStack(t);
    const client = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => client.close());
    await client.subscribe({ subscription: 'orderbook', symbol: 'BTCUSDT' });
    const firstRun = await client.take(5, dataOf('orderbook:BTCUSDT'), 8_000, 'book data');
    assertStitched('orderbook:BTCUSDT', firstRun);

    const second = await client.subscribe({ subscription: 'orderbook', symbol: 'BTCUSDT' });
    // Whatever was still in flight from the first run precedes the second `subscribed`.
    const afterSecond = await client.receivedAfter(second.index, dataOf('orderbook:BTCUSDT'), 5, 8_000);
    assert.equal(afterSecond[0]!.type, 'snapshot', 'the first message after the new subscribed is a snapshot');
    assertStitched('orderbook:BTCUSDT', afterSecond);
    const beforeSecond = client.received.filter((r) => r.index < second.index && dataOf('orderbook:BTCUSDT')(r.message)).map((r) => r.message);
    assertStitched('orderbook:BTCUSDT', beforeSecond);
    assert.ok(seqOf(afterSecond[0]!) >= seqOf(beforeSecond.at(-1)!), 'the new snapshot is not older than what was sent before');
    assert.equal(client.all(onChannel('orderbook:BTCUSDT', 'subscribed')).length, 2);
  });

  it('answers every request, in order, even when the next one for the same channel follows at once', async (t) => {
    const stack = await startGatewayStack(t);
    const client = await TestClient.connect(`${stack.ws}/ws`);
    stack.defer(() => client.close());
    // Back to back, as a UI toggling a channel would send them.
    client.send({ type: 'subscribe', subscription: 'trades', symbol: 'ETHUSDT' });
    client.send({ type: 'unsubscribe', subscription: 'trades', symbol: 'ETHUSDT' });
    client.send({ type: 'subscribe', subscription: 'ticker', symbol: 'ETHUSDT' });
    client.send({ type: 'subscribe', subscription: 'ticker', symbol: 'ETHUSDT' });
    // A marker request answered after everything above (answers to one socket are sent in order).
    await client.subscribe({ subscription: 'orderbook', symbol: 'ETHUSDT' });
    await client.take(1, dataOf('ticker:ETHUSDT'), 8_000, 'ticker snapshot');
    const answers = (channel: string) => client.all((m) => m.channel === channel && (m.type === 'subscribed' || m.type === 'unsubscribed' || m.type === 'error')).map((m) => m.type);
    // Regression: a subscribe followed at once by an unsubscribe was once answered only with `unsubscribed`.
    assert.deepEqual(
      { trades: answers('trades:ETHUSDT'), ticker: answers('ticker:ETHUSDT') },
      { trades: ['subscribed', 'unsubscribed'], ticker: ['subscribed', 'subscribed'] },
    );
  });
});
