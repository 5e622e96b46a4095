/**
 * Deterministic candles for the time before the simulator started, so a
 * client can backfill `limit=1000` on start-up. History is walked backwards
 * from the live anchor (each candle closes where the next one opens), so it
 * joins the live series with no hole and no jump. It is synthesized per
 * interval: a 5 m history candle is not the aggregate of five 1 m ones.
 * @module
 */
import type { Timeframe } from '../schemas/index.js';
import { candleEndMs, candleStartMs, nominalIntervalMs, previousCandleStartMs } from './candle-intervals.js';
import { LISTING_TIME_MS, TAKER_ORDERS_PER_SECOND, priceToTicks, type InstrumentSpec } from './instrument-catalog.js';
import { SeededRandom } from './seeded-random.js';

export interface Candle {
  readonly startMs: number;
  readonly endMs: number;
  /** Prices in ticks. */
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base volume in lot units (10^-qtyScale). */
  volumeUnits: bigint;
  /** Quote turnover in units of 10^-(priceScale + qtyScale). */
  turnoverUnits: bigint;
  /** Final: the interval has closed on the virtual clock. */
  confirmed: boolean;
}

/** Mean reversion per candle towards the instrument's base price: keeps a long walk plausible. */
const REVERSION = 0.01;

function volumeFor(spec: InstrumentSpec, rng: SeededRandom, durationMs: number): bigint {
  const units = TAKER_ORDERS_PER_SECOND * (durationMs / 1000) * spec.typicalTradeUnits * rng.logNormal(0.4);
  const steps = Math.max(0, Math.round(units / spec.qtyStepUnits));
  return BigInt(steps) * BigInt(spec.qtyStepUnits);
}

function turnoverFor(spec: InstrumentSpec, candle: Candle): bigint {
  const vwapTicks = Math.round((candle.open + candle.high + candle.low + candle.close) / 4);
  return candle.volumeUnits * BigInt(vwapTicks * spec.tickUnits);
}

/** Widens high/low around open/close by a random wick. */
function withWicks(rng: SeededRandom, open: number, close: number, sigma: number): { high: number; low: number } {
  const top = Math.max(open, close);
  const bottom = Math.min(open, close);
  const high = Math.max(top, Math.round(top * Math.exp(Math.abs(rng.normal()) * sigma * 0.4)));
  const low = Math.max(1, Math.min(bottom, Math.round(bottom * Math.exp(-Math.abs(rng.normal()) * sigma * 0.4))));
  return { high, low };
}

/**
 * The part of the anchor candle (the one containing the start time) that
 * "happened" before the simulator started: its open, wicks and volume so far,
 * closing at the model's start price.
 */
export function synthesizeAnchorCandle(
  spec: InstrumentSpec,
  interval: Timeframe,
  seed: number,
  anchorTimeMs: number,
  priceTicks: number,
): Candle {
  const startMs = candleStartMs(interval, anchorTimeMs);
  const elapsedMs = anchorTimeMs - startMs;
  const rng = SeededRandom.derive(seed, spec.category, spec.symbol, interval, 'anchor');
  const sigma = spec.volatilityPerSqrtSec * Math.sqrt(elapsedMs / 1000);
  const open = elapsedMs > 0 ? Math.max(1, Math.round(priceTicks * Math.exp(sigma * rng.normal()))) : priceTicks;
  const { high, low } = elapsedMs > 0 ? withWicks(rng, open, priceTicks, sigma) : { high: open, low: open };
  const candle: Candle = {
    startMs,
    endMs: candleEndMs(interval, startMs),
    open,
    high,
    low,
    close: priceTicks,
    volumeUnits: elapsedMs > 0 ? volumeFor(spec, rng, elapsedMs) : 0n,
    turnoverUnits: 0n,
    confirmed: false,
  };
  candle.turnoverUnits = turnoverFor(spec, candle);
  return candle;
}

/**
 * `count` closed candles before `anchorStartMs`, oldest first, never older
 * than the listing time. The newest one closes at `anchorOpenTicks`.
 */
export function synthesizeHistory(
  spec: InstrumentSpec,
  interval: Timeframe,
  seed: number,
  anchorStartMs: number,
  anchorOpenTicks: number,
  count: number,
): Candle[] {
  const rng = SeededRandom.derive(seed, spec.category, spec.symbol, interval, 'history');
  const sigma = spec.volatilityPerSqrtSec * Math.sqrt(nominalIntervalMs(interval) / 1000);
  const baseLog = Math.log(priceToTicks(spec, spec.basePrice));
  const candles: Candle[] = [];
  let close = anchorOpenTicks;
  let startMs = previousCandleStartMs(interval, anchorStartMs);
  while (candles.length < count && startMs >= LISTING_TIME_MS) {
    // A stationary AR(1) walk reversed in time is the same AR(1): step backwards.
    const closeLog = Math.log(close);
    const openLog = baseLog + (1 - REVERSION) * (closeLog - baseLog) + sigma * rng.normal();
    const open = Math.max(1, Math.round(Math.exp(openLog)));
    const { high, low } = withWicks(rng, open, close, sigma);
    const candle: Candle = {
      startMs,
      endMs: candleEndMs(interval, startMs),
      open,
      high,
      low,
      close,
      volumeUnits: volumeFor(spec, rng, nominalIntervalMs(interval)),
      turnoverUnits: 0n,
      confirmed: true,
    };
    candle.turnoverUnits = turnoverFor(spec, candle);
    candles.push(candle);
    close = open;
    startMs = previousCandleStartMs(interval, startMs);
  }
  return candles.reverse();
}
