/**
 * The REST endpoints a client needs around the streams: instruments (symbol
 * validation, paged on linear), kline (backfill; the same candles the stream
 * sent), tickers, recent trades and the order book, in Bybit's envelope.
 * Parameter errors answer retCode 10001 like Bybit.
 * @module
 */
import { CATEGORIES, isTimeframe, type Category } from '../schemas/index.js';
import { formatPrice, formatQty, qtyStepText, tickSizeText, LISTING_TIME_MS } from './instrument-catalog.js';
import type { MarketFeed } from './market-feed.js';
import { restTickerFields } from './ticker-fields.js';
import { candleRow } from './wire-frames.js';

export interface RestResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Bybit's parameter-error code. */
export const PARAM_ERROR = 10001;

const ok = (result: unknown, nowMs: number): RestResponse => ({
  status: 200,
  body: { retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: nowMs },
});

const fail = (message: string, nowMs: number): RestResponse => ({
  status: 200,
  body: { retCode: PARAM_ERROR, retMsg: message, result: {}, retExtInfo: {}, time: nowMs },
});

class ParamError extends Error {}

function category(params: URLSearchParams, fallback?: Category): Category {
  const value = params.get('category') ?? fallback;
  if (value === undefined || value === '') throw new ParamError('params error: category is required');
  if (!(CATEGORIES as readonly string[]).includes(value)) throw new ParamError(`params error: category ${value} is not served by the simulator`);
  return value as Category;
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number, clamp = false): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new ParamError(`params error: ${name} invalid`);
  if (clamp) return Math.min(max, Math.max(min, value));
  if (value < min || value > max) throw new ParamError(`params error: ${name} out of range [${min}, ${max}]`);
  return value;
}

function optionalTime(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ParamError(`params error: ${name} invalid`);
  return value;
}

function requiredSymbol(params: URLSearchParams, feed: MarketFeed, cat: Category) {
  const symbol = params.get('symbol');
  if (symbol === null || symbol === '') throw new ParamError('params error: symbol is required');
  const model = feed.model(cat, symbol);
  if (model === undefined) throw new ParamError('Not supported symbols');
  return model;
}

