/**
 * What a /ws client is told when its message cannot be served: a stable error
 * code, the connection left open (and usable), other clients unaffected; and
 * the one fatal case, an inbound message over MAX_INBOUND_MESSAGE_BYTES,
 * which closes only that socket with 1009.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { WebSocketErrorSchema } from '../../src/schemas/index.js';
import { CLIENT_ERROR_CODES } from '../../src/gateway/client-errors.js';
import { startGatewayStack, type GatewayStack } from './helpers/gateway-stack.js';
import { TestClient, dataOf, isError, seqOf, type ServerMessage } from './helpers/ws-client.js';

const checkError = TypeCompiler.Compile(WebSocketErrorSchema);

/** Fast enough for the burst of bad messages below (the default is 10/s with bursts of 20). */
const MANY_MESSAGES = { INBOUND_MESSAGES_PER_SECOND: '1000' };

async function connect(stack: GatewayStack, url = `${stack.ws}/ws`): Promise<TestClient> {
  const client = await TestClient.connect(url);
  stack.defer(() => client.close());
  return client;
}

/** Sends one message and takes the error it is answered with. */
async function errorFor(client: TestClient, message: object | string): Promise<ServerMessage> {
  client.send(message);
  const error = await client.next(isError(), 5_000, `an error for ${typeof message === 'string' ? message : JSON.stringify(message)}`);
  assert.ok(checkError.Check(error), `error message shape: ${JSON.stringify(error)}`);
  assert.ok(error.code in CLIENT_ERROR_CODES, `${String(error.code)} is in the catalog`);
  assert.equal(typeof error.message, 'string');
  assert.ok((error.message).length > 0);
  return error;
}

/** The stream of one channel on a bystander client is still whole and still moving. */
async function assertStillStreaming(client: TestClient, channel: string, more = 5): Promise<void> {
  const before = client.all(dataOf(channel)).length;
  await client.receivedAfter(client.received.length - 1, dataOf(channel), more, 8_000);
  const data = client.all(dataOf(channel));
  assert.ok(data.length >= before + more);
  assert.equal(data[0]!.type, 'snapshot');
  for (let i = 1; i < data.length; i++) assert.equal(seqOf(data[i]!), seqOf(data[i - 1]!) + 1, `${channel}: hole or duplicate on the bystander`);
}

