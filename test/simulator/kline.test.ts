import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareDecimal } from '../../src/schemas/index.js';
import { BybitSimulator } from '../../src/simulator/index.js';
import { SimClient, toUnits, type Wire } from './sim-client.js';

const MINUTE_MS = 60_000;

async function restKline(sim: BybitSimulator, query: string): Promise<Wire> {
  const body: Wire = await (await fetch(`${sim.restBaseUrl}/v5/market/kline?${query}`)).json();
  assert.equal(body.retCode, 0, body.retMsg);
  return body.result;
}

describe('simulator REST klines between two market steps', () => {
  it('a minute just begun has its open candle at once, as on Bybit, even before the market has stepped into it', async (t) => {
    // The market steps every 60 s of real time here, so nothing but the request itself can step it past the
    // minute boundary 50 ms after the start.
    const boundaryMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 2 * MINUTE_MS;
    const sim = await BybitSimulator.start({ timeScale: 1, startTimeMs: boundaryMs - 50, tickIntervalMs: 60_000, seed: 5 });
    t.after(() => sim.close());
    await new Promise((resolve) => setTimeout(resolve, 120));
    const result = await restKline(sim, `category=linear&symbol=BTCUSDT&interval=1&limit=2`);
    const starts = (result.list as string[][]).map((row) => Number(row[0]));
    assert.deepEqual(starts, [boundaryMs, boundaryMs - MINUTE_MS], 'the open candle of the new minute, then the one before');
  });
});

