/**
 * Message envelopes: what the worker publishes on the bus (updates), what a
 * late joiner receives first (snapshots), and the client protocol messages.
 *
 * Every bus payload is one of the `*Update` messages, serialized once; the
 * gateway forwards those bytes to clients unchanged, so the bus message and the
 * client message are the same thing.
 * @module
 */
import { Type, type Static } from '@sinclair/typebox';
import { CandleStatusSchema, SubscriptionTypeSchema, TimeframeSchema } from './enums.js';
import { CandleDataSchema, OrderBookDataSchema, TickerDataSchema, TradeDataSchema } from './market-data.js';
import { ChannelSeq, IsoTime, Symbol, TimestampMs } from './primitives.js';

const Channel = Type.String({ minLength: 1, maxLength: 64, description: 'Logical channel, e.g. candles:BTCUSDT:1 (no prefix)' });
const ReceivedAt = IsoTime('When tickstream received the exchange frame (UTC)');
const ExchangeTs = TimestampMs('Exchange push time (Bybit ts), epoch ms');
/** Where a message's data came from: the live stream or a REST backfill after a (re)connect. */
const DataSource = Type.Union([Type.Literal('stream'), Type.Literal('backfill')], { $id: 'DataSource' });

export const CandleUpdateSchema = Type.Object(
  {
    type: Type.Literal('update'),
    subscription: Type.Literal('candles'),
    channel: Channel,
    symbol: Symbol,
    timeframe: TimeframeSchema,
    candle: CandleDataSchema,
    status: CandleStatusSchema,
    source: DataSource,
    seq: ChannelSeq,
    received_at: ReceivedAt,
    exchange_ts: ExchangeTs,
  },
  { $id: 'CandleUpdate', additionalProperties: false },
);
export type CandleUpdate = Static<typeof CandleUpdateSchema>;

export const TradeUpdateSchema = Type.Object(
  {
    type: Type.Literal('update'),
    subscription: Type.Literal('trades'),
    channel: Channel,
    symbol: Symbol,
    trades: Type.Array(TradeDataSchema, { minItems: 1, description: 'Oldest first' }),
    source: DataSource,
    seq: ChannelSeq,
    received_at: ReceivedAt,
    exchange_ts: ExchangeTs,
  },
  { $id: 'TradeUpdate', additionalProperties: false },
);
export type TradeUpdate = Static<typeof TradeUpdateSchema>;

export const TickerUpdateSchema = Type.Object(
  {
    type: Type.Literal('update'),
    subscription: Type.Literal('ticker'),
    channel: Channel,
    symbol: Symbol,
    ticker: TickerDataSchema,
    seq: ChannelSeq,
    received_at: ReceivedAt,
    exchange_ts: ExchangeTs,
  },
  { $id: 'TickerUpdate', additionalProperties: false },
);
export type TickerUpdate = Static<typeof TickerUpdateSchema>;

export const OrderBookUpdateSchema = Type.Object(
  {
    type: Type.Literal('update'),
    subscription: Type.Literal('orderbook'),
    channel: Channel,
    symbol: Symbol,
    depth: Type.Integer({ minimum: 1, maximum: 1000 }),
    action: Type.Union([Type.Literal('snapshot'), Type.Literal('delta')], {
      description: 'snapshot: replace your book; delta: apply levels (size "0" deletes), after checking book.prevUpdateId',
    }),
    book: OrderBookDataSchema,
    seq: ChannelSeq,
    received_at: ReceivedAt,
    exchange_ts: ExchangeTs,
  },
  { $id: 'OrderBookUpdate', additionalProperties: false },
);
export type OrderBookUpdate = Static<typeof OrderBookUpdateSchema>;

export type MarketUpdate = CandleUpdate | TradeUpdate | TickerUpdate | OrderBookUpdate;
/** An update before the bus stamps its channel sequence number. */
export type UnsequencedUpdate<T extends MarketUpdate = MarketUpdate> = T extends MarketUpdate ? Omit<T, 'seq'> : never;

/* ---------- snapshots: the state a late joiner starts from ---------- */

/** Set on snapshots served from the tickstream simulator instead of the exchange. */
const Simulated = Type.Optional(Type.Boolean({ description: 'true when the data comes from the tickstream simulator' }));
const Reset = Type.Optional(Type.Boolean({ description: 'true when sent instead of a replay the history could no longer serve' }));

const SnapshotSeq = Type.Integer({
  minimum: 0,
  description: 'seq of the last update folded into this snapshot (0: nothing published yet); apply updates with a greater seq',
});

export const CandleSnapshotSchema = Type.Object(
  {
    type: Type.Literal('snapshot'),
    subscription: Type.Literal('candles'),
    channel: Channel,
    symbol: Symbol,
    timeframe: TimeframeSchema,
    candles: Type.Array(CandleDataSchema, { description: 'Oldest first; the last one may be the forming candle' }),
    seq: SnapshotSeq,
    reset: Reset,
    simulated: Simulated,
  },
  { $id: 'CandleSnapshot', additionalProperties: false },
);
export type CandleSnapshot = Static<typeof CandleSnapshotSchema>;

