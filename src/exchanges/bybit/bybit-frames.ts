/**
 * Raw Bybit v5 public data frames, typed with Bybit's own field names, and the
 * one structural check every frame passes before any logic touches it.
 *
 * Why a hand-written check: frames differ in key order between spot, linear
 * and depth levels, numbers are decimal strings while times are JSON numbers,
 * and `data` is an array for kline/publicTrade but an object for
 * tickers/orderbook. Everything downstream (book, ticker merge, candle
 * tracker) assumes those shapes, so a frame that does not have them is
 * rejected here with a reason instead of throwing deep inside a merge. Only
 * shapes and types are checked; values (decimal syntax, OHLC order, crossed
 * books) are the job of the logic and the published-message validators.
 * @module
 */
import { parseTopic, type BybitTopic } from './bybit-topics.js';

/** One `kline.{interval}.{symbol}` row: the whole candle so far, not an increment. */
export interface BybitKlineRow {
  /** Candle open time, ms: the candle's identity. */
  start: number;
  /** start + interval - 1, ms. */
  end: number;
  interval: string;
  open: string;
  close: string;
  high: string;
  low: string;
  /** Base coin (linear, spot); contracts for inverse. */
  volume: string;
  /** Quote coin (linear, spot); base coin for inverse. */
  turnover: string;
  /** true once the candle is closed and final. */
  confirm: boolean;
  /** Time of the last matched trade in the candle, ms. */
  timestamp: number;
}

/** One `publicTrade.{symbol}` row. */
export interface BybitTradeRow {
  /** Fill time, ms. */
  T: number;
  s: string;
  /** Taker side. */
  S: 'Buy' | 'Sell';
  /** Size. */
  v: string;
  /** Price. */
  p: string;
  /** Tick direction; perps and futures only, absent on spot. */
  L?: string;
  /** Trade id: UUID on derivatives, numeric string on spot. */
  i: string;
  /** Block trade. */
  BT?: boolean;
  /** Matched against a Retail-Price-Improvement order (never in the book). */
  RPI?: boolean;
  /** Cross sequence: shared by many trades, not unique. */
  seq?: number;
}

/**
 * `tickers.{symbol}` data: every value Bybit sends is a string (even
 * `nextFundingTime`); a delta carries only the fields that changed.
 */
export interface BybitTickerData {
  symbol: string;
  [field: string]: unknown;
}

/** `[price, size]`, both decimal strings. */
export type BybitPriceLevel = [price: string, size: string];

/** `orderbook.{depth}.{symbol}` data. */
export interface BybitOrderBookData {
  s: string;
  /** Bids; descending in snapshots. */
  b: BybitPriceLevel[];
  /** Asks; ascending in snapshots. */
  a: BybitPriceLevel[];
  /** Update id: +1 per delta of this (symbol, depth). */
  u: number;
  /** Cross sequence: orders events across streams, not contiguous. Absent on option books. */
  seq?: number;
}

export type BybitFrameData = BybitKlineRow[] | BybitTradeRow[] | BybitTickerData | BybitOrderBookData;

/** The envelope of every public data frame. */
export interface BybitDataFrame<TData extends BybitFrameData = BybitFrameData> {
  topic: string;
  /** kline and publicTrade are always `snapshot`. */
  type: 'snapshot' | 'delta';
  /** When Bybit's push system generated the message, ms. */
  ts: number;
  /** orderbook only: matching-engine time of this book state, ms. */
  cts?: number;
  /** tickers only: cross sequence (monotonic, not contiguous). */
  cs?: number;
  /** option only: message id. */
  id?: string;
  data: TData;
}

type TopicOf<S extends BybitTopic['stream']> = Extract<BybitTopic, { stream: S }>;

/** A frame that passed the structural check, tagged with its parsed topic so a switch on `stream` narrows `data`. */
export type ParsedDataFrame =
  | { readonly ok: true; readonly stream: 'kline'; readonly topic: TopicOf<'kline'>; readonly frame: BybitDataFrame<BybitKlineRow[]> }
  | { readonly ok: true; readonly stream: 'publicTrade'; readonly topic: TopicOf<'publicTrade'>; readonly frame: BybitDataFrame<BybitTradeRow[]> }
  | { readonly ok: true; readonly stream: 'tickers'; readonly topic: TopicOf<'tickers'>; readonly frame: BybitDataFrame<BybitTickerData> }
  | { readonly ok: true; readonly stream: 'orderbook'; readonly topic: TopicOf<'orderbook'>; readonly frame: BybitDataFrame<BybitOrderBookData> };

