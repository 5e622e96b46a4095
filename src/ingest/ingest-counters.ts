/** What the worker counts, for the status line, final stats and tests. @module */
import type { RejectionCode } from './rejection-codes.js';

export class IngestCounters {
  framesReceived = 0;
  published = 0;
  /** Updates the bus could not take (Redis down): counted, not retried, except candles (see ChannelPublisher). */
  publishFailures = 0;
  /** Of those, updates held back because this worker's lease on the symbol was not confirmed in time. */
  unownedPublishes = 0;
  readonly rejected = new Map<RejectionCode, number>();
  backfilledCandles = 0;
  backfilledTrades = 0;
  bookResyncs = 0;

  reject(code: RejectionCode): void {
    this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1);
  }

  get rejectedTotal(): number {
    let total = 0;
    for (const count of this.rejected.values()) total += count;
    return total;
  }

  snapshot() {
    return {
      framesReceived: this.framesReceived,
      published: this.published,
      publishFailures: this.publishFailures,
      unownedPublishes: this.unownedPublishes,
      rejected: this.rejectedTotal,
      rejectedByCode: Object.fromEntries(this.rejected),
      backfilledCandles: this.backfilledCandles,
      backfilledTrades: this.backfilledTrades,
      bookResyncs: this.bookResyncs,
    };
  }
}
export type IngestCountersSnapshot = ReturnType<IngestCounters['snapshot']>;