describe('gateway /ws errors', () => {
  it('malformed and unservable messages get their error code; the connection stays open and others are unaffected', async (t) => {
    const stack = await startGatewayStack(t, { gatewayEnv: MANY_MESSAGES });
    const bystander = await connect(stack);
    await bystander.subscribe({ subscription: 'ticker', symbol: 'ETHUSDT' });
    const client = await connect(stack);

    assert.equal((await errorFor(client, 'this is not json')).code, 'INVALID_MESSAGE');
    assert.equal((await errorFor(client, '{"type":"subscribe",')).code, 'INVALID_MESSAGE');
    assert.equal((await errorFor(client, '42')).code, 'INVALID_MESSAGE');
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'ticker' })).code, 'INVALID_MESSAGE', 'missing symbol');
    assert.equal((await errorFor(client, { type: 'subscribe', symbol: 'BTCUSDT' })).code, 'INVALID_MESSAGE', 'missing subscription');
    assert.equal((await errorFor(client, { type: 'listen', subscription: 'ticker', symbol: 'BTCUSDT' })).code, 'INVALID_MESSAGE', 'unknown type');
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'ticker', symbol: 'BTCUSDT', extra: 1 })).code, 'INVALID_MESSAGE', 'extra field');
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'ticker', symbol: 'BTCUSDT', since: -1 })).code, 'INVALID_MESSAGE', 'negative since');
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'ticker', symbol: 'BTCUSDT', limit: 0 })).code, 'INVALID_MESSAGE', 'limit 0');
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'candles', symbol: 'BTCUSDT', timeframe: '7' })).code, 'INVALID_MESSAGE', 'not a timeframe');

    // Unknown subscription types: the schema refuses them (INVALID_MESSAGE) before the catalog's UNKNOWN_SUBSCRIPTION applies.
    const unknownType = await errorFor(client, { type: 'subscribe', subscription: 'funding', symbol: 'BTCUSDT' });
    assert.ok(['UNKNOWN_SUBSCRIPTION', 'INVALID_MESSAGE'].includes(unknownType.code as string), `unknown subscription → ${String(unknownType.code)}`);

    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'ticker', symbol: 'DOGEUSDT' })).code, 'UNKNOWN_SYMBOL');
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'candles', symbol: 'DOGEUSDT', timeframe: '1' })).code, 'UNKNOWN_SYMBOL');
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'candles', symbol: 'BTCUSDT' })).code, 'UNKNOWN_TIMEFRAME', 'candles without a timeframe');
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'candles', symbol: 'BTCUSDT', timeframe: '15' })).code, 'UNKNOWN_TIMEFRAME', 'timeframe not served');
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'ticker', symbol: 'BTC/USDT' })).code, 'INVALID_SYMBOL');
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'ticker', symbol: 'BTC USDT' })).code, 'INVALID_SYMBOL');
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'ticker', symbol: '-BTCUSDT' })).code, 'INVALID_SYMBOL');
    assert.equal((await errorFor(client, { type: 'unsubscribe', subscription: 'ticker', symbol: 'BTCUSDT' })).code, 'NOT_SUBSCRIBED');
    assert.equal((await errorFor(client, { type: 'unsubscribe', subscription: 'candles', symbol: 'BTCUSDT', timeframe: '5' })).code, 'NOT_SUBSCRIBED');
    const overLimit = await errorFor(client, { type: 'subscribe', subscription: 'trades', symbol: 'BTCUSDT', limit: 5_000 });
    assert.ok(['INVALID_PARAMETER', 'INVALID_MESSAGE'].includes(overLimit.code as string), `limit over the max → ${String(overLimit.code)}`);

    // Nothing but errors so far, and the connection still serves a valid request.
    assert.deepEqual(new Set(client.received.map((r) => r.message.type)), new Set(['error']));
    assert.ok(client.isOpen);
    await client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    const data = await client.take(3, dataOf('ticker:BTCUSDT'), 8_000, 'ticker data after the errors');
    assert.equal(data[0]!.type, 'snapshot');
    await assertStillStreaming(bystander, 'ticker:ETHUSDT');
    assert.deepEqual(bystander.all(isError()), [], 'the bystander saw no error');
  });

  it('a limit over SNAPSHOT_MAX_LIMIT is INVALID_PARAMETER; at the max it is served', async (t) => {
    const stack = await startGatewayStack(t, { gatewayEnv: { ...MANY_MESSAGES, SNAPSHOT_MAX_LIMIT: '50', SNAPSHOT_DEFAULT_LIMIT: '20' } });
    const client = await connect(stack);
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'candles', symbol: 'BTCUSDT', timeframe: '1', limit: 51 })).code, 'INVALID_PARAMETER');
    assert.ok(client.isOpen);
    await client.subscribe({ subscription: 'candles', symbol: 'BTCUSDT', timeframe: '1', limit: 50 });
    const [snapshot] = await client.take(1, dataOf('candles:BTCUSDT:1'), 8_000, 'candles snapshot');
    assert.equal((snapshot!.candles as unknown[]).length, 50);
    await client.subscribe({ subscription: 'candles', symbol: 'ETHUSDT', timeframe: '1' });
    const [defaulted] = await client.take(1, dataOf('candles:ETHUSDT:1'), 8_000, 'candles snapshot');
    assert.equal((defaulted!.candles as unknown[]).length, 20, 'SNAPSHOT_DEFAULT_LIMIT');
  });

  it('MAX_SUBSCRIPTIONS_PER_CONNECTION=2: a third channel is TOO_MANY_SUBSCRIPTIONS; the two go on; re-subscribing one is allowed', async (t) => {
    const stack = await startGatewayStack(t, { gatewayEnv: { ...MANY_MESSAGES, MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' } });
    const client = await connect(stack);
    await client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    await client.subscribe({ subscription: 'orderbook', symbol: 'BTCUSDT' });
    assert.equal((await errorFor(client, { type: 'subscribe', subscription: 'trades', symbol: 'BTCUSDT' })).code, 'TOO_MANY_SUBSCRIPTIONS');
    assert.ok(client.isOpen);
    await assertStillStreaming(client, 'ticker:BTCUSDT');
    await assertStillStreaming(client, 'orderbook:BTCUSDT');
    assert.deepEqual(client.all((m) => m.channel === 'trades:BTCUSDT' && m.type !== 'error'), [], 'nothing from the refused channel');

    // The limit counts channels, not messages: subscribing again to a held channel is a restart, not a third.
    const restarted = await client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    const afterRestart = await client.receivedAfter(restarted.index, dataOf('ticker:BTCUSDT'), 1, 8_000);
    assert.equal(afterRestart[0]!.type, 'snapshot');
    // Unsubscribing frees a slot.
    client.send({ type: 'unsubscribe', subscription: 'orderbook', symbol: 'BTCUSDT' });
    await client.next((m) => m.type === 'unsubscribed' && m.channel === 'orderbook:BTCUSDT');
    await client.subscribe({ subscription: 'trades', symbol: 'BTCUSDT' });
    assert.deepEqual(client.all(isError()).map((e) => e.code), ['TOO_MANY_SUBSCRIPTIONS']);
  });

  it('an error about a served channel names that channel', async (t) => {
    const stack = await startGatewayStack(t, { gatewayEnv: { ...MANY_MESSAGES, MAX_SUBSCRIPTIONS_PER_CONNECTION: '1', SNAPSHOT_MAX_LIMIT: '50', SNAPSHOT_DEFAULT_LIMIT: '20' } });
    const client = await connect(stack);
    const notSubscribed = await errorFor(client, { type: 'unsubscribe', subscription: 'ticker', symbol: 'BTCUSDT' });
    const badLimit = await errorFor(client, { type: 'subscribe', subscription: 'trades', symbol: 'BTCUSDT', limit: 51 });
    await client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    const tooMany = await errorFor(client, { type: 'subscribe', subscription: 'orderbook', symbol: 'ETHUSDT' });
    const named = Object.fromEntries([notSubscribed, badLimit, tooMany].map((error) => [error.code, error.channel ?? null]));
    // Regression: NOT_SUBSCRIBED, INVALID_PARAMETER and TOO_MANY_SUBSCRIPTIONS once omitted the channel they were about.
    assert.deepEqual(named, { NOT_SUBSCRIBED: 'ticker:BTCUSDT', INVALID_PARAMETER: 'trades:BTCUSDT', TOO_MANY_SUBSCRIPTIONS: 'orderbook:ETHUSDT' });
  });

  it('a message over MAX_INBOUND_MESSAGE_BYTES closes that socket with 1009; one just under is served; other clients keep receiving', async (t) => {
    const stack = await startGatewayStack(t, { gatewayEnv: { MAX_INBOUND_MESSAGE_BYTES: '512' } });
    const bystander = await connect(stack, `${stack.ws}/ws/ticker/ETHUSDT`);
    await bystander.next((m) => m.type === 'subscribed');
    await bystander.take(2, dataOf('ticker:ETHUSDT'), 8_000, 'bystander data');

    const client = await connect(stack);
    // JSON allows trailing whitespace: a valid request padded to exactly the limit is served.
    const request = JSON.stringify({ type: 'subscribe', subscription: 'ticker', symbol: 'BTCUSDT' });
    client.send(request.padEnd(512, ' '));
    await client.next((m) => m.type === 'subscribed' && m.channel === 'ticker:BTCUSDT');
    // One byte over the limit: an error saying so, then closed with 1009 (message too big).
    client.send(request.padEnd(513, ' '));
    assert.equal((await client.next((m) => m.type === 'error')).code, 'MESSAGE_TOO_LARGE');
    const { code } = await client.expectClose(5_000);
    assert.equal(code, 1009);

    await assertStillStreaming(bystander, 'ticker:ETHUSDT');
    assert.ok(bystander.isOpen);
    // The gateway still admits and serves new clients.
    const next = await connect(stack);
    await next.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    await next.take(2, dataOf('ticker:BTCUSDT'), 8_000, 'data for a new client');
  });

  it('the default MAX_INBOUND_MESSAGE_BYTES (4096): a 5 kB message closes with 1009', async (t) => {
    const stack = await startGatewayStack(t);
    const bystander = await connect(stack);
    await bystander.subscribe({ subscription: 'orderbook', symbol: 'BTCUSDT' });
    const client = await connect(stack);
    client.send(JSON.stringify({ type: 'subscribe', subscription: 'ticker', symbol: 'BTCUSDT' }).padEnd(5_000, ' '));
    assert.equal((await client.expectClose(5_000)).code, 1009);
    await assertStillStreaming(bystander, 'orderbook:BTCUSDT');
  });
});
