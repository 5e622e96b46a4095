/**
 * Maps Bybit rows (WebSocket and REST) onto tickstream's normalized candle and
 * trade types, and does the candle-time arithmetic both need.
 *
 * Why here: the same candle or trade reaches us twice, live and from a REST
 * backfill after a reconnect, in different shapes (REST kline rows are
 * positional string arrays, newest first; REST trades say `execId`, not `i`).
 * Both paths must produce byte-identical normalized values so the tracker and
 * the deduplicator can merge them. Prices and sizes are copied as the exact
 * strings Bybit sent, never parsed. Time is always passed in: nothing here
 * reads a clock.
 * @module
 */
import { isDecimalString, type CandleData, type Timeframe, type TradeData } from '../../schemas/index.js';
import type { BybitKlineRow, BybitTradeRow } from './bybit-frames.js';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** 1970-01-01 was a Thursday: days since epoch + 3 = days since the previous Monday (mod 7). */
const EPOCH_DAY_AFTER_MONDAY = 3;

/** One row of `GET /v5/market/recent-trade` `result.list`, named as Bybit names it. */
export interface BybitRestTradeRow {
  execId: string;
  symbol: string;
  price: string;
  size: string;
  side: 'Buy' | 'Sell';
  /** Fill time, ms, as a string. */
  time: string;
  isBlockTrade: boolean;
  isRPITrade?: boolean;
  /** Cross sequence, as a string. */
  seq?: string;
}

/** A live kline row as a candle; the candle is identified by its open time (`start`). */
export function toCandleData(row: BybitKlineRow): CandleData {
  return {
    timestamp: row.start,
    open: row.open,
    high: row.high,
    low: row.low,
    close: row.close,
    volume: row.volume,
    turnover: row.turnover,
    confirm: row.confirm,
  };
}

function msFromString(value: unknown, what: string): number {
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) throw new TypeError(`${what}: expected ms as a digit string, got ${JSON.stringify(value)}`);
  const ms = Number(value);
  if (!Number.isSafeInteger(ms)) throw new TypeError(`${what}: out of range: ${value}`);
  return ms;
}

