/**
 * Runtime validation of everything the worker publishes: the JSON Schema check
 * (compiled once) and the semantic rules a schema cannot express (OHLC order,
 * sorted and uncrossed books). A failed check names a stable code and a reason;
 * the caller counts it, logs it once and never publishes the message.
 * @module
 */
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { compareDecimal } from './decimal.js';
import { CandleDataSchema, PriceLevelSchema, TradeDataSchema, type CandleData, type OrderBookData, type PriceLevel, type TradeData } from './market-data.js';
import {
  CandleUpdateSchema,
  OrderBookUpdateSchema,
  TickerUpdateSchema,
  TradeUpdateSchema,
  type UnsequencedUpdate,
} from './messages.js';

/** Stable rejection codes; documented in docs/validation.md. */
export type ValidationCode =
  | 'SCHEMA_VIOLATION'
  | 'CANDLE_OHLC_INCONSISTENT'
  | 'BOOK_NOT_SORTED'
  | 'BOOK_CROSSED';

export type ValidationResult = { readonly ok: true } | { readonly ok: false; readonly code: ValidationCode; readonly reason: string };

const VALID: ValidationResult = { ok: true };

function compileSchema(schema: TSchema) {
  const checker = TypeCompiler.Compile(schema);
  return (value: unknown): ValidationResult => {
    if (checker.Check(value)) return VALID;
    const first = checker.Errors(value).First();
    return { ok: false, code: 'SCHEMA_VIOLATION', reason: `${first?.path || '/'}: ${first?.message ?? 'invalid'}` };
  };
}

/** Compiles an update schema without its `seq`: validation runs before the bus stamps it. */
function compileUnsequenced(schema: TObject) {
  return compileSchema(Type.Omit(schema, ['seq']));
}

const checkCandleData = compileSchema(CandleDataSchema);
const checkTradeData = compileSchema(TradeDataSchema);
const checkPriceLevel = compileSchema(PriceLevelSchema);

/** A candle as normalized from the exchange, before it enters any state. */
export function validateCandleData(candle: CandleData): ValidationResult {
  const schema = checkCandleData(candle);
  return schema.ok ? checkCandleOhlc(candle) : schema;
}

/** A trade as normalized from the exchange. */
export function validateTradeData(trade: TradeData): ValidationResult {
  return checkTradeData(trade);
}

/** Raw book levels before they touch a book: every price and size a decimal string. */
export function validatePriceLevels(levels: unknown): ValidationResult {
  if (!Array.isArray(levels)) return { ok: false, code: 'SCHEMA_VIOLATION', reason: 'levels: not an array' };
  for (let i = 0; i < levels.length; i++) {
    const result = checkPriceLevel(levels[i]);
    if (!result.ok) return { ok: false, code: 'SCHEMA_VIOLATION', reason: `level ${i}: ${result.reason}` };
  }
  return VALID;
}

const checkCandleUpdate = compileUnsequenced(CandleUpdateSchema);
const checkTradeUpdate = compileUnsequenced(TradeUpdateSchema);
const checkTickerUpdate = compileUnsequenced(TickerUpdateSchema);
const checkOrderBookUpdate = compileUnsequenced(OrderBookUpdateSchema);

/** high >= open, close, low and low <= open, close. */
export function checkCandleOhlc(candle: CandleData): ValidationResult {
  const { open, high, low, close } = candle;
  for (const [name, value] of [['open', open], ['close', close], ['low', low]] as const) {
    if (compareDecimal(high, value) < 0) {
      return { ok: false, code: 'CANDLE_OHLC_INCONSISTENT', reason: `high ${high} < ${name} ${value}` };
    }
  }
  for (const [name, value] of [['open', open], ['close', close]] as const) {
    if (compareDecimal(low, value) > 0) {
      return { ok: false, code: 'CANDLE_OHLC_INCONSISTENT', reason: `low ${low} > ${name} ${value}` };
    }
  }
  return VALID;
}

function checkSorted(levels: readonly PriceLevel[], side: 'bids' | 'asks'): ValidationResult {
  const wanted = side === 'bids' ? 1 : -1;
  for (let i = 1; i < levels.length; i++) {
    if (compareDecimal(levels[i - 1]![0], levels[i]![0]) !== wanted) {
      return { ok: false, code: 'BOOK_NOT_SORTED', reason: `${side}[${i}] ${levels[i]![0]} out of order` };
    }
  }
  return VALID;
}

/** A full book: bids strictly descending, asks strictly ascending, best bid < best ask. */
export function checkFullBook(book: Pick<OrderBookData, 'bids' | 'asks'>): ValidationResult {
  const bids = checkSorted(book.bids, 'bids');
  if (!bids.ok) return bids;
  const asks = checkSorted(book.asks, 'asks');
  if (!asks.ok) return asks;
  const bestBid = book.bids[0];
  const bestAsk = book.asks[0];
  if (bestBid && bestAsk && compareDecimal(bestBid[0], bestAsk[0]) >= 0) {
    return { ok: false, code: 'BOOK_CROSSED', reason: `best bid ${bestBid[0]} >= best ask ${bestAsk[0]}` };
  }
  return VALID;
}

/** Validates an update before the bus stamps its seq and publishes it. */
export function validateMarketUpdate(update: UnsequencedUpdate): ValidationResult {
  switch (update.subscription) {
    case 'candles': {
      const schema = checkCandleUpdate(update);
      return schema.ok ? checkCandleOhlc(update.candle) : schema;
    }
    case 'trades':
      return checkTradeUpdate(update);
    case 'ticker':
      return checkTickerUpdate(update);
    case 'orderbook': {
      const schema = checkOrderBookUpdate(update);
      if (!schema.ok) return schema;
      return update.action === 'snapshot' ? checkFullBook(update.book) : VALID;
    }
  }
}
