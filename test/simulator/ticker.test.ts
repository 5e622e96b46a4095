import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareDecimal } from '../../src/schemas/index.js';
import { BybitSimulator } from '../../src/simulator/index.js';
import { SimClient, isTopic, sleep, type Wire } from './sim-client.js';

const LINEAR_FIELDS = [
  'symbol', 'tickDirection', 'price24hPcnt', 'lastPrice', 'prevPrice24h', 'highPrice24h', 'lowPrice24h', 'prevPrice1h',
  'markPrice', 'indexPrice', 'openInterest', 'openInterestValue', 'turnover24h', 'volume24h', 'nextFundingTime',
  'fundingRate', 'bid1Price', 'bid1Size', 'ask1Price', 'ask1Size',
];

describe('simulator tickers', () => {
  let sim: BybitSimulator;
  before(async () => {
    sim = await BybitSimulator.start({ timeScale: 20, startTimeMs: Date.now() - 3_600_000, tickIntervalMs: 20, seed: 5 });
  });
  after(async () => {
    await sim.close();
  });

  it('linear: a full snapshot, then sparse deltas of changed fields only, agreeing with trades and the book', async (t) => {
    const client = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/linear`);
    t.after(() => client.close());
    await client.request({ op: 'subscribe', args: ['publicTrade.ETHUSDT', 'orderbook.1.ETHUSDT', 'tickers.ETHUSDT'] });
    const snapshot = await client.next(isTopic('tickers.ETHUSDT'));
    assert.equal(snapshot.type, 'snapshot');
    for (const field of LINEAR_FIELDS) assert.equal(typeof snapshot.data[field], 'string', field);
    assert.ok(Number.isInteger(snapshot.cs));
    const raw = client.frames.find((f) => f.msg?.topic === 'tickers.ETHUSDT')!.raw;
    assert.ok(raw.startsWith('{"topic":"tickers.ETHUSDT","type":"snapshot","data":{"symbol":"ETHUSDT",'), raw);

    const state: Record<string, string> = { ...snapshot.data };
    let lastCs = snapshot.cs;
    let sawLastPriceChange = false;
    for (let i = 0; i < 12; i += 1) {
      const delta = await client.next(isTopic('tickers.ETHUSDT'));
      assert.equal(delta.type, 'delta');
      assert.equal(delta.data.symbol, 'ETHUSDT');
      assert.ok(delta.cs > lastCs, 'cs increases');
      lastCs = delta.cs;
      const keys = Object.keys(delta.data).filter((k) => k !== 'symbol');
      assert.ok(keys.length > 0);
      assert.ok(keys.length < Object.keys(state).length - 1, 'a delta is sparse');
      for (const key of keys) {
        assert.ok(key in state, `unknown field ${key}`);
        assert.notEqual(delta.data[key], state[key], `${key} sent although unchanged`);
        state[key] = delta.data[key];
      }
      if ('lastPrice' in delta.data) {
        sawLastPriceChange = true;
        // Trades of a tick are pushed before the ticker: its lastPrice is the last trade seen.
        const trades = client.frames.filter((f) => f.msg?.topic === 'publicTrade.ETHUSDT').flatMap((f): Wire[] => f.msg.data);
        assert.equal(trades.at(-1).p, delta.data.lastPrice);
      }
      // The merged state is coherent.
      assert.ok(compareDecimal(state['lowPrice24h']!, state['lastPrice']!) <= 0);
      assert.ok(compareDecimal(state['lastPrice']!, state['highPrice24h']!) <= 0);
      assert.equal(compareDecimal(state['bid1Price']!, state['ask1Price']!), -1);
      // bid1/ask1 are the book's best levels: the latest orderbook.1 frame (books are pushed before tickers in a tick).
      const at = client.frames.findIndex((f) => f.msg === delta);
      const bbo = client.frames.slice(0, at).filter((f) => f.msg?.topic === 'orderbook.1.ETHUSDT').at(-1)!.msg;
      assert.deepEqual([bbo.data.b[0], bbo.data.a[0]], [[state['bid1Price'], state['bid1Size']], [state['ask1Price'], state['ask1Size']]]);
    }
    assert.ok(sawLastPriceChange, 'trades moved the last price');
  });

  it('spot: snapshots only, without bid/ask fields, spot key order', async (t) => {
    const client = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/spot`);
    t.after(() => client.close());
    await client.request({ op: 'subscribe', args: ['tickers.BTCUSDT'] });
    const frames = await client.collect(isTopic('tickers.BTCUSDT'), 5);
    for (const frame of frames) {
      assert.equal(frame.type, 'snapshot');
      assert.deepEqual(Object.keys(frame.data), [
        'symbol', 'lastPrice', 'highPrice24h', 'lowPrice24h', 'prevPrice24h', 'volume24h', 'turnover24h', 'price24hPcnt', 'usdIndexPrice',
      ]);
      assert.ok(!('bid1Price' in frame.data));
    }
    const raw = client.frames.find((f) => f.msg?.topic === 'tickers.BTCUSDT')!.raw;
    assert.ok(raw.startsWith('{"topic":"tickers.BTCUSDT","ts":'), raw);
  });

  it('REST tickers agree with the REST book and recent trades (market paused)', async () => {
    sim.pause();
    try {
      await sleep(60);
      for (const category of ['linear', 'spot'] as const) {
        const tickers: Wire = await (await fetch(`${sim.restBaseUrl}/v5/market/tickers?category=${category}`)).json();
        assert.equal(tickers.retCode, 0);
        assert.equal(tickers.result.category, category);
        assert.equal(tickers.result.list.length, category === 'linear' ? 3 : 2);
        for (const ticker of tickers.result.list) {
          const symbol = ticker.symbol;
          const book: Wire = await (await fetch(`${sim.restBaseUrl}/v5/market/orderbook?category=${category}&symbol=${symbol}&limit=1`)).json();
          assert.deepEqual([ticker.bid1Price, ticker.bid1Size], book.result.b[0], `${category} ${symbol} bid`);
          assert.deepEqual([ticker.ask1Price, ticker.ask1Size], book.result.a[0], `${category} ${symbol} ask`);
          const trades: Wire = await (await fetch(`${sim.restBaseUrl}/v5/market/recent-trade?category=${category}&symbol=${symbol}&limit=1`)).json();
          assert.equal(trades.result.list[0].price, ticker.lastPrice);
        }
      }
    } finally {
      sim.resume();
    }
  });
});
