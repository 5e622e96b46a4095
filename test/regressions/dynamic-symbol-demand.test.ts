/**
 * Regression (found in review): client-driven symbols whose demand is never recorded or never renewed.
 *
 * The gateway only asks for a symbol (SymbolDemand.request) when ServedChannels
 * says the channel is not served; but ServedChannels learns every channel that
 * ever had a publish from the bus channel list (`tickstream:channels`), which is
 * never pruned when a worker releases a dynamic symbol. So once a dynamic
 * symbol has been streamed once:
 *  1. after its release, a new subscription gets `subscribed` + a stale snapshot
 *     and then nothing: no demand, no worker, no error;
 *  2. a client that comes back (reconnect, or another gateway) while it is still
 *     streamed is never counted as demand: the symbol is released under it.
 * Real parts: simulator, worker, memory bus, gateway(s), ws clients.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SYMBOLS } from '../../src/simulator/index.js';
import { delay, waitFor } from '../helpers/wait-for.js';
import { startGatewayStack } from '../gateway/helpers/gateway-stack.js';
import { TestClient, type ServerMessage } from '../gateway/helpers/ws-client.js';

const SOL_1 = 'candles:SOLUSDT:1';
const isUpdate = (channel: string) => (message: ServerMessage) => message.type === 'update' && message.channel === channel;

async function stack(t: Parameters<typeof startGatewayStack>[0]) {
  return startGatewayStack(t, {
    simulator: { symbols: { ...DEFAULT_SYMBOLS, linear: [...DEFAULT_SYMBOLS.linear, 'XRPUSDT'] } },
    // linger 3 s: the gateway renews every 1 s, demand lasts 4 s past a renewal.
    gatewayEnv: { MAX_DYNAMIC_SYMBOLS: '2', DYNAMIC_SYMBOL_LINGER_S: '3' },
    workerEnv: { LEASE_TTL_MS: '900' },
  });
}

describe('regression: dynamic symbol demand', { timeout: 60_000 }, () => {
  it('a dynamic symbol subscribed again after its release is requested again and streams', { timeout: 45_000 }, async (t) => {
    const s = await stack(t);
    const first = await TestClient.connect(`${s.ws}/ws`);
    t.after(() => first.socket.terminate());
    await first.subscribe({ subscription: 'candles', symbol: 'SOLUSDT', timeframe: '1' });
    await first.next(isUpdate(SOL_1), 10_000, 'SOLUSDT candles');
    first.socket.terminate();
    await waitFor('SOLUSDT released after the linger', () => !s.worker.stats().symbols.includes('SOLUSDT'), 15_000);

    // A new client wants it again.
    const second = await TestClient.connect(`${s.ws}/ws`);
    t.after(() => second.socket.terminate());
    second.send({ type: 'subscribe', subscription: 'candles', symbol: 'SOLUSDT', timeframe: '1' });
    const answer = await second.next((message) => message.type === 'subscribed' || message.type === 'error', 5_000, 'an answer');
    assert.equal(answer.type, 'subscribed', 'the gateway accepts the subscription');
    const demand = await s.bus.coordination.readDemand('bybit:linear', Date.now());
    let gotUpdate = true;
    await second.next(isUpdate(SOL_1), 8_000, 'SOLUSDT candles again').catch(() => (gotUpdate = false));
    assert.ok(
      gotUpdate,
      `client subscribed to ${SOL_1} again but receives nothing: demand=${JSON.stringify(demand)}, ` +
        `worker symbols=${JSON.stringify(s.worker.stats().symbols)}`,
    );
  });

  it('a client that reconnects (misses one demand refresh) keeps its dynamic symbol streamed', { timeout: 45_000 }, async (t) => {
    const s = await stack(t);
    const first = await TestClient.connect(`${s.ws}/ws`);
    t.after(() => first.socket.terminate());
    await first.subscribe({ subscription: 'candles', symbol: 'SOLUSDT', timeframe: '1' });
    await first.next(isUpdate(SOL_1), 10_000, 'SOLUSDT candles');
    await delay(2_500); // streaming for a while (the gateway's channel list now names SOLUSDT's channels)

    // A network blip: the client is gone for 1.5 s (one demand refresh), well within the 3 s linger.
    first.socket.terminate();
    await delay(1_500);
    assert.ok(s.worker.stats().symbols.includes('SOLUSDT'), 'still streamed within the linger');
    const back = await TestClient.connect(`${s.ws}/ws`);
    t.after(() => back.socket.terminate());
    await back.subscribe({ subscription: 'candles', symbol: 'SOLUSDT', timeframe: '1' });
    await back.next(isUpdate(SOL_1), 10_000, 'SOLUSDT candles after the reconnect');

    // Subscribed all along from here: the symbol must stay streamed well past the linger.
    const until = Date.now() + 8_000;
    while (Date.now() < until) {
      assert.ok(
        s.worker.stats().symbols.includes('SOLUSDT'),
        `SOLUSDT released while a client is subscribed (demand: ${JSON.stringify(await s.bus.coordination.readDemand('bybit:linear', Date.now()))})`,
      );
      await delay(200);
    }
  });

  it('a dynamic symbol held by a client of a second gateway stays streamed when the first gateway\'s client leaves', { timeout: 45_000 }, async (t) => {
    const s = await stack(t);
    const other = await s.addGateway();
    const a = await TestClient.connect(`${s.ws}/ws`);
    t.after(() => a.socket.terminate());
    await a.subscribe({ subscription: 'ticker', symbol: 'SOLUSDT' });
    await a.next(isUpdate('ticker:SOLUSDT'), 10_000, 'SOLUSDT ticker on gateway 1');
    await delay(2_500); // the channel list the second gateway reads now names ticker:SOLUSDT

    const b = await TestClient.connect(`${other.ws}/ws`);
    t.after(() => b.socket.terminate());
    await b.subscribe({ subscription: 'ticker', symbol: 'SOLUSDT' });
    await b.next(isUpdate('ticker:SOLUSDT'), 10_000, 'SOLUSDT ticker on gateway 2');

    a.socket.terminate();
    const until = Date.now() + 9_000;
    while (Date.now() < until) {
      assert.ok(s.worker.stats().symbols.includes('SOLUSDT'), 'SOLUSDT released while a client of gateway 2 holds ticker:SOLUSDT');
      await delay(200);
    }
  });

  it('a refused subscription (TOO_MANY_SUBSCRIPTIONS) does not ask the workers for the symbol', { timeout: 30_000 }, async (t) => {
    const s = await stack(t);
    const strict = await s.addGateway({ MAX_SUBSCRIPTIONS_PER_CONNECTION: '1' });
    const client = await TestClient.connect(`${strict.ws}/ws`);
    t.after(() => client.socket.terminate());
    await client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' });
    client.send({ type: 'subscribe', subscription: 'ticker', symbol: 'SOLUSDT' });
    const answer = await client.next((message) => message.type === 'error' || (message.type === 'subscribed' && message.symbol === 'SOLUSDT'), 5_000, 'an answer');
    assert.equal(answer.code, 'TOO_MANY_SUBSCRIPTIONS');
    await delay(1_500);
    assert.deepEqual(
      { demand: await s.bus.coordination.readDemand('bybit:linear', Date.now()), streamed: s.worker.stats().symbols.includes('SOLUSDT') },
      { demand: [], streamed: false },
      'a subscription the gateway refused still took a MAX_DYNAMIC_SYMBOLS slot and started the symbol upstream',
    );
  });
});
