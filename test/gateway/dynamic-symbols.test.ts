/**
 * Client-driven symbols through a real gateway and worker: a symbol no worker
 * streams but the exchange lists is subscribed upstream when a client asks,
 * is announced on the status channel, streams with its candle history, and is
 * released after the last client leaves and the linger runs out. Limits: the
 * deployment-wide cap (SYMBOL_LIMIT) and the instrument list (UNKNOWN_SYMBOL).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STATUS_CHANNEL, type StatusMessage } from '../../src/schemas/index.js';
import { DEFAULT_SYMBOLS } from '../../src/simulator/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { startGatewayStack } from './helpers/gateway-stack.js';
import { TestClient, type ServerMessage } from './helpers/ws-client.js';

const isStatus = (state: string, channel: string) => (message: ServerMessage) =>
  message.type === 'status' && message.state === state && (message.channels as string[]).includes(channel);

describe('client-driven symbols', () => {
  it('subscribes a listed symbol upstream on demand, streams it, and releases it after the linger', async (t) => {
    const stack = await startGatewayStack(t, {
      simulator: { symbols: { ...DEFAULT_SYMBOLS, linear: [...DEFAULT_SYMBOLS.linear, 'XRPUSDT'] } },
      gatewayEnv: { MAX_DYNAMIC_SYMBOLS: '1', DYNAMIC_SYMBOL_LINGER_S: '1' },
      workerEnv: { LEASE_TTL_MS: '900' },
    });
    const client = await TestClient.connect(`${stack.ws}/ws`);
    t.after(() => client.socket.terminate());

    const subscribed = await client.subscribe({ subscription: 'candles', symbol: 'SOLUSDT', timeframe: '1' });
    assert.equal(subscribed.message.channel, 'candles:SOLUSDT:1');
    await client.next(isStatus('connecting', 'candles:SOLUSDT:1'), 10_000, 'the takeover status');
    const first = await client.next((message) => message.type === 'update' && message.channel === 'candles:SOLUSDT:1', 10_000, 'SOLUSDT candles');
    assert.equal(first.symbol, 'SOLUSDT');
    assert.ok(stack.worker.stats().symbols.includes('SOLUSDT'));
    const storedCandles = async () => ((await (await fetch(`${stack.http}/candles/SOLUSDT/1?limit=100`)).json()) as { candles?: unknown[] }).candles?.length ?? 0;
    await waitFor('candle history backfilled from REST', async () => (await storedCandles()) >= 100, 10_000);

    const other = await TestClient.connect(`${stack.ws}/ws`);
    t.after(() => other.socket.terminate());
    other.send({ type: 'subscribe', subscription: 'ticker', symbol: 'XRPUSDT' });
    assert.equal((await other.next((message) => message.type === 'error')).code, 'SYMBOL_LIMIT');
    other.send({ type: 'subscribe', subscription: 'ticker', symbol: 'NOPEUSDT' });
    const unknown = await other.next((message) => message.type === 'error');
    assert.equal(unknown.code, 'UNKNOWN_SYMBOL');
    assert.match(String(unknown.message), /not listed/);

    // Everyone leaves: after the linger the worker lets it go and says so (to whoever holds those channels: here the bus).
    const statuses: StatusMessage[] = [];
    await stack.bus.subscribe(STATUS_CHANNEL, (payload) => statuses.push(JSON.parse(payload) as StatusMessage));
    const leftAt = Date.now();
    client.socket.terminate();
    await waitFor('SOLUSDT released', () => !stack.worker.stats().symbols.includes('SOLUSDT'), 20_000);
    assert.ok(Date.now() - leftAt >= 900, 'not before the linger');
    await waitFor('the release status', () => statuses.some((status) => status.state === 'stopped' && status.channels.includes('candles:SOLUSDT:1')), 5_000);

    // Its place is free again.
    const xrp = await other.subscribe({ subscription: 'ticker', symbol: 'XRPUSDT' });
    assert.equal(xrp.message.channel, 'ticker:XRPUSDT');
    await other.next((message) => message.type === 'update' && message.channel === 'ticker:XRPUSDT', 10_000, 'XRPUSDT ticker');
  });

  it('refuses unconfigured symbols when MAX_DYNAMIC_SYMBOLS is 0, and never starts one from REST', async (t) => {
    const stack = await startGatewayStack(t, { gatewayEnv: { MAX_DYNAMIC_SYMBOLS: '0' } });
    const client = await TestClient.connect(`${stack.ws}/ws`);
    t.after(() => client.socket.terminate());
    client.send({ type: 'subscribe', subscription: 'trades', symbol: 'SOLUSDT' });
    assert.equal((await client.next((message) => message.type === 'error')).code, 'UNKNOWN_SYMBOL');
    const rest = await fetch(`${stack.http}/candles/SOLUSDT/1`);
    assert.equal(rest.status, 404);
    assert.deepEqual(await stack.bus.coordination.readDemand('bybit:linear', Date.now()), []);
  });
});