export const TradeSnapshotSchema = Type.Object(
  {
    type: Type.Literal('snapshot'),
    subscription: Type.Literal('trades'),
    channel: Channel,
    symbol: Symbol,
    trades: Type.Array(TradeDataSchema, { description: 'Oldest first' }),
    seq: SnapshotSeq,
    reset: Reset,
    simulated: Simulated,
  },
  { $id: 'TradeSnapshot', additionalProperties: false },
);
export type TradeSnapshot = Static<typeof TradeSnapshotSchema>;

export const TickerSnapshotSchema = Type.Object(
  {
    type: Type.Literal('snapshot'),
    subscription: Type.Literal('ticker'),
    channel: Channel,
    symbol: Symbol,
    ticker: Type.Union([TickerDataSchema, Type.Null()]),
    seq: SnapshotSeq,
    reset: Reset,
    simulated: Simulated,
  },
  { $id: 'TickerSnapshot', additionalProperties: false },
);
export type TickerSnapshot = Static<typeof TickerSnapshotSchema>;

export const OrderBookSnapshotSchema = Type.Object(
  {
    type: Type.Literal('snapshot'),
    subscription: Type.Literal('orderbook'),
    channel: Channel,
    symbol: Symbol,
    depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Levels per side the book holds' })),
    book: Type.Union([OrderBookDataSchema, Type.Null()]),
    seq: SnapshotSeq,
    reset: Reset,
    simulated: Simulated,
  },
  { $id: 'OrderBookSnapshot', additionalProperties: false },
);
export type OrderBookSnapshot = Static<typeof OrderBookSnapshotSchema>;

/* ---------- client protocol ---------- */

export const WebSocketSubscriptionSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('subscribe'), Type.Literal('unsubscribe')]),
    subscription: SubscriptionTypeSchema,
    symbol: Type.String({ minLength: 1, maxLength: 30 }),
    timeframe: Type.Optional(TimeframeSchema),
    since: Type.Optional(Type.Integer({ minimum: 0, description: 'Resume: replay updates with seq > since' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { $id: 'WebSocketSubscription', additionalProperties: false },
);
export type WebSocketSubscription = Static<typeof WebSocketSubscriptionSchema>;

export const SubscriptionResponseSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('subscribed'), Type.Literal('unsubscribed')]),
    success: Type.Boolean(),
    message: Type.String(),
    subscription: SubscriptionTypeSchema,
    symbol: Symbol,
    timeframe: Type.Optional(TimeframeSchema),
    channel: Type.Optional(Channel),
  },
  { $id: 'SubscriptionResponse', additionalProperties: false },
);
export type SubscriptionResponse = Static<typeof SubscriptionResponseSchema>;

export const WebSocketErrorSchema = Type.Object(
  {
    type: Type.Literal('error'),
    code: Type.String({ pattern: '^[A-Z][A-Z0-9_]*$', description: 'Stable error code' }),
    message: Type.String(),
    channel: Type.Optional(Channel),
  },
  { $id: 'WebSocketError', additionalProperties: false },
);
export type WebSocketError = Static<typeof WebSocketErrorSchema>;

export const HeartbeatMessageSchema = Type.Object(
  {
    type: Type.Literal('heartbeat'),
    timestamp: IsoTime(),
  },
  { $id: 'HeartbeatMessage', additionalProperties: false },
);
export type HeartbeatMessage = Static<typeof HeartbeatMessageSchema>;

/** Upstream link states the worker reports. */
export const UpstreamStateSchema = Type.Union(
  [
    Type.Literal('connecting'),
    Type.Literal('live'),
    Type.Literal('disconnected'),
    Type.Literal('stale'),
    Type.Literal('resyncing'),
    Type.Literal('stopped'),
  ],
  { $id: 'UpstreamState' },
);
export type UpstreamState = Static<typeof UpstreamStateSchema>;

/**
 * Upstream health as the worker sees it, published on the `status` channel
 * whenever it changes: the whole link (no `channels`), or named channels that
 * went stale, are resyncing, are being taken over by another worker
 * (`connecting`), were released (`stopped`), or are live again.
 */
export const StatusMessageSchema = Type.Object(
  {
    type: Type.Literal('status'),
    state: UpstreamStateSchema,
    upstream: Type.String({ description: 'e.g. bybit:linear' }),
    channels: Type.Array(Channel, { description: 'Affected channels; empty means the whole upstream link' }),
    reason: Type.Optional(Type.String()),
    simulated: Type.Boolean({ description: 'true when the upstream is the tickstream simulator' }),
    worker: Type.Optional(Type.String({ description: 'Id of the worker that sent it (several workers may share one upstream, each streaming its own symbols)' })),
    timestamp: IsoTime(),
  },
  { $id: 'StatusMessage', additionalProperties: false },
);
export type StatusMessage = Static<typeof StatusMessageSchema>;
