/**
 * One trades channel: publicTrade frames and REST recent trades in, trade
 * updates out, each trade exactly once (de-duplicated by id across reconnects).
 * While a backfill is in flight, live trades are held back so the channel
 * stays in time order: REST trades older than the first held trade go first,
 * then the held ones (ccxt's gap-fill boundary rule).
 * @module
 */
import type { ChannelSnapshotData } from '../bus/market-bus.js';
import { toTradeData } from '../exchanges/bybit/bybit-mappers.js';
import type { BybitDataFrame, BybitTradeRow } from '../exchanges/bybit/bybit-frames.js';
import type { BybitRestClient } from '../exchanges/bybit/bybit-rest-client.js';
import { TradeDeduplicator } from '../exchanges/bybit/trade-deduplicator.js';
import { tradesChannel, validateTradeData, type TradeData, type TradeUpdate, type UnsequencedUpdate } from '../schemas/index.js';
import { isoNow } from '../shared/time.js';
import type { IngestContext } from './ingest-context.js';

/** Live trades held during a backfill; beyond this the oldest are published unordered rather than held. */
const MAX_HELD_TRADES = 10_000;

interface HeldBatch {
  readonly trades: TradeData[];
  readonly receivedAtMs: number;
  readonly exchangeTs: number;
}

export class TradeStream {
  readonly channel: string;
  private readonly deduplicator = new TradeDeduplicator(20_000);
  private lastTradeMs = 0;
  private held: HeldBatch[] | undefined;
  private heldCount = 0;
  /** Which socket the held trades belong to: only that socket's backfill may release them. */
  private generation = 0;
  /** The newest trade published before the socket dropped: REST trades from here on fill the hole. */
  private boundaryMs = 0;

  constructor(
    private readonly context: IngestContext,
    readonly symbol: string,
  ) {
    this.channel = tradesChannel(symbol);
  }

  onFrame(frame: BybitDataFrame, receivedAtMs: number): void {
    const trades = (frame.data as BybitTradeRow[]).map(toTradeData).filter((trade) => {
      const verdict = validateTradeData(trade);
      if (!verdict.ok) this.context.publisher.reject(verdict.code, verdict.reason, { channel: this.channel, id: trade.id });
      return verdict.ok;
    });
    if (trades.length === 0) return;
    if (this.held && this.heldCount < MAX_HELD_TRADES) {
      this.held.push({ trades, receivedAtMs, exchangeTs: frame.ts });
      this.heldCount += trades.length;
      return;
    }
    this.publish(trades, 'stream', receivedAtMs, frame.ts);
  }

  seed(snapshot: ChannelSnapshotData): void {
    if (snapshot.subscription !== 'trades') return;
    this.deduplicator.filterNew([...snapshot.trades]);
    for (const trade of snapshot.trades) this.lastTradeMs = Math.max(this.lastTradeMs, trade.timestamp);
  }

  /** Call when a socket opens, before its subscribe: live trades wait for that socket's backfill. */
  holdLiveTrades(generation: number): void {
    this.generation = generation;
    this.held ??= [];
    this.boundaryMs = this.lastTradeMs;
  }

  async backfill(rest: BybitRestClient, generation: number): Promise<number> {
    let published = 0;
    try {
      const recent = await rest.fetchRecentTrades(this.symbol);
      // A newer socket took over while REST answered: its own backfill covers this.
      if (generation !== this.generation) return 0;
      const firstHeldMs = this.held?.[0]?.trades[0]?.timestamp ?? Number.POSITIVE_INFINITY;
      const missed = recent.filter((trade) => trade.timestamp >= this.boundaryMs && trade.timestamp <= firstHeldMs && validateTradeData(trade).ok);
      const nowMs = this.context.now();
      published = this.publish(missed, 'backfill', nowMs, missed.at(-1)?.timestamp ?? nowMs);
      this.context.counters.backfilledTrades += published;
    } finally {
      this.releaseHeld(generation);
    }
    return published;
  }

  /** Publishes what was held for `generation` (also when its backfill failed: live data must not wait forever). */
  releaseHeld(generation: number): void {
    if (generation !== this.generation) return;
    const held = this.held ?? [];
    this.held = undefined;
    this.heldCount = 0;
    for (const batch of held) this.publish(batch.trades, 'stream', batch.receivedAtMs, batch.exchangeTs);
  }

  private publish(trades: readonly TradeData[], source: TradeUpdate['source'], receivedAtMs: number, exchangeTs: number): number {
    const fresh = this.deduplicator.filterNew([...trades]);
    if (fresh.length === 0) return 0;
    for (const trade of fresh) this.lastTradeMs = Math.max(this.lastTradeMs, trade.timestamp);
    const update: UnsequencedUpdate<TradeUpdate> = {
      type: 'update',
      subscription: 'trades',
      channel: this.channel,
      symbol: this.symbol,
      trades: fresh,
      source,
      received_at: isoNow(receivedAtMs),
      exchange_ts: exchangeTs,
    };
    void this.context.publisher.publish(update);
    return fresh.length;
  }
}