/** Opaque paging cursor, like Bybit's: an offset into the sorted list. */
const encodeCursor = (offset: number): string => Buffer.from(`offset=${offset}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const match = /^offset=(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null) throw new ParamError('params error: cursor invalid');
  return Number(match[1]);
}

function instrumentRow(feed: MarketFeed, cat: Category, symbol: string): Record<string, unknown> {
  const spec = feed.model(cat, symbol)!.spec;
  const minQty = qtyStepText(spec);
  if (cat === 'spot') {
    return {
      symbol,
      baseCoin: spec.baseCoin,
      quoteCoin: spec.quoteCoin,
      innovation: '0',
      status: 'Trading',
      marginTrading: 'utaOnly',
      stTag: '0',
      lotSizeFilter: { basePrecision: minQty, quotePrecision: '0.00000001', minOrderQty: minQty, maxOrderQty: '1000000', minOrderAmt: '5', maxOrderAmt: '8000000' },
      priceFilter: { tickSize: tickSizeText(spec) },
      riskParameters: { priceLimitRatioX: '0.005', priceLimitRatioY: '0.01' },
    };
  }
  return {
    symbol,
    contractType: 'LinearPerpetual',
    status: 'Trading',
    baseCoin: spec.baseCoin,
    quoteCoin: spec.quoteCoin,
    launchTime: String(LISTING_TIME_MS),
    deliveryTime: '0',
    deliveryFeeRate: '',
    priceScale: String(spec.priceScale),
    leverageFilter: { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' },
    priceFilter: { minPrice: tickSizeText(spec), maxPrice: formatPrice(spec, 199_999_980), tickSize: tickSizeText(spec) },
    lotSizeFilter: {
      maxOrderQty: formatQty(spec, 1_190_000 * spec.qtyStepUnits),
      minOrderQty: minQty,
      qtyStep: minQty,
      postOnlyMaxOrderQty: formatQty(spec, 1_190_000 * spec.qtyStepUnits),
      maxMktOrderQty: formatQty(spec, 500_000 * spec.qtyStepUnits),
      minNotionalValue: '5',
    },
    unifiedMarginTrade: true,
    fundingInterval: 480,
    settleCoin: spec.quoteCoin,
    copyTrading: 'both',
    upperFundingRate: '0.005',
    lowerFundingRate: '-0.005',
    isPreListing: false,
    preListingInfo: null,
  };
}

function instruments(params: URLSearchParams, feed: MarketFeed, nowMs: number): RestResponse {
  const cat = category(params);
  const symbol = params.get('symbol');
  const status = params.get('status');
  let symbols = [...feed.symbols(cat)].sort();
  if (symbol !== null && symbol !== '') symbols = symbols.filter((s) => s === symbol);
  if (status !== null && status !== '' && status !== 'Trading') symbols = [];
  if (cat === 'spot') return ok({ category: cat, list: symbols.map((s) => instrumentRow(feed, cat, s)), nextPageCursor: '' }, nowMs);
  const limit = intParam(params, 'limit', 500, 1, 1000);
  const cursor = params.get('cursor');
  const offset = cursor === null || cursor === '' ? 0 : decodeCursor(cursor);
  const page = symbols.slice(offset, offset + limit);
  const nextPageCursor = offset + limit < symbols.length ? encodeCursor(offset + limit) : '';
  return ok({ category: cat, list: page.map((s) => instrumentRow(feed, cat, s)), nextPageCursor }, nowMs);
}

function kline(params: URLSearchParams, feed: MarketFeed, nowMs: number): RestResponse {
  const cat = category(params, 'linear');
  const model = requiredSymbol(params, feed, cat);
  const interval = params.get('interval') ?? '';
  if (!isTimeframe(interval)) throw new ParamError('Invalid period!');
  const limit = intParam(params, 'limit', 200, 1, 1000, true);
  const startMs = optionalTime(params, 'start');
  const endMs = optionalTime(params, 'end') ?? nowMs;
  const rows = model.candles(interval).query(startMs, endMs, limit).map((candle) => candleRow(model.spec, candle));
  return ok({ symbol: model.spec.symbol, category: cat, list: rows }, nowMs);
}

function tickers(params: URLSearchParams, feed: MarketFeed, nowMs: number): RestResponse {
  const cat = category(params);
  const symbol = params.get('symbol');
  const symbols = symbol !== null && symbol !== '' ? [requiredSymbol(params, feed, cat).spec.symbol] : feed.symbols(cat);
  return ok({ category: cat, list: symbols.map((s) => restTickerFields(feed.model(cat, s)!, nowMs)) }, nowMs);
}

function recentTrades(params: URLSearchParams, feed: MarketFeed, nowMs: number): RestResponse {
  const cat = category(params);
  const model = requiredSymbol(params, feed, cat);
  const limit = cat === 'spot' ? intParam(params, 'limit', 60, 1, 60) : intParam(params, 'limit', 500, 1, 1000);
  const list = model.recentTrades(limit).map((trade) => ({
    execId: trade.id,
    symbol: model.spec.symbol,
    price: formatPrice(model.spec, trade.priceTicks),
    size: formatQty(model.spec, trade.qtyUnits),
    side: trade.side,
    time: String(trade.timeMs),
    isBlockTrade: false,
    isRPITrade: false,
    seq: String(trade.seq),
  }));
  return ok({ category: cat, list }, nowMs);
}

function orderBook(params: URLSearchParams, feed: MarketFeed, nowMs: number): RestResponse {
  const cat = category(params);
  const model = requiredSymbol(params, feed, cat);
  const limit = intParam(params, 'limit', cat === 'spot' ? 1 : 25, 1, 1000);
  // REST `u` belongs to the 1000-level stream, as on Bybit.
  const { snapshot } = feed.restBook(cat, model.spec.symbol, 1000)!;
  const { s, b, a, u, seq } = snapshot.data;
  return ok({ s, b: b.slice(0, limit), a: a.slice(0, limit), ts: nowMs, u, seq, cts: model.bookTimeMs }, nowMs);
}

function serverTime(nowMs: number): RestResponse {
  return ok({ timeSecond: String(Math.floor(nowMs / 1000)), timeNano: `${nowMs}000000` }, nowMs);
}

const ROUTES: Record<string, (params: URLSearchParams, feed: MarketFeed, nowMs: number) => RestResponse> = {
  '/v5/market/instruments-info': instruments,
  '/v5/market/kline': kline,
  '/v5/market/tickers': tickers,
  '/v5/market/recent-trade': recentTrades,
  '/v5/market/orderbook': orderBook,
  '/v5/market/time': (_params, _feed, nowMs) => serverTime(nowMs),
};

/** Answers a GET on a market path, or undefined when the path is not one. */
export function marketRoute(pathname: string, params: URLSearchParams, feed: MarketFeed, nowMs: number): RestResponse | undefined {
  const route = ROUTES[pathname];
  if (route === undefined) return undefined;
  try {
    return route(params, feed, nowMs);
  } catch (error) {
    if (error instanceof ParamError) return fail(error.message, nowMs);
    throw error;
  }
}
