/**
 * Normalized market data: candles, trades, the merged 24 h ticker and order
 * books. Prices and sizes are decimal strings exactly as Bybit sent them.
 * @module
 */
import { Type, type Static, type TOptional, type TString } from '@sinclair/typebox';
import { Symbol, TimestampMs, UnsignedDecimal } from './primitives.js';
import { TradeSideSchema } from './enums.js';

export const CandleDataSchema = Type.Object(
  {
    timestamp: TimestampMs('Candle start (open time), epoch ms'),
    open: UnsignedDecimal(),
    high: UnsignedDecimal(),
    low: UnsignedDecimal(),
    close: UnsignedDecimal('Last trade price while the candle is open'),
    volume: UnsignedDecimal('Base-coin volume (linear, spot)'),
    turnover: UnsignedDecimal('Quote-coin turnover (linear, spot)'),
    confirm: Type.Boolean({ description: 'true once the candle is closed and final' }),
  },
  { $id: 'CandleData', additionalProperties: false },
);
export type CandleData = Static<typeof CandleDataSchema>;

export const TradeDataSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'Exchange trade id (UUID on derivatives, numeric on spot)' }),
    timestamp: TimestampMs('Fill time, epoch ms'),
    price: UnsignedDecimal(),
    size: UnsignedDecimal(),
    side: TradeSideSchema,
    blockTrade: Type.Optional(Type.Boolean({ description: 'Block trade (BT)' })),
    rpi: Type.Optional(Type.Boolean({ description: 'Matched against a Retail-Price-Improvement order; never in the book' })),
  },
  { $id: 'TradeData', additionalProperties: false, description: 'One trade; side is the taker side' },
);
export type TradeData = Static<typeof TradeDataSchema>;

/**
 * Every ticker field Bybit may send, kept as the string it sent. Absent means
 * the market has no such field (spot has no mark price or bid/ask); an empty
 * string is a value ("not applicable", e.g. fundingRate on dated futures).
 */
const TICKER_STRING_FIELDS = [
  'lastPrice',
  'markPrice',
  'indexPrice',
  'highPrice24h',
  'lowPrice24h',
  'prevPrice24h',
  'prevPrice1h',
  'price24hPcnt',
  'volume24h',
  'turnover24h',
  'bid1Price',
  'bid1Size',
  'ask1Price',
  'ask1Size',
  'fundingRate',
  'nextFundingTime',
  'fundingIntervalHour',
  'fundingCap',
  'openInterest',
  'openInterestValue',
  'singleOpenInterest',
  'singleOpenInterestValue',
  'tickDirection',
  'usdIndexPrice',
  'deliveryTime',
  'basis',
  'basisRate',
  'basisRateYear',
  'deliveryFeeRate',
  'predictedDeliveryPrice',
  'preOpenPrice',
  'preQty',
  'curPreListingPhase',
] as const;
export type TickerStringField = (typeof TICKER_STRING_FIELDS)[number];
export const TICKER_FIELDS: readonly TickerStringField[] = TICKER_STRING_FIELDS;

const tickerFieldSchemas = Object.fromEntries(
  TICKER_STRING_FIELDS.map((field) => [field, Type.Optional(Type.String({ maxLength: 64 }))]),
) as Record<TickerStringField, TOptional<TString>>;

export const TickerDataSchema = Type.Object(
  { symbol: Symbol, ...tickerFieldSchemas },
  { $id: 'TickerData', additionalProperties: false, description: 'Merged full 24 h ticker' },
);
export type TickerData = Static<typeof TickerDataSchema>;

/** One price level: [price, size]; in a delta, size "0" deletes the level. */
export const PriceLevelSchema = Type.Tuple([UnsignedDecimal('price'), UnsignedDecimal('size')], { $id: 'PriceLevel' });
export type PriceLevel = Static<typeof PriceLevelSchema>;

export const OrderBookDataSchema = Type.Object(
  {
    bids: Type.Array(PriceLevelSchema, { description: 'Best (highest) first' }),
    asks: Type.Array(PriceLevelSchema, { description: 'Best (lowest) first' }),
    updateId: Type.Integer({ minimum: 0, description: 'Bybit u: +1 per delta of this book' }),
    prevUpdateId: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'updateId of the previous message on this channel (null on a snapshot): a consumer checks continuity with it',
    }),
    seq: Type.Integer({ minimum: 0, description: 'Bybit cross sequence: orders events across streams, not contiguous' }),
    timestamp: TimestampMs('Matching-engine time (cts) if sent, else the push time'),
  },
  { $id: 'OrderBookData', additionalProperties: false },
);
export type OrderBookData = Static<typeof OrderBookDataSchema>;