describe('simulator klines', () => {
  let sim: BybitSimulator;
  const startTimeMs = Date.now() - 6 * 3_600_000;
  before(async () => {
    // 120x: a 1 m candle closes every 0.5 s of real time.
    sim = await BybitSimulator.start({ timeScale: 120, startTimeMs, tickIntervalMs: 25, seed: 11 });
  });
  after(async () => {
    await sim.close();
  });

  it('streams candles built from the trades, confirms each once, and REST returns exactly the streamed closes', async (t) => {
    const client = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/linear`);
    t.after(() => client.close());
    await client.request({ op: 'subscribe', args: ['kline.1.BTCUSDT', 'publicTrade.BTCUSDT'] });
    const confirmed = await client.collect((m) => m?.topic === 'kline.1.BTCUSDT' && m.data[0].confirm === true, 3, 6000);

    const klineFrames = client.frames.filter((f) => f.msg?.topic === 'kline.1.BTCUSDT').map((f): Wire => f.msg);
    for (const frame of klineFrames) {
      assert.equal(frame.type, 'snapshot');
      assert.equal(frame.data.length, 1);
      const candle = frame.data[0];
      assert.equal(candle.interval, '1');
      assert.equal(candle.start % MINUTE_MS, 0);
      assert.equal(candle.end, candle.start + MINUTE_MS - 1);
      assert.equal(candle.timestamp, frame.ts);
      for (const price of [candle.open, candle.close]) {
        assert.ok(compareDecimal(candle.low, price) <= 0 && compareDecimal(price, candle.high) <= 0, 'low <= open, close <= high');
      }
    }
    // confirm:true exactly once per candle, consecutive closes with no hole, and nothing after the close.
    const closes = klineFrames.filter((m) => m.data[0].confirm);
    const starts = closes.map((m) => Number(m.data[0].start));
    assert.equal(new Set(starts).size, starts.length, 'each candle confirmed once');
    for (let i = 1; i < starts.length; i += 1) assert.equal(starts[i]! - starts[i - 1]!, MINUTE_MS);
    for (const close of closes) {
      const index = klineFrames.indexOf(close);
      const after = klineFrames.slice(index + 1);
      assert.ok(after.every((m) => m.data[0].start > close.data[0].start), 'a closed candle is never updated again');
      assert.ok(close.ts > close.data[0].end, 'confirmed once its interval ended on the virtual clock');
      if (after[0] !== undefined) assert.equal(after[0].data[0].start, close.data[0].start + MINUTE_MS, 'the next candle starts');
    }

    // A candle wholly observed (opened after we subscribed) is exactly the aggregate of its trades.
    const trades = client.frames.filter((f) => f.msg?.topic === 'publicTrade.BTCUSDT').flatMap((f): Wire[] => f.msg.data);
    const fullyObserved = confirmed.slice(1).map((m): Wire => m.data[0]);
    assert.ok(fullyObserved.length >= 1);
    for (const candle of fullyObserved) {
      const inside = trades.filter((trade: Wire) => trade.T >= candle.start && trade.T <= candle.end);
      const volume = inside.reduce((sum: bigint, trade: Wire) => sum + toUnits(trade.v, 3), 0n);
      assert.equal(volume, toUnits(candle.volume, 3), `volume of ${candle.start} is the sum of its trades`);
      if (inside.length > 0) {
        assert.equal(compareDecimal(inside.at(-1).p, candle.close), 0, 'close is the last trade');
        for (const trade of inside) {
          assert.ok(compareDecimal(candle.low, trade.p) <= 0 && compareDecimal(trade.p, candle.high) <= 0);
        }
      }
      const turnover = inside.reduce((sum: bigint, trade: Wire) => sum + toUnits(trade.p, 2) * toUnits(trade.v, 3), 0n);
      assert.equal(turnover, toUnits(candle.turnover, 5), 'turnover is the sum of price x size');
    }

    // REST: newest first, and every streamed close is returned exactly as it was sent.
    const rest = await restKline(sim, 'category=linear&symbol=BTCUSDT&interval=1&limit=1000');
    assert.equal(rest.symbol, 'BTCUSDT');
    assert.equal(rest.category, 'linear');
    assert.equal(rest.list.length, 1000);
    const byStart = new Map<number, string[]>(rest.list.map((row: string[]) => [Number(row[0]), row]));
    for (const close of closes) {
      const c = close.data[0];
      assert.deepEqual(byStart.get(c.start), [String(c.start), c.open, c.high, c.low, c.close, c.volume, c.turnover]);
    }
    // Newest first, contiguous from synthesized history across the start into the live series, open candle included.
    for (let i = 1; i < rest.list.length; i += 1) {
      assert.equal(Number(rest.list[i - 1][0]) - Number(rest.list[i][0]), MINUTE_MS, `hole at row ${i}`);
      assert.ok(rest.list[i].every((value: unknown) => typeof value === 'string'));
      assert.equal(rest.list[i][4], rest.list[i - 1][1], 'each candle opens where the previous one closed');
    }
    const oldest = Number(rest.list.at(-1)[0]);
    assert.ok(oldest < startTimeMs, 'the page reaches into the synthesized history');
    assert.ok(Number(rest.list[0][0]) > Math.max(...starts), 'the still-open candle is the first row');
  });

  it('confirms every interval on its calendar boundary (e.g. 5 m every 2.5 s at 120x)', async (t) => {
    const client = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/spot`);
    t.after(() => client.close());
    await client.request({ op: 'subscribe', args: ['kline.3.ETHUSDT'] });
    const close = await client.next((m) => m?.topic === 'kline.3.ETHUSDT' && m.data[0].confirm === true, 4000);
    assert.equal(close.data[0].start % (3 * MINUTE_MS), 0);
    assert.equal(close.data[0].end, close.data[0].start + 3 * MINUTE_MS - 1);
    const raw = client.frames.find((f) => f.msg?.topic === 'kline.3.ETHUSDT')!.raw;
    assert.ok(raw.startsWith('{"topic":"kline.3.ETHUSDT","data":[{"start":'), raw);
    const rest = await restKline(sim, 'category=spot&symbol=ETHUSDT&interval=3&limit=50');
    const row = rest.list.find((r: string[]) => Number(r[0]) === close.data[0].start);
    const c = close.data[0];
    assert.deepEqual(row, [String(c.start), c.open, c.high, c.low, c.close, c.volume, c.turnover]);
  });

  it('aligns D, W and M candles to the UTC calendar, not older than the 2020 listing', async () => {
    const daily = await restKline(sim, 'category=linear&symbol=ETHUSDT&interval=D&limit=10');
    for (const row of daily.list) assert.equal(Number(row[0]) % 86_400_000, 0);
    const weekly = await restKline(sim, 'category=linear&symbol=ETHUSDT&interval=W&limit=1000');
    assert.ok(weekly.list.length > 300 && weekly.list.length < 1000, `${weekly.list.length} weekly rows`);
    for (const row of weekly.list) assert.equal(new Date(Number(row[0])).getUTCDay(), 1, 'weeks start on Monday');
    const monthly = await restKline(sim, 'category=linear&symbol=ETHUSDT&interval=M&limit=1000');
    for (const row of monthly.list) {
      const date = new Date(Number(row[0]));
      assert.equal(date.getUTCDate(), 1);
      assert.equal(date.getUTCHours(), 0);
      assert.ok(Number(row[0]) >= Date.UTC(2020, 0, 1));
    }
    const hourly = await restKline(sim, 'category=linear&symbol=ETHUSDT&interval=60&limit=1000');
    assert.equal(hourly.list.length, 1000, 'limit=1000 of an intraday interval is served');
  });

  it('honours start, end and limit, and defaults the category to linear', async () => {
    const end = startTimeMs - 10 * MINUTE_MS;
    const page = await restKline(sim, `symbol=BTCUSDT&interval=5&end=${end}&limit=7`);
    assert.equal(page.category, 'linear');
    assert.equal(page.list.length, 7);
    assert.ok(Number(page.list[0][0]) <= end);
    const linear = await restKline(sim, `category=linear&symbol=BTCUSDT&interval=5&end=${end}&limit=7`);
    assert.deepEqual(page.list, linear.list);
    const spot = await restKline(sim, `category=spot&symbol=BTCUSDT&interval=5&end=${end}&limit=7`);
    assert.notDeepEqual(spot.list, linear.list, 'spot BTCUSDT is a different market');
    const start = Number(page.list[3][0]);
    const bounded = await restKline(sim, `symbol=BTCUSDT&interval=5&start=${start}&end=${end}`);
    assert.deepEqual(bounded.list, page.list.slice(0, 4));
    const defaultLimit = await restKline(sim, 'symbol=BTCUSDT&interval=1');
    assert.equal(defaultLimit.list.length, 200);
  });

  it('synthesizes the same history for the same seed and start time', async (t) => {
    const twin = await BybitSimulator.start({ timeScale: 120, startTimeMs, seed: 11 });
    const other = await BybitSimulator.start({ timeScale: 120, startTimeMs, seed: 12 });
    t.after(async () => {
      await twin.close();
      await other.close();
    });
    const query = `category=linear&symbol=SOLUSDT&interval=15&end=${startTimeMs - 3_600_000}&limit=300`;
    const mine = await restKline(sim, query);
    assert.deepEqual((await restKline(twin, query)).list, mine.list);
    assert.notDeepEqual((await restKline(other, query)).list, mine.list);
  });

  it('rejects bad kline parameters with retCode 10001', async () => {
    for (const query of ['symbol=BTCUSDT&interval=2', 'interval=1', 'symbol=NOPE&interval=1', 'symbol=BTCUSDT&interval=1&category=option', 'symbol=BTCUSDT&interval=1&limit=x']) {
      const body: Wire = await (await fetch(`${sim.restBaseUrl}/v5/market/kline?${query}`)).json();
      assert.equal(body.retCode, 10001, query);
      assert.equal(typeof body.retMsg, 'string');
    }
  });
});
