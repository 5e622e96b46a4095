/**
 * Channel names: the contract between the worker, the bus and every gateway.
 * Exactly `candles:{SYMBOL}:{TIMEFRAME}`, `trades:{SYMBOL}`, `ticker:{SYMBOL}`,
 * `orderbook:{SYMBOL}`; a deployment-wide prefix is applied by the bus, never here.
 * @module
 */
import { isTimeframe, type SubscriptionType, type Timeframe } from './enums.js';

/** Where the worker announces upstream health (see StatusMessage). */
export const STATUS_CHANNEL = 'status';

export type ChannelRef =
  | { readonly subscription: 'candles'; readonly symbol: string; readonly timeframe: Timeframe }
  | { readonly subscription: 'trades' | 'ticker' | 'orderbook'; readonly symbol: string };

export function candlesChannel(symbol: string, timeframe: Timeframe): string {
  return `candles:${symbol}:${timeframe}`;
}
export function tradesChannel(symbol: string): string {
  return `trades:${symbol}`;
}
export function tickerChannel(symbol: string): string {
  return `ticker:${symbol}`;
}
export function orderBookChannel(symbol: string): string {
  return `orderbook:${symbol}`;
}

export function channelName(ref: ChannelRef): string {
  switch (ref.subscription) {
    case 'candles':
      return candlesChannel(ref.symbol, ref.timeframe);
    case 'trades':
      return tradesChannel(ref.symbol);
    case 'ticker':
      return tickerChannel(ref.symbol);
    case 'orderbook':
      return orderBookChannel(ref.symbol);
  }
}

/** Parses a logical channel name; returns undefined for anything that is not one. */
export function parseChannel(channel: string): ChannelRef | undefined {
  const parts = channel.split(':');
  const [kind, symbol, timeframe] = parts;
  if (!symbol || !/^[A-Z0-9][A-Z0-9-]*$/.test(symbol)) return undefined;
  const subscription = kind as SubscriptionType;
  switch (subscription) {
    case 'candles':
      return parts.length === 3 && timeframe !== undefined && isTimeframe(timeframe)
        ? { subscription, symbol, timeframe }
        : undefined;
    case 'trades':
    case 'ticker':
    case 'orderbook':
      return parts.length === 2 ? { subscription, symbol } : undefined;
    default:
      return undefined;
  }
}
