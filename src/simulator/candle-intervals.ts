/**
 * Candle boundaries on the UTC calendar, as Bybit aligns them: minute
 * intervals on multiples of their length since the epoch, D at 00:00 UTC,
 * W on Mondays 00:00 UTC, M on the first of the month.
 * @module
 */
import { TIMEFRAMES, type Timeframe } from '../schemas/index.js';

export const KLINE_INTERVALS: readonly Timeframe[] = TIMEFRAMES;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 was a Thursday; the first Monday is four days later. */
const FIRST_MONDAY_MS = 4 * DAY_MS;

/** Length of a fixed interval, or 30 days for M (use nextCandleStartMs for exact months). */
export function nominalIntervalMs(interval: Timeframe): number {
  if (interval === 'D') return DAY_MS;
  if (interval === 'W') return WEEK_MS;
  if (interval === 'M') return 30 * DAY_MS;
  return Number(interval) * MINUTE_MS;
}

/** Start of the candle that contains `timeMs`. */
export function candleStartMs(interval: Timeframe, timeMs: number): number {
  if (interval === 'M') {
    const date = new Date(timeMs);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
  if (interval === 'W') return Math.floor((timeMs - FIRST_MONDAY_MS) / WEEK_MS) * WEEK_MS + FIRST_MONDAY_MS;
  const lengthMs = nominalIntervalMs(interval);
  return Math.floor(timeMs / lengthMs) * lengthMs;
}

/** Start of the candle after the one starting at `startMs`. */
export function nextCandleStartMs(interval: Timeframe, startMs: number): number {
  if (interval === 'M') {
    const date = new Date(startMs);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  }
  return startMs + nominalIntervalMs(interval);
}

/** Start of the candle before the one starting at `startMs`. */
export function previousCandleStartMs(interval: Timeframe, startMs: number): number {
  if (interval === 'M') {
    const date = new Date(startMs);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - 1, 1);
  }
  return startMs - nominalIntervalMs(interval);
}

/** Bybit's `end`: the last millisecond of the candle. */
export function candleEndMs(interval: Timeframe, startMs: number): number {
  return nextCandleStartMs(interval, startMs) - 1;
}
