import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { candleEndMs, candleStartMs, nextCandleStartMs } from '../../src/simulator/candle-intervals.js';
import { formatUnits, rescaleUnits } from '../../src/simulator/fixed-point.js';
import { formatPrice, instrumentSpec } from '../../src/simulator/instrument-catalog.js';
import { MarketModel } from '../../src/simulator/market-model.js';
import { OrderBookModel } from '../../src/simulator/order-book-model.js';
import { SeededRandom } from '../../src/simulator/seeded-random.js';
import { parseTopic } from '../../src/simulator/topic-parser.js';
import { resolveSimulatorOptions } from '../../src/simulator/index.js';

const START_MS = Date.UTC(2026, 10, 23, 12, 0, 7);

describe('fixed-point formatting', () => {
  it('prints integer units exactly, padded or trimmed', () => {
    assert.equal(formatUnits(3, 1, 'pad'), '0.3');
    assert.equal(formatUnits(30, 2, 'pad'), '0.30');
    assert.equal(formatUnits(30, 2, 'trim'), '0.3');
    assert.equal(formatUnits(6103000, 2, 'trim'), '61030');
    assert.equal(formatUnits(6102990, 2, 'pad'), '61029.90');
    assert.equal(formatUnits(0, 3, 'pad'), '0.000');
    assert.equal(formatUnits(-5, 2, 'pad'), '-0.05');
    assert.equal(formatUnits(123_456_789_012_345_678_901n, 8, 'trim'), '1234567890123.45678901');
    assert.equal(rescaleUnits(12_345n, 4, 2), 123n);
    assert.equal(rescaleUnits(12_350n, 4, 2), 124n);
    assert.equal(rescaleUnits(-12_350n, 4, 2), -124n);
    assert.equal(rescaleUnits(5n, 0, 3), 5000n);
  });

  it('has no float noise on ticks (0.1 + 0.2 style)', () => {
    const spec = instrumentSpec('linear', 'BTCUSDT');
    assert.equal(formatPrice(spec, 3), '0.30');
    for (let ticks = 1; ticks < 2000; ticks += 1) assert.match(formatPrice(spec, 650_000 + ticks), /^\d+\.\d0$/);
    const sol = instrumentSpec('linear', 'SOLUSDT');
    assert.equal(formatPrice(sol, 15_001), '150.010');
    assert.equal(formatPrice(instrumentSpec('spot', 'BTCUSDT'), 6_500_010), '65000.1');
  });
});

describe('candle calendar', () => {
  it('aligns minutes, days, Monday weeks and months in UTC', () => {
    const t = Date.UTC(2024, 1, 29, 13, 47, 12, 5); // Thursday 2024-02-29
    assert.equal(candleStartMs('1', t), Date.UTC(2024, 1, 29, 13, 47));
    assert.equal(candleStartMs('240', t), Date.UTC(2024, 1, 29, 12, 0));
    assert.equal(candleStartMs('D', t), Date.UTC(2024, 1, 29));
    assert.equal(candleStartMs('W', t), Date.UTC(2024, 1, 26));
    assert.equal(candleStartMs('M', t), Date.UTC(2024, 1, 1));
    assert.equal(candleEndMs('M', Date.UTC(2024, 1, 1)), Date.UTC(2024, 2, 1) - 1);
    assert.equal(nextCandleStartMs('M', Date.UTC(2024, 11, 1)), Date.UTC(2025, 0, 1));
    assert.equal(candleEndMs('5', 1672324800000), 1672325099999);
  });
});

describe('topic parsing', () => {
  it('accepts Bybit topics and rejects the rest', () => {
    assert.deepEqual(parseTopic('orderbook.1000.BTCUSDT'), { channel: 'orderbook', depth: 1000, symbol: 'BTCUSDT' });
    assert.deepEqual(parseTopic('kline.D.ETHUSDT'), { channel: 'kline', interval: 'D', symbol: 'ETHUSDT' });
    for (const bad of ['orderbook.500.BTCUSDT', 'orderbook.25.BTCUSDT', 'kline.2.BTCUSDT', 'trade.BTCUSDT', 'tickers', 'orderbook.50.', 'tickers.A.B']) {
      assert.equal(parseTopic(bad), undefined, bad);
    }
  });
});

