import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareDecimal } from '../../src/schemas/index.js';
import { BybitSimulator } from '../../src/simulator/index.js';
import { sleep, type Wire } from './sim-client.js';

describe('simulator REST', () => {
  let sim: BybitSimulator;
  before(async () => {
    sim = await BybitSimulator.start({ timeScale: 60, startTimeMs: Date.now() - 3_600_000, tickIntervalMs: 20 });
    await sleep(200);
  });
  after(async () => {
    await sim.close();
  });
  const get = async (path: string): Promise<Wire> => {
    const response = await fetch(`${sim.restBaseUrl}${path}`);
    assert.equal(response.status, 200);
    return response.json();
  };

  it('wraps results in the Bybit envelope', async () => {
    const body = await get('/v5/market/time');
    assert.deepEqual(Object.keys(body), ['retCode', 'retMsg', 'result', 'retExtInfo', 'time']);
    assert.equal(body.retCode, 0);
    assert.equal(body.retMsg, 'OK');
    assert.deepEqual(body.retExtInfo, {});
    assert.ok(Number.isInteger(body.time));
    assert.equal(body.result.timeSecond, String(Math.floor(body.time / 1000)));
  });

  it('pages linear instruments: limit=1 hands out a cursor per symbol until it is empty', async () => {
    const symbols: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page += 1) {
      const body = await get(`/v5/market/instruments-info?category=linear&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(body.retCode, 0);
      assert.equal(body.result.list.length, 1);
      symbols.push(body.result.list[0].symbol);
      cursor = body.result.nextPageCursor;
      if (cursor === '') break;
    }
    assert.deepEqual(symbols, ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    const all = await get('/v5/market/instruments-info?category=linear');
    assert.equal(all.result.list.length, 3);
    assert.equal(all.result.nextPageCursor, '');
    const btc = all.result.list[0];
    assert.equal(btc.status, 'Trading');
    assert.equal(btc.baseCoin, 'BTC');
    assert.equal(btc.quoteCoin, 'USDT');
    assert.equal(btc.priceFilter.tickSize, '0.10');
    assert.equal(btc.lotSizeFilter.qtyStep, '0.001');
    const one = await get('/v5/market/instruments-info?category=linear&symbol=ETHUSDT');
    assert.deepEqual(one.result.list.map((row: Wire) => String(row.symbol)), ['ETHUSDT']);
    const none = await get('/v5/market/instruments-info?category=linear&symbol=NOPEUSDT');
    assert.deepEqual(none.result.list, []);
    const badCursor = await get('/v5/market/instruments-info?category=linear&cursor=zzz');
    assert.equal(badCursor.retCode, 10001);
  });

  it('does not page spot instruments', async () => {
    const body = await get('/v5/market/instruments-info?category=spot&limit=1');
    assert.deepEqual(body.result.list.map((row: Wire) => String(row.symbol)), ['BTCUSDT', 'ETHUSDT']);
    assert.equal(body.result.list[0].priceFilter.tickSize, '0.01');
    assert.equal(body.result.list[0].lotSizeFilter.basePrecision, '0.000001');
  });

  it('serves recent trades newest first with string time and seq', async () => {
    const body = await get('/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=20');
    const list = body.result.list;
    assert.equal(body.result.category, 'linear');
    assert.equal(list.length, 20);
    for (const row of list) {
      assert.deepEqual(Object.keys(row), ['execId', 'symbol', 'price', 'size', 'side', 'time', 'isBlockTrade', 'isRPITrade', 'seq']);
      assert.match(row.execId, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(row.time, /^\d{13}$/);
      assert.match(row.seq, /^\d+$/);
      assert.ok(row.side === 'Buy' || row.side === 'Sell');
    }
    for (let i = 1; i < list.length; i += 1) assert.ok(Number(list[i - 1].time) >= Number(list[i].time));
    const spot = await get('/v5/market/recent-trade?category=spot&symbol=BTCUSDT');
    assert.ok(spot.result.list.length <= 60);
    assert.match(spot.result.list[0].execId, /^\d+$/);
    assert.equal((await get('/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=61')).retCode, 10001);
  });

  it('serves tickers for one or all symbols; spot REST tickers carry bid/ask', async () => {
    const one = await get('/v5/market/tickers?category=linear&symbol=SOLUSDT');
    assert.equal(one.result.list.length, 1);
    const t = one.result.list[0];
    assert.equal(t.symbol, 'SOLUSDT');
    assert.equal(compareDecimal(t.bid1Price, t.ask1Price), -1);
    assert.ok(compareDecimal(t.lowPrice24h, t.highPrice24h) <= 0);
    const spot = await get('/v5/market/tickers?category=spot&symbol=ETHUSDT');
    assert.equal(typeof spot.result.list[0].bid1Price, 'string');
    assert.equal(typeof spot.result.list[0].usdIndexPrice, 'string');
  });

  it('answers parameter errors with retCode 10001 and unknown paths with 404', async () => {
    assert.equal((await get('/v5/market/tickers')).retCode, 10001);
    assert.equal((await get('/v5/market/tickers?category=linear&symbol=NOPE')).retCode, 10001);
    assert.equal((await get('/v5/market/orderbook?category=linear')).retCode, 10001);
    assert.equal((await get('/v5/market/instruments-info?category=inverse')).retCode, 10001);
    const missing = await fetch(`${sim.restBaseUrl}/v5/market/nothing`);
    assert.equal(missing.status, 404);
    await missing.text();
  });
});