function decimalAt(row: readonly unknown[], index: number, what: string): string {
  const value = row[index];
  if (typeof value !== 'string' || !isDecimalString(value)) throw new TypeError(`${what}: expected a decimal string, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * One REST kline row `[startTime, open, high, low, close, volume, turnover]`
 * (all strings) as a candle. REST returns the still-open candle too, so it is
 * confirmed only if it has ended by `nowMs`: `start + intervalMs <= nowMs`.
 * For `M`, pass the length of that row's month (`timeframeToMs('M', start)`),
 * or use `restKlineRowsToCandles`. Throws TypeError on a malformed row.
 */
export function restKlineRowToCandle(row: readonly unknown[], intervalMs: number, nowMs: number): CandleData {
  if (row.length < 7) throw new TypeError(`REST kline row: expected 7 fields, got ${row.length}`);
  const start = msFromString(row[0], 'REST kline startTime');
  return {
    timestamp: start,
    open: decimalAt(row, 1, 'REST kline open'),
    high: decimalAt(row, 2, 'REST kline high'),
    low: decimalAt(row, 3, 'REST kline low'),
    close: decimalAt(row, 4, 'REST kline close'),
    volume: decimalAt(row, 5, 'REST kline volume'),
    turnover: decimalAt(row, 6, 'REST kline turnover'),
    confirm: start + intervalMs <= nowMs,
  };
}

/**
 * A whole REST `result.list` (newest first) as candles oldest first, one per
 * start, each with its own interval length (months differ). Throws TypeError
 * on a malformed row.
 */
export function restKlineRowsToCandles(rows: readonly (readonly unknown[])[], timeframe: Timeframe, nowMs: number): CandleData[] {
  const byStart = new Map<number, CandleData>();
  for (const row of rows) {
    const start = msFromString(row[0], 'REST kline startTime');
    if (byStart.has(start)) continue;
    byStart.set(start, restKlineRowToCandle(row, timeframeToMs(timeframe, start), nowMs));
  }
  return [...byStart.values()].sort((a, b) => a.timestamp - b.timestamp);
}

/** A live trade row as a trade; `side` is the taker side. */
export function toTradeData(row: BybitTradeRow): TradeData {
  const trade: TradeData = { id: row.i, timestamp: row.T, price: row.p, size: row.v, side: row.S };
  if (row.BT !== undefined) trade.blockTrade = row.BT;
  if (row.RPI !== undefined) trade.rpi = row.RPI;
  return trade;
}

/** A REST recent-trade row as a trade, identical to the live one (`execId` is the live `i`). Throws TypeError on a malformed row. */
export function restTradeToTradeData(row: BybitRestTradeRow): TradeData {
  if (typeof row.execId !== 'string' || row.execId === '') throw new TypeError('REST trade execId: expected a non-empty string');
  if (row.side !== 'Buy' && row.side !== 'Sell') throw new TypeError(`REST trade side: unexpected ${JSON.stringify(row.side)}`);
  if (typeof row.price !== 'string' || typeof row.size !== 'string') throw new TypeError('REST trade price/size: expected strings');
  const trade: TradeData = {
    id: row.execId,
    timestamp: msFromString(row.time, 'REST trade time'),
    price: row.price,
    size: row.size,
    side: row.side,
  };
  if (typeof row.isBlockTrade === 'boolean') trade.blockTrade = row.isBlockTrade;
  if (typeof row.isRPITrade === 'boolean') trade.rpi = row.isRPITrade;
  return trade;
}

function floorTo(timeMs: number, stepMs: number): number {
  return Math.floor(timeMs / stepMs) * stepMs;
}

function checkTime(timeMs: number): void {
  if (!Number.isFinite(timeMs)) throw new RangeError(`not a time: ${timeMs}`);
}

/**
 * Open time (ms, UTC) of the candle of timeframe `tf` that contains `timeMs`.
 * Minute intervals and D align to the epoch (every interval divides a day),
 * W starts Monday 00:00 UTC, M the 1st of the month 00:00 UTC.
 */
export function candleStartFor(tf: Timeframe, timeMs: number): number {
  checkTime(timeMs);
  switch (tf) {
    case 'D':
      return floorTo(timeMs, DAY_MS);
    case 'W': {
      const day = Math.floor(timeMs / DAY_MS);
      const daysSinceMonday = (((day + EPOCH_DAY_AFTER_MONDAY) % 7) + 7) % 7;
      return (day - daysSinceMonday) * DAY_MS;
    }
    case 'M': {
      const date = new Date(timeMs);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    }
    case '1':
    case '3':
    case '5':
    case '15':
    case '30':
    case '60':
    case '120':
    case '240':
    case '360':
    case '720':
      return floorTo(timeMs, Number(tf) * MINUTE_MS);
  }
}

/**
 * Length of one candle in ms. W is 7 days. M is a calendar month, so it needs
 * `atMs`: the result is the length of the UTC month containing `atMs` (28 to
 * 31 days); `timeframeToMs('M')` without it throws RangeError rather than
 * guess.
 */
export function timeframeToMs(tf: Timeframe, atMs?: number): number {
  switch (tf) {
    case 'D':
      return DAY_MS;
    case 'W':
      return WEEK_MS;
    case 'M': {
      if (atMs === undefined) throw new RangeError('timeframeToMs("M") needs atMs: months differ in length');
      const start = candleStartFor('M', atMs);
      const date = new Date(start);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) - start;
    }
    case '1':
    case '3':
    case '5':
    case '15':
    case '30':
    case '60':
    case '120':
    case '240':
    case '360':
    case '720':
      return Number(tf) * MINUTE_MS;
  }
}
