/**
 * One ticker channel: Bybit snapshot + sparse deltas merged into the full
 * ticker, published whole on every change, so a client never needs the
 * exchange's base state (deltas before the first snapshot are dropped).
 * @module
 */
import type { BybitDataFrame } from '../exchanges/bybit/bybit-frames.js';
import { TickerMerger } from '../exchanges/bybit/ticker-merger.js';
import { tickerChannel, type TickerUpdate, type UnsequencedUpdate } from '../schemas/index.js';
import { isoNow } from '../shared/time.js';
import type { IngestContext } from './ingest-context.js';

export class TickerStream {
  readonly channel: string;
  private readonly merger: TickerMerger;

  constructor(
    private readonly context: IngestContext,
    readonly symbol: string,
  ) {
    this.channel = tickerChannel(symbol);
    this.merger = new TickerMerger();
  }

  onFrame(frame: BybitDataFrame, receivedAtMs: number): void {
    const ticker = this.merger.apply(frame);
    if (!ticker) {
      this.context.counters.reject('TICKER_DELTA_BEFORE_SNAPSHOT');
      return;
    }
    const update: UnsequencedUpdate<TickerUpdate> = {
      type: 'update',
      subscription: 'ticker',
      channel: this.channel,
      symbol: this.symbol,
      ticker,
      received_at: isoNow(receivedAtMs),
      exchange_ts: frame.ts,
    };
    void this.context.publisher.publish(update);
  }

  /** A new socket sends a fresh snapshot; never merge onto the old state. */
  reset(): void {
    this.merger.reset();
  }
}
