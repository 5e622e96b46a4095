/**
 * Data frames exactly as Bybit writes them, key order included: linear frames
 * put `type` before `ts`, spot frames `ts` before `type`; kline frames carry
 * `data` first; linear trades have L and RPI, spot trades a numeric id and no
 * L. Klines print trimmed decimals ("61030"), as real kline frames do. REST
 * kline rows use the same formatting so a backfill matches the stream byte for
 * byte.
 * @module
 */
import type { Category, Timeframe } from '../schemas/index.js';
import type { Candle } from './candle-series.js';
import { formatUnits } from './fixed-point.js';
import { formatPrice, formatQty, type InstrumentSpec } from './instrument-catalog.js';
import type { TradeBatch } from './market-model.js';

export type FrameType = 'snapshot' | 'delta';
/** A printed level: [price, size]. */
export type WireLevel = readonly [string, string];

export interface BookData {
  readonly s: string;
  readonly b: readonly WireLevel[];
  readonly a: readonly WireLevel[];
  readonly u: number;
  readonly seq: number;
}

export function tradeFrame(spec: InstrumentSpec, topic: string, tsMs: number, batch: TradeBatch): string {
  if (spec.category === 'linear') {
    const data = batch.trades.map((trade) => ({
      T: trade.timeMs,
      s: spec.symbol,
      S: trade.side,
      v: formatQty(spec, trade.qtyUnits),
      p: formatPrice(spec, trade.priceTicks),
      L: trade.tickDirection,
      i: trade.id,
      BT: false,
      RPI: false,
      seq: trade.seq,
    }));
    return JSON.stringify({ topic, type: 'snapshot', ts: tsMs, data });
  }
  const data = batch.trades.map((trade) => ({
    i: trade.id,
    T: trade.timeMs,
    p: formatPrice(spec, trade.priceTicks),
    v: formatQty(spec, trade.qtyUnits),
    S: trade.side,
    s: spec.symbol,
    BT: false,
    seq: trade.seq,
  }));
  return JSON.stringify({ topic, ts: tsMs, type: 'snapshot', data });
}

/** [startTime, open, high, low, close, volume, turnover]: the REST kline row. */
export function candleRow(spec: InstrumentSpec, candle: Candle): string[] {
  const values = candleValues(spec, candle);
  return [String(candle.startMs), values.open, values.high, values.low, values.close, values.volume, values.turnover];
}

function candleValues(spec: InstrumentSpec, candle: Candle) {
  return {
    open: formatPrice(spec, candle.open, 'trim'),
    close: formatPrice(spec, candle.close, 'trim'),
    high: formatPrice(spec, candle.high, 'trim'),
    low: formatPrice(spec, candle.low, 'trim'),
    volume: formatQty(spec, candle.volumeUnits, 'trim'),
    turnover: formatUnits(candle.turnoverUnits, spec.priceScale + spec.qtyScale, 'trim'),
  };
}

export function klineFrame(
  spec: InstrumentSpec,
  interval: Timeframe,
  tsMs: number,
  candles: readonly Candle[],
): string {
  const data = candles.map((candle) => ({
    start: candle.startMs,
    end: candle.endMs,
    interval,
    ...candleValues(spec, candle),
    confirm: candle.confirmed,
    timestamp: tsMs,
  }));
  return JSON.stringify({ topic: `kline.${interval}.${spec.symbol}`, data, ts: tsMs, type: 'snapshot' });
}

export function bookFrame(
  category: Category,
  topic: string,
  type: FrameType,
  tsMs: number,
  data: BookData,
  ctsMs: number,
): string {
  return category === 'linear'
    ? JSON.stringify({ topic, type, ts: tsMs, data, cts: ctsMs })
    : JSON.stringify({ topic, ts: tsMs, type, data, cts: ctsMs });
}

export function tickerFrame(
  category: Category,
  topic: string,
  type: FrameType,
  tsMs: number,
  cs: number,
  data: Readonly<Record<string, string>>,
): string {
  return category === 'linear'
    ? JSON.stringify({ topic, type, data, cs, ts: tsMs })
    : JSON.stringify({ topic, ts: tsMs, type, cs, data });
}
