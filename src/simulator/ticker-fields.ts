/**
 * Ticker field sets computed from a market model, in Bybit's key order.
 * lastPrice and the 24 h high/low/volume/turnover come from the same trades
 * as the candles (the rolling window is read from the 1 m series), and
 * bid1/ask1 from the same book as the orderbook topics. Linear has the full
 * derivatives set; spot has no bid/ask on the WebSocket (as on Bybit) but REST
 * spot tickers do.
 * @module
 */
import { candleStartMs } from './candle-intervals.js';
import { formatRatio, formatUnits, rescaleUnits } from './fixed-point.js';
import { formatPrice, formatQty } from './instrument-catalog.js';
import { USD_INDEX_SCALE } from './derivatives-state.js';
import type { MarketModel } from './market-model.js';

export type TickerFields = Record<string, string>;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const FUNDING_INTERVAL_MS = 8 * HOUR_MS;

interface Rolling24h {
  prevTicks: number;
  highTicks: number;
  lowTicks: number;
  volumeUnits: bigint;
  turnoverUnits: bigint;
}

/** Rolling 24 h statistics over the 1 m candles (minute resolution). */
function rolling24h(model: MarketModel, nowMs: number): Rolling24h {
  const series = model.candles('1');
  const candles = series.since(candleStartMs('1', nowMs - DAY_MS));
  const stats: Rolling24h = {
    prevTicks: candles[0]?.open ?? model.lastPriceTicks,
    highTicks: model.lastPriceTicks,
    lowTicks: model.lastPriceTicks,
    volumeUnits: 0n,
    turnoverUnits: 0n,
  };
  for (const candle of candles) {
    if (candle.high > stats.highTicks) stats.highTicks = candle.high;
    if (candle.low < stats.lowTicks) stats.lowTicks = candle.low;
    stats.volumeUnits += candle.volumeUnits;
    stats.turnoverUnits += candle.turnoverUnits;
  }
  return stats;
}

function change(lastTicks: number, prevTicks: number, scale: number): string {
  return formatRatio(prevTicks > 0 ? (lastTicks - prevTicks) / prevTicks : 0, scale);
}

export function linearTickerFields(model: MarketModel, nowMs: number): TickerFields {
  const { spec, derivatives, book } = model;
  const stats = rolling24h(model, nowMs);
  const hourAgo = model.candles('1').candleAt(nowMs - HOUR_MS)?.open ?? model.lastPriceTicks;
  const turnoverScale = spec.priceScale + spec.qtyScale;
  const oiUnits = BigInt(derivatives.openInterestUnits);
  const singleOiUnits = BigInt(Math.round(derivatives.openInterestUnits / 2 / spec.qtyStepUnits) * spec.qtyStepUnits);
  const mark = BigInt(derivatives.markUnits);
  const bid = book.levels('bid', 1)[0]!;
  const ask = book.levels('ask', 1)[0]!;
  return {
    symbol: spec.symbol,
    tickDirection: model.tickDirection,
    price24hPcnt: change(model.lastPriceTicks, stats.prevTicks, 6),
    lastPrice: formatPrice(spec, model.lastPriceTicks),
    prevPrice24h: formatPrice(spec, stats.prevTicks),
    highPrice24h: formatPrice(spec, stats.highTicks),
    lowPrice24h: formatPrice(spec, stats.lowTicks),
    prevPrice1h: formatPrice(spec, hourAgo),
    markPrice: formatUnits(derivatives.markUnits, spec.priceScale, 'pad'),
    indexPrice: formatUnits(derivatives.indexUnits, spec.priceScale, 'pad'),
    openInterest: formatQty(spec, oiUnits),
    openInterestValue: formatUnits(rescaleUnits(oiUnits * mark, turnoverScale, 2), 2, 'pad'),
    singleOpenInterest: formatQty(spec, singleOiUnits),
    singleOpenInterestValue: formatUnits(rescaleUnits(singleOiUnits * mark, turnoverScale, 2), 2, 'pad'),
    turnover24h: formatUnits(rescaleUnits(stats.turnoverUnits, turnoverScale, 4), 4, 'pad'),
    volume24h: formatUnits(rescaleUnits(stats.volumeUnits, spec.qtyScale, 4), 4, 'pad'),
    nextFundingTime: String(Math.floor(nowMs / FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS + FUNDING_INTERVAL_MS),
    fundingRate: formatUnits(derivatives.fundingRateE8, 8, 'trim'),
    fundingIntervalHour: '8',
    fundingCap: '0.005',
    bid1Price: formatPrice(spec, bid[0]),
    bid1Size: formatQty(spec, bid[1]),
    ask1Price: formatPrice(spec, ask[0]),
    ask1Size: formatQty(spec, ask[1]),
  };
}

/** The WebSocket spot ticker: snapshot-only, no bid/ask fields. */
export function spotTickerFields(model: MarketModel, nowMs: number): TickerFields {
  const { spec } = model;
  const stats = rolling24h(model, nowMs);
  return {
    symbol: spec.symbol,
    lastPrice: formatPrice(spec, model.lastPriceTicks),
    highPrice24h: formatPrice(spec, stats.highTicks),
    lowPrice24h: formatPrice(spec, stats.lowTicks),
    prevPrice24h: formatPrice(spec, stats.prevTicks),
    volume24h: formatQty(spec, stats.volumeUnits),
    turnover24h: formatUnits(stats.turnoverUnits, spec.priceScale + spec.qtyScale, 'trim'),
    price24hPcnt: change(model.lastPriceTicks, stats.prevTicks, 4),
    usdIndexPrice: formatUnits(model.derivatives.usdIndexUnits, USD_INDEX_SCALE, 'trim'),
  };
}

/** REST /v5/market/tickers row: the WS fields, plus bid/ask for spot (REST spot has them). */
export function restTickerFields(model: MarketModel, nowMs: number): TickerFields {
  if (model.spec.category === 'linear') return linearTickerFields(model, nowMs);
  const { spec, book } = model;
  const bid = book.levels('bid', 1)[0]!;
  const ask = book.levels('ask', 1)[0]!;
  return {
    symbol: spec.symbol,
    bid1Price: formatPrice(spec, bid[0]),
    bid1Size: formatQty(spec, bid[1]),
    ask1Price: formatPrice(spec, ask[0]),
    ask1Size: formatQty(spec, ask[1]),
    ...spotTickerFields(model, nowMs),
  };
}
