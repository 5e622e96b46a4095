/**
 * Bybit v5 public topic names, built and parsed in one place so the
 * subscriber and the frame router can never disagree on spelling.
 *
 * Why it is strict: Bybit symbols are upper case and case-sensitive
 * (`orderbook.50.btcusdt` is rejected with "handler not found"), depth 500 no
 * longer exists, and an unknown topic can silently stall the rest of the
 * socket. So builders refuse what Bybit would refuse, and `parseTopic` returns
 * `undefined` for anything tickstream does not route (option depths 25/100,
 * liquidations, ...). Keys are always (category, topic), never symbol alone:
 * that is the caller's job, this module only knows the topic string.
 * @module
 */
import { isTimeframe, ORDERBOOK_DEPTHS, type OrderBookDepth, type Timeframe } from '../../schemas/index.js';

/** The four public streams tickstream consumes, named as in the topic prefix. */
export type BybitStream = 'kline' | 'publicTrade' | 'tickers' | 'orderbook';

export type BybitTopic =
  | { readonly stream: 'kline'; readonly timeframe: Timeframe; readonly symbol: string }
  | { readonly stream: 'publicTrade'; readonly symbol: string }
  | { readonly stream: 'tickers'; readonly symbol: string }
  | { readonly stream: 'orderbook'; readonly depth: OrderBookDepth; readonly symbol: string };

/** Upper-case Bybit symbol (dated futures carry dashes: BTC-26DEC25); same rule as the `Symbol` schema. */
const SYMBOL = /^[A-Z0-9][A-Z0-9-]{0,29}$/;

export function isBybitSymbol(symbol: string): boolean {
  return SYMBOL.test(symbol);
}

export function isOrderBookDepth(depth: number): depth is OrderBookDepth {
  return (ORDERBOOK_DEPTHS as readonly number[]).includes(depth);
}

function checkedSymbol(symbol: string): string {
  if (!SYMBOL.test(symbol)) throw new RangeError(`not a Bybit symbol (upper case expected): ${JSON.stringify(symbol)}`);
  return symbol;
}

/** `kline.{interval}.{symbol}`, e.g. `kline.D.BTCUSDT`. Throws on a malformed symbol. */
export function klineTopic(timeframe: Timeframe, symbol: string): string {
  return `kline.${timeframe}.${checkedSymbol(symbol)}`;
}

/** `publicTrade.{symbol}`. Throws on a malformed symbol. */
export function tradeTopic(symbol: string): string {
  return `publicTrade.${checkedSymbol(symbol)}`;
}

/** `tickers.{symbol}`. Throws on a malformed symbol. */
export function tickerTopic(symbol: string): string {
  return `tickers.${checkedSymbol(symbol)}`;
}

/** `orderbook.{depth}.{symbol}`; depth must be 1, 50, 200 or 1000. Throws otherwise. */
export function orderBookTopic(depth: OrderBookDepth, symbol: string): string {
  if (!isOrderBookDepth(depth)) throw new RangeError(`unsupported order book depth: ${String(depth)}`);
  return `orderbook.${depth}.${checkedSymbol(symbol)}`;
}

/**
 * Parses a topic by splitting on '.', never by prefix matching. Returns
 * undefined for unknown streams, bad symbols, unsupported depths or intervals.
 */
export function parseTopic(topic: string): BybitTopic | undefined {
  const parts = topic.split('.');
  const stream = parts[0];
  if (parts.length === 2) {
    const symbol = parts[1]!;
    if (!SYMBOL.test(symbol)) return undefined;
    if (stream === 'publicTrade') return { stream, symbol };
    if (stream === 'tickers') return { stream, symbol };
    return undefined;
  }
  if (parts.length !== 3) return undefined;
  const middle = parts[1]!;
  const symbol = parts[2]!;
  if (!SYMBOL.test(symbol)) return undefined;
  if (stream === 'kline') {
    return isTimeframe(middle) ? { stream, timeframe: middle, symbol } : undefined;
  }
  if (stream === 'orderbook') {
    if (!/^[1-9]\d*$/.test(middle)) return undefined;
    const depth = Number(middle);
    return isOrderBookDepth(depth) ? { stream, depth, symbol } : undefined;
  }
  return undefined;
}
