/**
 * Public topic names the simulator serves, parsed the way Bybit validates
 * them: exact channel names, a Bybit kline interval, a served depth (500 was
 * removed in 2025) and a case-sensitive symbol.
 * @module
 */
import { ORDERBOOK_DEPTHS, isTimeframe, type OrderBookDepth, type Timeframe } from '../schemas/index.js';

export type ParsedTopic =
  | { readonly channel: 'kline'; readonly interval: Timeframe; readonly symbol: string }
  | { readonly channel: 'publicTrade'; readonly symbol: string }
  | { readonly channel: 'tickers'; readonly symbol: string }
  | { readonly channel: 'orderbook'; readonly depth: OrderBookDepth; readonly symbol: string };

function isDepth(value: number): value is OrderBookDepth {
  return (ORDERBOOK_DEPTHS as readonly number[]).includes(value);
}

/** The topic's structure, or undefined when no handler exists for it (symbol not checked here). */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('.');
  const [channel, first, second] = parts;
  if (channel === 'kline' && parts.length === 3 && first !== undefined && second && isTimeframe(first)) {
    return { channel, interval: first, symbol: second };
  }
  if ((channel === 'publicTrade' || channel === 'tickers') && parts.length === 2 && first) {
    return { channel, symbol: first };
  }
  if (channel === 'orderbook' && parts.length === 3 && first !== undefined && /^\d+$/.test(first) && second) {
    const depth = Number(first);
    return isDepth(depth) ? { channel, depth, symbol: second } : undefined;
  }
  return undefined;
}

export function klineTopic(interval: Timeframe, symbol: string): string {
  return `kline.${interval}.${symbol}`;
}

export function tradeTopic(symbol: string): string {
  return `publicTrade.${symbol}`;
}

export function tickerTopic(symbol: string): string {
  return `tickers.${symbol}`;
}

export function bookTopic(depth: OrderBookDepth, symbol: string): string {
  return `orderbook.${depth}.${symbol}`;
}
