import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CandleDataSchema, TradeDataSchema, checkCandleOhlc, type Timeframe } from '../../../src/schemas/index.js';
import {
  DAY_MS,
  candleStartFor,
  restKlineRowToCandle,
  restKlineRowsToCandles,
  restTradeToTradeData,
  timeframeToMs,
  toCandleData,
  toTradeData,
  type BybitRestTradeRow,
} from '../../../src/exchanges/bybit/bybit-mappers.js';
import { klineFrame, tradeFrame } from './fixtures.js';

const isCandle = TypeCompiler.Compile(CandleDataSchema);
const isTrade = TypeCompiler.Compile(TradeDataSchema);

void describe('toCandleData on recorded kline frames', () => {
  void it('maps the 2024 linear kline.1 frame: timestamp is the start, strings kept exactly', () => {
    const row = klineFrame('kline.jsonl', 1).data[0]!;
    const candle = toCandleData(row);
    assert.deepEqual(candle, {
      timestamp: 1719667560000,
      open: '61030',
      high: '61030',
      low: '61015',
      close: '61029.9',
      volume: '10.798',
      turnover: '658980.4245',
      confirm: false,
    });
    assert.ok(isCandle.Check(candle));
    assert.ok(checkCandleOhlc(candle).ok);
    // end = start + interval - 1, and the candle contains its last trade.
    assert.equal(row.end, row.start + timeframeToMs('1') - 1);
    assert.equal(candleStartFor('1', row.timestamp), row.start);
  });

  void it('maps the 2026 testnet kline frame', () => {
    const candle = toCandleData(klineFrame('unattributed_real.jsonl', 15).data[0]!);
    assert.equal(candle.timestamp, 1789470120000);
    assert.equal(candle.close, '77256.8');
    assert.equal(candle.turnover, '1158.8555');
    assert.ok(isCandle.Check(candle));
  });
});

void describe('toTradeData on recorded trade frames', () => {
  void it('linear 2023 (no RPI, no seq): no rpi key, block flag kept', () => {
    const trades = tradeFrame('publicTrade_linear.jsonl', 1).data.map(toTradeData);
    assert.deepEqual(trades, [
      { id: '4c7b6bdc-b4a3-5716-9c7b-bbe01dc7072f', timestamp: 1680688979983, price: '94.53', size: '0.4', side: 'Buy', blockTrade: false },
    ]);
    assert.equal('rpi' in trades[0]!, false);
  });

  void it('linear 2025 with RPI and seq: rpi kept, seq and tick direction dropped', () => {
    const [trade] = tradeFrame('publicTrade_linear.jsonl', 2).data.map(toTradeData);
    assert.deepEqual(trade, {
      id: '2a74ac78-691c-5b54-9dbe-5aafe8364627',
      timestamp: 1758841135823,
      price: '109378.90',
      size: '0.020',
      side: 'Buy',
      blockTrade: false,
      rpi: false,
    });
  });

  void it('spot: numeric-string ids, no L, ts before type', () => {
    const frame = tradeFrame('publicTrade_spot.jsonl', 1);
    const trades = frame.data.map(toTradeData);
    assert.deepEqual(trades.map((t) => t.id), ['2290000000050703789', '2290000000050703790', '2290000000050703791', '2290000000050703792']);
    assert.deepEqual(trades.map((t) => t.size), ['0.041732', '0.008513', '0.042384', '0.055371']);
    assert.ok(trades.every((t) => t.side === 'Sell' && t.price === '28165.38' && t.timestamp === 1680652847524));
    assert.ok(frame.data.every((row) => row.L === undefined));
    const [usdc] = tradeFrame('publicTrade_spot.jsonl', 2).data.map(toTradeData);
    assert.deepEqual(usdc, { id: '2240000000041223438', timestamp: 1680688979998, price: '28528.98', size: '0.00433', side: 'Buy', blockTrade: false });
  });

  void it('inverse: sizes in contracts kept as sent', () => {
    const trades = tradeFrame('publicTrade_inverse.jsonl', 1).data.map(toTradeData);
    assert.deepEqual(trades.map((t) => t.size), ['5823', '3', '5593']);
    assert.deepEqual(trades.map((t) => t.price), ['28560.50', '28560.50', '28560.50']);
  });

  void it('a 9-trade frame sharing T and seq keeps 9 distinct ids', () => {
    const frame = tradeFrame('unattributed_real.jsonl', 4);
    assert.equal(new Set(frame.data.map((row) => row.seq)).size, 1);
    const trades = frame.data.map(toTradeData);
    assert.equal(trades.length, 9);
    assert.equal(new Set(trades.map((t) => t.id)).size, 9);
    assert.deepEqual(trades.map((t) => t.price).slice(-3), ['69915.40', '69915.40', '69914.20']);
  });

  void it('every mapped recorded trade is schema-valid', () => {
    const frames = [
      tradeFrame('publicTrade_linear.jsonl', 1),
      tradeFrame('publicTrade_linear.jsonl', 2),
      tradeFrame('publicTrade_spot.jsonl', 1),
      tradeFrame('publicTrade_spot.jsonl', 2),
      tradeFrame('publicTrade_inverse.jsonl', 1),
      tradeFrame('unattributed_real.jsonl', 4),
      tradeFrame('unattributed_real.jsonl', 16),
    ];
    const trades = frames.flatMap((frame) => frame.data.map(toTradeData));
    assert.equal(trades.length, 20);
    for (const trade of trades) assert.ok(isTrade.Check(trade), JSON.stringify(trade));
  });
});

