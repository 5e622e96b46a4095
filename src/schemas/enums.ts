/**
 * Enumerations shared by every message tickstream publishes or accepts.
 * @module
 */
import { Type, type Static } from '@sinclair/typebox';

/** The four kinds of channel tickstream carries. */
export const SUBSCRIPTION_TYPES = ['candles', 'trades', 'ticker', 'orderbook'] as const;
export const SubscriptionTypeSchema = Type.Union(
  SUBSCRIPTION_TYPES.map((value) => Type.Literal(value)),
  { $id: 'SubscriptionType', description: 'Channel kind' },
);
export type SubscriptionType = (typeof SUBSCRIPTION_TYPES)[number];

/** Whether a candle can still change (`ongoing`) or is final (`confirmed`). */
export const CANDLE_STATUSES = ['ongoing', 'confirmed'] as const;
export const CandleStatusSchema = Type.Union(
  CANDLE_STATUSES.map((value) => Type.Literal(value)),
  { $id: 'CandleStatus' },
);
export type CandleStatus = (typeof CANDLE_STATUSES)[number];

/** The `type` tag of every message, on the bus and on client sockets. */
export const MESSAGE_TYPES = [
  'subscribe',
  'unsubscribe',
  'subscribed',
  'unsubscribed',
  'update',
  'snapshot',
  'error',
  'heartbeat',
  'status',
] as const;
export const MessageTypeSchema = Type.Union(
  MESSAGE_TYPES.map((value) => Type.Literal(value)),
  { $id: 'MessageType' },
);
export type MessageType = (typeof MESSAGE_TYPES)[number];

/**
 * Kline intervals Bybit v5 serves, spelled as Bybit spells them: minutes as
 * numbers, then day, week and month.
 */
export const TIMEFRAMES = ['1', '3', '5', '15', '30', '60', '120', '240', '360', '720', 'D', 'W', 'M'] as const;
export const TimeframeSchema = Type.Union(
  TIMEFRAMES.map((value) => Type.Literal(value)),
  { $id: 'Timeframe', description: 'Kline interval: minutes, or D, W, M' },
);
export type Timeframe = (typeof TIMEFRAMES)[number];

export function isTimeframe(value: string): value is Timeframe {
  return (TIMEFRAMES as readonly string[]).includes(value);
}

/** Taker side of a trade. */
export const TradeSideSchema = Type.Union([Type.Literal('Buy'), Type.Literal('Sell')], { $id: 'TradeSide' });
export type TradeSide = Static<typeof TradeSideSchema>;

/** Bybit product families tickstream can connect to. */
export const CATEGORIES = ['linear', 'spot'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Order book depths Bybit serves for linear and spot (500 was removed in 2025). */
export const ORDERBOOK_DEPTHS = [1, 50, 200, 1000] as const;
export type OrderBookDepth = (typeof ORDERBOOK_DEPTHS)[number];
