/**
 * Drops trades already seen, by exchange trade id, with bounded memory.
 *
 * Why: the same trade can reach us more than once: the stream may re-deliver
 * around a reconnect, and the REST recent-trade backfill that fills the
 * outage overlaps what the stream already delivered. The trade id (`i` live,
 * `execId` on REST, the same value) is the only identity: `seq` is shared by
 * many trades and `T` by a whole batch. Memory is capped: the oldest ids are
 * forgotten first, so the capacity must cover the overlap window (the REST
 * endpoint returns at most 1000 trades).
 * @module
 */
import type { TradeData } from '../../schemas/index.js';

export const DEFAULT_TRADE_ID_CAPACITY = 10_000;

export class TradeDeduplicator {
  /** Insertion-ordered: the first entry is the oldest id. */
  private readonly seen = new Set<string>();

  /** @param capacity ids remembered (oldest forgotten first), default 10 000 */
  constructor(private readonly capacity: number = DEFAULT_TRADE_ID_CAPACITY) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** The trades whose id was not seen before (in this call or earlier ones), in their original order. */
  filterNew(trades: readonly TradeData[]): TradeData[] {
    const fresh: TradeData[] = [];
    for (const trade of trades) {
      if (this.seen.has(trade.id)) continue;
      this.remember(trade.id);
      fresh.push(trade);
    }
    return fresh;
  }

  /** Number of ids currently remembered. */
  get size(): number {
    return this.seen.size;
  }

  /** Forget every id. */
  clear(): void {
    this.seen.clear();
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }
}