describe('order book model', () => {
  it('never crosses and keeps more than 1000 levels a side through large moves', () => {
    const spec = instrumentSpec('spot', 'BTCUSDT');
    const rng = new SeededRandom(99);
    const book = new OrderBookModel(spec, rng, 6_500_000);
    let mid = 6_500_000;
    for (let step = 0; step < 400; step += 1) {
      mid += Math.round(rng.normal() * 120);
      book.moveTo(mid);
      book.take(rng.chance(0.5) ? 'Buy' : 'Sell', spec.typicalTradeUnits * 20, 4);
      book.perturb(20);
      book.replenish();
      const bids = book.levels('bid', 1100);
      const asks = book.levels('ask', 1100);
      assert.ok(bids[0]![0] < asks[0]![0], `crossed at step ${step}`);
      assert.ok(bids.length >= 1000 && asks.length >= 1000);
      for (let i = 1; i < bids.length; i += 1) assert.ok(bids[i - 1]![0] > bids[i]![0]);
      for (const [, size] of [...bids, ...asks]) assert.ok(size > 0 && size % spec.qtyStepUnits === 0);
    }
  });
});

describe('market model', () => {
  const options = (seed: number) => ({
    spec: instrumentSpec('linear', 'ETHUSDT'),
    seed,
    startTimeMs: START_MS,
    historyCandles: 1500,
    maxLiveCandles: 5000,
  });

  it('is deterministic for a seed and a sequence of steps', () => {
    const run = (seed: number) => {
      const model = new MarketModel(options(seed));
      const trades: string[] = [];
      for (let i = 1; i <= 200; i += 1) {
        for (const batch of model.advance(START_MS + i * 700).batches) for (const trade of batch.trades) trades.push(`${trade.id}@${trade.priceTicks}x${trade.qtyUnits}`);
      }
      return trades;
    };
    assert.deepEqual(run(4), run(4));
    assert.notDeepEqual(run(4), run(5));
  });

  it('builds every interval from the same trades, closing candles on the clock without holes', () => {
    const model = new MarketModel(options(8));
    const closedByInterval = new Map<string, number[]>();
    let volume = 0n;
    const anchorVolume = model.candles('1').current.volumeUnits;
    let lastSeq = 0;
    for (let i = 1; i <= 600; i += 1) {
      const step = model.advance(START_MS + i * 2_000);
      for (const batch of step.batches) {
        assert.ok(batch.seq > lastSeq, 'seq increases');
        lastSeq = batch.seq;
        for (const trade of batch.trades) volume += BigInt(trade.qtyUnits);
      }
      for (const [interval, candles] of step.closed) {
        const starts = closedByInterval.get(interval) ?? [];
        for (const candle of candles) {
          assert.ok(candle.confirmed);
          assert.ok(candle.low <= Math.min(candle.open, candle.close) && candle.high >= Math.max(candle.open, candle.close));
          starts.push(candle.startMs);
        }
        closedByInterval.set(interval, starts);
      }
    }
    // 20 virtual minutes: 1 m closes every minute, contiguous.
    const minutes = closedByInterval.get('1')!;
    assert.ok(minutes.length >= 19);
    for (let i = 1; i < minutes.length; i += 1) assert.equal(minutes[i]! - minutes[i - 1]!, 60_000);
    assert.equal(closedByInterval.get('15')?.length ?? 0, 1);
    // The volume of all 1 m candles since the start equals the traded volume (plus the synthesized prefix of the first).
    const live = model.candles('1').since(candleStartMs('1', START_MS));
    const total = live.reduce((sum, candle) => sum + candle.volumeUnits, 0n);
    assert.equal(total, volume + anchorVolume);
    // And the 60 m candle agrees with them on extremes over the same trades.
    const hour = model.candles('60').current;
    const inHour = live.filter((candle) => candle.startMs >= hour.startMs && candle.startMs > candleStartMs('1', START_MS));
    assert.ok(inHour.length > 0);
    for (const candle of inHour) assert.ok(candle.high <= hour.high && candle.low >= hour.low);
    assert.equal(hour.close, model.candles('1').current.close);
  });

  it('joins the synthesized history to the live series with no hole', () => {
    const model = new MarketModel(options(2));
    model.advance(START_MS + 5 * 60_000);
    const rows = model.candles('5').query(undefined, START_MS + 5 * 60_000, 1000);
    assert.equal(rows.length, 1000);
    for (let i = 1; i < rows.length; i += 1) {
      assert.equal(rows[i - 1]!.startMs - rows[i]!.startMs, 300_000);
      assert.equal(rows[i]!.close, rows[i - 1]!.open);
    }
  });
});

describe('simulator options', () => {
  it('fills defaults and rejects nonsense', () => {
    const options = resolveSimulatorOptions({}, 1_800_000_000_000);
    assert.equal(options.host, '127.0.0.1');
    assert.equal(options.tickIntervalMs, 100);
    assert.equal(options.timeScale, 1);
    assert.equal(options.startTimeMs, 1_800_000_000_000);
    assert.deepEqual(options.symbols, { linear: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], spot: ['BTCUSDT', 'ETHUSDT'] });
    assert.throws(() => resolveSimulatorOptions({ timeScale: 0 }), RangeError);
    assert.throws(() => resolveSimulatorOptions({ symbols: { linear: ['btcusdt'], spot: [] } }), RangeError);
  });
});