void describe('REST mappers (SYNTHETIC rows in the documented shapes)', () => {
  // Row from the /v5/market/kline docs example (inverse BTCUSD, 1 h).
  const DOC_ROW = ['1670608800000', '17071', '17073', '17027', '17055.5', '268611', '15.74462667'];
  const HOUR_MS = 3_600_000;

  void it('restKlineRowToCandle maps the positional strings', () => {
    assert.deepEqual(restKlineRowToCandle(DOC_ROW, HOUR_MS, 1670612400000), {
      timestamp: 1670608800000,
      open: '17071',
      high: '17073',
      low: '17027',
      close: '17055.5',
      volume: '268611',
      turnover: '15.74462667',
      confirm: true,
    });
  });

  void it('restKlineRowToCandle confirms only when start + interval <= now', () => {
    assert.equal(restKlineRowToCandle(DOC_ROW, HOUR_MS, 1670608800000 + HOUR_MS).confirm, true);
    assert.equal(restKlineRowToCandle(DOC_ROW, HOUR_MS, 1670608800000 + HOUR_MS - 1).confirm, false);
  });

  void it('restKlineRowToCandle throws on malformed rows', () => {
    assert.throws(() => restKlineRowToCandle(DOC_ROW.slice(0, 6), HOUR_MS, 0), TypeError);
    assert.throws(() => restKlineRowToCandle([1670608800000, ...DOC_ROW.slice(1)], HOUR_MS, 0), TypeError);
    assert.throws(() => restKlineRowToCandle(['1670608800000', '17071', 'NaN', ...DOC_ROW.slice(3)], HOUR_MS, 0), TypeError);
  });

  void it('restKlineRowsToCandles turns a newest-first list into candles oldest first, each month its own length', () => {
    const feb2024 = Date.UTC(2024, 1, 1);
    const mar2024 = Date.UTC(2024, 2, 1);
    const jan2024 = Date.UTC(2024, 0, 1);
    const rows = [mar2024, feb2024, jan2024].map((start) => [String(start), '1', '2', '0.5', '1.5', '10', '15']);
    // Now is 2024-03-01 00:00: February (29 days) has just closed, March is open.
    const candles = restKlineRowsToCandles(rows, 'M', mar2024);
    assert.deepEqual(candles.map((c) => c.timestamp), [jan2024, feb2024, mar2024]);
    assert.deepEqual(candles.map((c) => c.confirm), [true, true, false]);
    // One ms before March: February is still open (it would be closed if months were 28 days).
    assert.deepEqual(restKlineRowsToCandles(rows, 'M', mar2024 - 1).map((c) => c.confirm), [true, false, false]);
  });

  void it('restTradeToTradeData produces exactly what the live row produces', () => {
    const live = tradeFrame('publicTrade_linear.jsonl', 2).data[0]!;
    const rest: BybitRestTradeRow = {
      execId: live.i,
      symbol: live.s,
      price: live.p,
      size: live.v,
      side: live.S,
      time: String(live.T),
      isBlockTrade: false,
      isRPITrade: false,
      seq: String(live.seq),
    };
    assert.deepEqual(restTradeToTradeData(rest), toTradeData(live));
    const { isRPITrade: _omitted, ...older } = rest;
    assert.equal('rpi' in restTradeToTradeData(older), false);
    assert.throws(() => restTradeToTradeData({ ...rest, time: '17588411358.5' }), TypeError);
    assert.throws(() => restTradeToTradeData({ ...rest, execId: '' }), TypeError);
  });
});