export interface FrameParseFailure {
  readonly ok: false;
  readonly reason: string;
}

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** ms as a number; a digit string is accepted too (the docs' own examples write `"ts": "1772694601512"`). */
function readMs(value: unknown): number | undefined {
  if (isMs(value)) return value;
  if (typeof value === 'string' && /^\d{1,16}$/.test(value)) {
    const ms = Number(value);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  return undefined;
}

const KLINE_STRINGS = ['interval', 'open', 'close', 'high', 'low', 'volume', 'turnover'] as const;
const KLINE_MS = ['start', 'end', 'timestamp'] as const;

function klineRowProblem(row: unknown, timeframe: string): string | undefined {
  if (!isObject(row)) return 'not an object';
  for (const key of KLINE_MS) if (!isMs(row[key])) return `${key}: expected ms integer`;
  for (const key of KLINE_STRINGS) if (typeof row[key] !== 'string') return `${key}: expected string`;
  if (typeof row.confirm !== 'boolean') return 'confirm: expected boolean';
  if (row.interval !== timeframe) return `interval ${JSON.stringify(row.interval)} does not match topic`;
  return undefined;
}

function tradeRowProblem(row: unknown): string | undefined {
  if (!isObject(row)) return 'not an object';
  if (!isMs(row.T)) return 'T: expected ms integer';
  for (const key of ['s', 'v', 'p', 'i'] as const) if (typeof row[key] !== 'string') return `${key}: expected string`;
  if (row.i === '') return 'i: empty trade id';
  if (row.S !== 'Buy' && row.S !== 'Sell') return 'S: expected "Buy" or "Sell"';
  if (row.L !== undefined && typeof row.L !== 'string') return 'L: expected string';
  if (row.BT !== undefined && typeof row.BT !== 'boolean') return 'BT: expected boolean';
  if (row.RPI !== undefined && typeof row.RPI !== 'boolean') return 'RPI: expected boolean';
  if (row.seq !== undefined && typeof row.seq !== 'number') return 'seq: expected number';
  return undefined;
}

function rowsProblem(data: unknown, check: (row: unknown) => string | undefined): string | undefined {
  if (!Array.isArray(data)) return 'data: expected an array';
  for (let index = 0; index < data.length; index++) {
    const problem = check(data[index]);
    if (problem) return `data[${index}].${problem}`;
  }
  return undefined;
}

function levelsProblem(levels: unknown, side: 'b' | 'a'): string | undefined {
  if (!Array.isArray(levels)) return `data.${side}: expected an array`;
  for (let index = 0; index < levels.length; index++) {
    const level: unknown = levels[index];
    if (!Array.isArray(level) || level.length !== 2 || typeof level[0] !== 'string' || typeof level[1] !== 'string') {
      return `data.${side}[${index}]: expected [price, size] strings`;
    }
  }
  return undefined;
}

/** Structural check of orderbook data; exported because the book re-checks frames it did not get from the parser. */
export function orderBookDataProblem(data: unknown): string | undefined {
  if (!isObject(data)) return 'data: expected an object';
  if (typeof data.s !== 'string') return 'data.s: expected string';
  if (!isMs(data.u)) return 'data.u: expected non-negative integer';
  if (data.seq !== undefined && typeof data.seq !== 'number') return 'data.seq: expected number';
  return levelsProblem(data.b, 'b') ?? levelsProblem(data.a, 'a');
}

function fail(reason: string): FrameParseFailure {
  return { ok: false, reason };
}

/**
 * Checks that `value` (a JSON-parsed message) is a public data frame for a
 * topic tickstream routes, with `data` shaped as that topic requires. Control
 * frames (pong, subscribe acks, errors) are not data frames and fail here:
 * route them before calling this. Never relies on key order.
 */
export function parseDataFrame(value: unknown): ParsedDataFrame | FrameParseFailure {
  if (!isObject(value)) return fail('not a JSON object');
  const { topic: rawTopic, type, data } = value;
  if (typeof rawTopic !== 'string') return fail('topic: expected string (not a data frame)');
  const topic = parseTopic(rawTopic);
  if (!topic) return fail(`unsupported topic ${JSON.stringify(rawTopic)}`);
  if (type !== 'snapshot' && type !== 'delta') return fail('type: expected "snapshot" or "delta"');
  const ts = readMs(value.ts);
  if (ts === undefined) return fail('ts: expected ms timestamp');

  const envelope: Omit<BybitDataFrame, 'data'> = { topic: rawTopic, type, ts };
  if (value.cts !== undefined) {
    const cts = readMs(value.cts);
    if (cts === undefined) return fail('cts: expected ms timestamp');
    envelope.cts = cts;
  }
  if (value.cs !== undefined) {
    if (typeof value.cs !== 'number') return fail('cs: expected number');
    envelope.cs = value.cs;
  }
  if (value.id !== undefined) {
    if (typeof value.id !== 'string') return fail('id: expected string');
    envelope.id = value.id;
  }

  switch (topic.stream) {
    case 'kline': {
      const problem = rowsProblem(data, (row) => klineRowProblem(row, topic.timeframe));
      if (problem) return fail(problem);
      return { ok: true, stream: topic.stream, topic, frame: { ...envelope, data: data as BybitKlineRow[] } };
    }
    case 'publicTrade': {
      // Row `s` is not compared with the topic: option trade topics use the base coin (publicTrade.BTC).
      const problem = rowsProblem(data, tradeRowProblem);
      if (problem) return fail(problem);
      return { ok: true, stream: topic.stream, topic, frame: { ...envelope, data: data as BybitTradeRow[] } };
    }
    case 'tickers': {
      if (!isObject(data)) return fail('data: expected an object');
      if (data.symbol !== topic.symbol) return fail('data.symbol: does not match topic');
      return { ok: true, stream: topic.stream, topic, frame: { ...envelope, data: data as BybitTickerData } };
    }
    case 'orderbook': {
      const problem = orderBookDataProblem(data);
      if (problem) return fail(problem);
      const book = data as BybitOrderBookData;
      if (book.s !== topic.symbol) return fail('data.s: does not match topic');
      return { ok: true, stream: topic.stream, topic, frame: { ...envelope, data: book } };
    }
  }
}
