/**
 * The seam between the worker and any number of gateways. Two implementations
 * (Redis Pub/Sub in `redis-bus.ts`, in-process in `memory-bus.ts`) pass one
 * contract suite (`test/bus/market-bus.contract.ts`).
 *
 * Besides fan-out, the bus keeps what a late joiner needs, updated atomically
 * with each publish so a snapshot always names the exact `seq` it contains:
 * the last N candles per candles channel (upserted by start time), the last N
 * trades, the current ticker, the current full book, and a bounded history of
 * recent payloads by seq for resuming a client.
 * @module
 */
import type {
  CandleData,
  MarketUpdate,
  OrderBookData,
  StatusMessage,
  TickerData,
  TradeData,
  UnsequencedUpdate,
} from '../schemas/index.js';
import type { Coordination } from './coordination.js';

export interface BusLimits {
  /** Candles kept per candles channel (default 500). */
  readonly candleHistorySize: number;
  /** Trades kept per trades channel (default 500). */
  readonly tradeHistorySize: number;
  /** Published payloads kept per channel for resume-by-seq (default 2000). */
  readonly messageHistorySize: number;
}

export const DEFAULT_BUS_LIMITS: BusLimits = {
  candleHistorySize: 500,
  tradeHistorySize: 500,
  messageHistorySize: 2000,
};

export interface BusOptions {
  /** Prepended to every Redis key and Pub/Sub channel (REDIS_CHANNEL_PREFIX, default ""). */
  readonly prefix: string;
  readonly limits: BusLimits;
}

/** A published update: the object with its seq, and the exact bytes sent. */
export interface PublishedUpdate {
  readonly update: MarketUpdate;
  readonly payload: string;
}

/** What a late joiner starts from; `seq` is the last update folded into it (0: none yet). */
export type ChannelSnapshotData =
  | { readonly subscription: 'candles'; readonly seq: number; readonly candles: readonly CandleData[] }
  | { readonly subscription: 'trades'; readonly seq: number; readonly trades: readonly TradeData[] }
  | { readonly subscription: 'ticker'; readonly seq: number; readonly ticker: TickerData | null }
  | { readonly subscription: 'orderbook'; readonly seq: number; readonly book: OrderBookData | null };

export interface ChannelHistory {
  /** The channel's latest seq. */
  readonly seq: number;
  /** Payloads with seq > since, oldest first. */
  readonly payloads: readonly string[];
  /**
   * true when `payloads` holds every update from since+1 to `seq` with no hole;
   * false when history no longer reaches back that far (send a fresh snapshot).
   */
  readonly complete: boolean;
}

export interface ChannelInfo {
  readonly channel: string;
  readonly seq: number;
  /** When the last update was published, epoch ms. */
  readonly lastPublishedAt: number;
}

export interface BusStats {
  readonly published: number;
  readonly publishErrors: number;
  readonly activeChannels: number;
}

export type BusConnectionState = 'connected' | 'connecting' | 'disconnected';

export type PayloadListener = (payload: string) => void;
export type Unsubscribe = () => Promise<void>;

export interface MarketBus {
  /**
   * Stamps the channel's next seq, serializes once, updates the channel state
   * and history, and publishes. Updates to one channel are applied in call
   * order. `currentBook` is the full book after an orderbook delta (required
   * for deltas, so the stored book matches the seq).
   * Rejects with BusUnavailableError when the transport is down; the seq is
   * then consumed (consumers see a hole, never a reordering).
   */
  publish(update: UnsequencedUpdate, currentBook?: OrderBookData): Promise<PublishedUpdate>;
  /**
   * Puts back confirmed candles the store lost (Redis restarted empty): only
   * candles whose start time is missing are written; nothing is published and
   * no seq is used. Resolves with how many were missing.
   */
  restoreCandles(channel: string, candles: readonly CandleData[]): Promise<number>;
  /** Announces upstream health on the `status` channel and keeps the latest per upstream. */
  publishStatus(status: StatusMessage): Promise<void>;
  /** Listens to a logical channel (no prefix). Resolves once the subscription is active. */
  subscribe(channel: string, listener: PayloadListener): Promise<Unsubscribe>;
  readSnapshot(channel: string, limit?: number): Promise<ChannelSnapshotData>;
  readHistory(channel: string, sinceSeq: number): Promise<ChannelHistory>;
  readLatestStatus(upstream: string): Promise<StatusMessage | null>;
  listChannels(): Promise<ChannelInfo[]>;
  /**
   * The next publish on the channel reads its seq from the store again: another
   * publisher continued the channel while this one did not own it.
   */
  forgetChannel(channel: string): void;
  /**
   * Uses up the channel's next seq without publishing (when seeded; else
   * nothing): an update the publisher had to drop leaves a hole consumers see,
   * as a failed publish does.
   */
  skipSeq(channel: string): void;
  /** Leases, worker registry, symbol demand and instruments (see coordination.ts). */
  readonly coordination: Coordination;
  connectionState(): BusConnectionState;
  /**
   * How many times the connection was lost so far (never decreases): a watcher that polls
   * `connectionState()` learns of an outage shorter than its poll interval.
   */
  connectionLosses(): number;
  stats(): BusStats;
  /** Idempotent. Stops reconnecting and releases connections. */
  close(): Promise<void>;
}

/** The bus transport is down; nothing was published. */
export class BusUnavailableError extends Error {
  readonly code = 'BUS_UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BusUnavailableError';
  }
}