void describe('timeframe arithmetic', () => {
  void it('minute intervals, D and W have fixed lengths', () => {
    const minutes: [Timeframe, number][] = [['1', 1], ['3', 3], ['5', 5], ['15', 15], ['30', 30], ['60', 60], ['120', 120], ['240', 240], ['360', 360], ['720', 720]];
    for (const [timeframe, count] of minutes) assert.equal(timeframeToMs(timeframe), count * 60_000, timeframe);
    assert.equal(timeframeToMs('D'), 86_400_000);
    assert.equal(timeframeToMs('W'), 604_800_000);
  });

  void it('M is the calendar month containing atMs, in UTC', () => {
    assert.equal(timeframeToMs('M', Date.UTC(2024, 1, 10)), 29 * DAY_MS);
    assert.equal(timeframeToMs('M', Date.UTC(2023, 1, 1)), 28 * DAY_MS);
    assert.equal(timeframeToMs('M', Date.UTC(2024, 0, 31, 23, 59)), 31 * DAY_MS);
    assert.equal(timeframeToMs('M', Date.UTC(2024, 3, 1)), 30 * DAY_MS);
    assert.equal(timeframeToMs('M', Date.UTC(2024, 11, 15)), 31 * DAY_MS);
    // The last ms of February 2024 is still February.
    assert.equal(timeframeToMs('M', Date.UTC(2024, 2, 1) - 1), 29 * DAY_MS);
  });

  void it('M without atMs throws instead of guessing a length', () => {
    assert.throws(() => timeframeToMs('M'), RangeError);
  });

  void it('W candles start on Monday 00:00 UTC', () => {
    const monday = Date.UTC(2024, 5, 24);
    assert.equal(new Date(monday).getUTCDay(), 1);
    assert.equal(candleStartFor('W', Date.UTC(2024, 5, 29, 16, 6)), monday); // Saturday of the kline fixture
    assert.equal(candleStartFor('W', monday), monday);
    assert.equal(candleStartFor('W', monday - 1), monday - 7 * DAY_MS); // Sunday 23:59:59.999
    assert.equal(candleStartFor('W', monday + 7 * DAY_MS - 1), monday);
    assert.equal(candleStartFor('W', 0), Date.UTC(1969, 11, 29)); // the epoch was a Thursday
  });

  void it('M candles start on the 1st, D at midnight, minutes on their multiple', () => {
    assert.equal(candleStartFor('M', Date.UTC(2024, 1, 29, 23, 59)), Date.UTC(2024, 1, 1));
    assert.equal(candleStartFor('M', Date.UTC(2024, 2, 1)), Date.UTC(2024, 2, 1));
    assert.equal(candleStartFor('D', Date.UTC(2024, 5, 29, 13, 0, 1)), Date.UTC(2024, 5, 29));
    assert.equal(candleStartFor('720', Date.UTC(2024, 5, 29, 13)), Date.UTC(2024, 5, 29, 12));
    assert.equal(candleStartFor('240', Date.UTC(2024, 5, 29, 3, 59)), Date.UTC(2024, 5, 29, 0));
    assert.equal(candleStartFor('5', 1672324988882), 1672324800000); // kline.5 docs example start
  });
});
