/**
 * One orderbook channel: Bybit snapshot + deltas in, a never-corrupted book
 * out. The first message after a (re)subscribe, a u=1 restart, or a publish the
 * bus refused is a full snapshot; every other message is a delta carrying its
 * updateId and the previous one, so a consumer can check continuity. A gap or
 * a crossed book invalidates the book: nothing is published until a fresh
 * snapshot arrives through a resync (unsubscribe + subscribe), and if that does
 * not come in time the owner reconnects.
 * @module
 */
import type { BybitDataFrame, BybitOrderBookData } from '../exchanges/bybit/bybit-frames.js';
import { OrderBook } from '../exchanges/bybit/order-book.js';
import { orderBookChannel, validatePriceLevels, type OrderBookData, type OrderBookUpdate, type UnsequencedUpdate } from '../schemas/index.js';
import { isoNow } from '../shared/time.js';
import type { IngestContext } from './ingest-context.js';
import type { RejectionCode } from './rejection-codes.js';

export interface BookStreamHooks {
  /** Ask the connection for a fresh snapshot of this topic. */
  resync(topic: string): void;
}

export class BookStream {
  readonly channel: string;
  private readonly book: OrderBook;
  /** Next publish must be a full snapshot (consumers may have missed a delta). */
  private needsSnapshot = true;
  private invalidSinceMs: number | undefined;

  constructor(
    private readonly context: IngestContext,
    readonly symbol: string,
    readonly depth: number,
    readonly topic: string,
    private readonly hooks: BookStreamHooks,
  ) {
    this.channel = orderBookChannel(symbol);
    this.book = new OrderBook(symbol, depth);
  }

  onFrame(frame: BybitDataFrame, receivedAtMs: number): void {
    const data = frame.data as BybitOrderBookData;
    for (const levels of [data.b, data.a]) {
      const verdict = validatePriceLevels(levels);
      if (!verdict.ok) {
        // A bad level cannot be applied, and skipping it would corrupt the book.
        this.context.publisher.reject(verdict.code, verdict.reason, { channel: this.channel, u: data.u });
        this.invalidate('BOOK_INVALID_LEVEL', verdict.reason);
        return;
      }
    }
    const result = this.book.apply(frame);
    switch (result.kind) {
      case 'snapshot':
        this.invalidSinceMs = undefined;
        this.context.status.channel(this.channel, 'live');
        this.publish('snapshot', result.book, result.book, receivedAtMs, frame.ts);
        return;
      case 'delta':
        if (this.needsSnapshot) this.publish('snapshot', result.book, result.book, receivedAtMs, frame.ts);
        else this.publish('delta', result.delta, result.book, receivedAtMs, frame.ts);
        return;
      case 'ignored':
        return;
      case 'invalid':
        this.context.publisher.reject(result.code, result.reason, { channel: this.channel, u: data.u });
        this.invalidate(result.code, result.reason);
        return;
    }
  }

  /** A new socket: the old book is void; the subscribe brings a snapshot. */
  reset(): void {
    this.book.reset();
    this.needsSnapshot = true;
    this.invalidSinceMs = undefined;
  }

  /** True when a resync has not produced a snapshot within `timeoutMs`: reconnect. */
  resyncOverdue(nowMs: number, timeoutMs: number): boolean {
    return this.invalidSinceMs !== undefined && nowMs - this.invalidSinceMs > timeoutMs;
  }

  current(): OrderBookData | undefined {
    return this.book.isValid() ? this.book.current() : undefined;
  }

  private invalidate(code: RejectionCode, reason: string): void {
    this.book.reset();
    this.needsSnapshot = true;
    if (this.invalidSinceMs !== undefined) return;
    // Real time, not the market clock: this measures how long the resync takes.
    this.invalidSinceMs = Date.now();
    this.context.counters.bookResyncs++;
    this.context.logger.warn({ channel: this.channel, code, reason }, 'order book invalid; resyncing');
    this.context.status.channel(this.channel, 'resyncing', `${code}: ${reason}`);
    this.hooks.resync(this.topic);
  }

  private publish(action: OrderBookUpdate['action'], book: OrderBookData, full: OrderBookData, receivedAtMs: number, exchangeTs: number): void {
    this.needsSnapshot = false;
    const update: UnsequencedUpdate<OrderBookUpdate> = {
      type: 'update',
      subscription: 'orderbook',
      channel: this.channel,
      symbol: this.symbol,
      depth: this.depth,
      action,
      book: action === 'snapshot' ? { ...full, prevUpdateId: null } : book,
      received_at: isoNow(receivedAtMs),
      exchange_ts: exchangeTs,
    };
    void this.context.publisher.publish(update, full).then((outcome) => {
      if (outcome !== 'published') this.needsSnapshot = true;
    });
  }
}
