/** The REST client against the simulator: paging, ordering, category, errors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BybitRestClient, BybitRestError, assertSymbolsTradable, UnknownSymbolError } from '../../src/exchanges/bybit/bybit-rest-client.js';
import { startSimulator } from '../helpers/worker-stack.js';

describe('BybitRestClient', () => {
  it('follows instruments-info cursors to the last page', async (t) => {
    const simulator = await startSimulator({ symbols: { linear: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT'], spot: ['BTCUSDT'] } });
    t.after(() => simulator.close());
    const client = new BybitRestClient({ baseUrl: simulator.restBaseUrl, category: 'linear', instrumentsPageSize: 1 });
    const instruments = await client.listInstruments();
    assert.deepEqual([...instruments.keys()].sort(), ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT']);
    assert.equal(instruments.get('BTCUSDT')?.status, 'Trading');
    assert.doesNotThrow(() => assertSymbolsTradable(instruments, ['BTCUSDT', 'XRPUSDT'], 'linear'));
    assert.throws(() => assertSymbolsTradable(instruments, ['BTCUSDT', 'DOGEUSDT', 'PEPEUSDT'], 'linear'), (error: unknown) => {
      assert.ok(error instanceof UnknownSymbolError);
      assert.deepEqual(error.symbols, ['DOGEUSDT', 'PEPEUSDT']);
      return true;
    });
    const spot = await new BybitRestClient({ baseUrl: simulator.restBaseUrl, category: 'spot' }).listInstruments();
    assert.deepEqual([...spot.keys()], ['BTCUSDT']);
  });

  it('pages klines backwards and returns them oldest first, without holes, the open one unconfirmed', async (t) => {
    const simulator = await startSimulator();
    t.after(() => simulator.close());
    const client = new BybitRestClient({ baseUrl: simulator.restBaseUrl, category: 'linear' });
    const now = simulator.virtualTimeMs;
    const openStart = Math.floor(now / 60_000) * 60_000;
    const from = openStart - 1_400 * 60_000;
    const candles = await client.fetchCandles('BTCUSDT', '1', from, now, now);
    assert.equal(candles.length, 1_401, 'two pages of 1000 rows joined');
    for (let i = 1; i < candles.length; i++) assert.equal(candles[i]!.timestamp - candles[i - 1]!.timestamp, 60_000);
    assert.equal(candles[0]!.timestamp, from);
    assert.equal(candles.at(-1)!.timestamp, openStart);
    assert.equal(candles.at(-1)!.confirm, false);
    assert.ok(candles.slice(0, -1).every((c) => c.confirm));
  });

  it('returns recent trades oldest first and maps API errors to BYBIT_REST_API', async (t) => {
    const simulator = await startSimulator();
    t.after(() => simulator.close());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const client = new BybitRestClient({ baseUrl: simulator.restBaseUrl, category: 'linear', attempts: 1 });
    const trades = await client.fetchRecentTrades('BTCUSDT');
    assert.ok(trades.length > 0);
    for (let i = 1; i < trades.length; i++) assert.ok(trades[i]!.timestamp >= trades[i - 1]!.timestamp);
    await assert.rejects(client.fetchCandles('NOPEUSDT', '1', 0, 1, 1), (error: unknown) => error instanceof BybitRestError && error.code === 'BYBIT_REST_API');
    const unreachable = new BybitRestClient({ baseUrl: 'http://127.0.0.1:1', category: 'linear', attempts: 1, timeoutMs: 500 });
    await assert.rejects(unreachable.listInstruments(), (error: unknown) => error instanceof BybitRestError && error.code === 'BYBIT_REST_NETWORK');
  });
});
