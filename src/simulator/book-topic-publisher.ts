/**
 * One `orderbook.{depth}.{symbol}` topic as the server publishes it: the top-N
 * window last sent, its update id `u`, and the next frame. Deltas carry
 * absolute sizes, "0" for a level that left the window (deleted or pushed out
 * of the top N) and inserts for levels that entered it, so a client applying
 * them holds exactly the server's window. Depth 1 is snapshot-only and is
 * re-sent with the same `u` after 3 s without change. Pushes follow Bybit's
 * per-depth interval (1000 levels: every 200 ms). Every subscriber of the
 * topic sees the same `u` stream; a new subscriber gets a snapshot of the
 * published window and continues with the next delta. Faults (a skipped `u`,
 * a `u:1` restart, a crossed book) are applied here, to the next frame.
 * @module
 */
import type { OrderBookDepth } from '../schemas/index.js';
import { defaultStyle, formatPrice, formatQty, type InstrumentSpec } from './instrument-catalog.js';
import type { Level, OrderBookModel } from './order-book-model.js';
import type { BookData, FrameType, WireLevel } from './wire-frames.js';

export interface BookUpdate {
  readonly type: FrameType;
  readonly data: BookData;
}

/** Level 1 is pushed again, unchanged and with the same u, after this long without change. */
export const LEVEL1_REPEAT_MS = 3000;

/** Bybit's push interval per depth (linear and spot, 2026): changes in between are merged into one delta. */
export const BOOK_PUSH_INTERVAL_MS: Record<OrderBookDepth, number> = { 1: 10, 50: 20, 200: 100, 1000: 200 };
/** Timer jitter tolerated when deciding a push is due. */
const PUSH_SLACK_MS = 5;

export class BookTopicPublisher {
  private u: number;
  private bids: readonly Level[] = [];
  private asks: readonly Level[] = [];
  private lastSentRealMs = 0;
  private lastPushCheckRealMs = Number.NEGATIVE_INFINITY;
  /** No subscriber has been following: the published window is stale. */
  private idle = true;
  private pendingSkip = false;
  private pendingReset = false;
  private pendingCross = false;

  constructor(
    private readonly spec: InstrumentSpec,
    readonly depth: OrderBookDepth,
    initialU: number,
  ) {
    this.u = initialU;
  }

  get updateId(): number {
    return this.u;
  }

  /** The next delta (or level-1 snapshot) for followers, or null if nothing is due. */
  update(book: OrderBookModel, seq: number, realNowMs: number): BookUpdate | null {
    this.idle = false;
    if (realNowMs - this.lastPushCheckRealMs < BOOK_PUSH_INTERVAL_MS[this.depth] - PUSH_SLACK_MS) return null;
    this.lastPushCheckRealMs = realNowMs;
    let bids = book.levels('bid', this.depth);
    const asks = book.levels('ask', this.depth);
    if (this.pendingCross && asks.length > 0) {
      this.pendingCross = false;
      bids = [[asks[0]![0] + 1, bids[0]?.[1] ?? this.spec.typicalLevelUnits] as const, ...bids].slice(0, this.depth);
    }
    if (this.pendingReset) {
      this.pendingReset = false;
      this.pendingSkip = false;
      this.u = 1;
      return this.publish(bids, asks, seq, realNowMs, 'snapshot');
    }
    if (this.depth === 1) {
      if (!sameLevels(this.bids, bids) || !sameLevels(this.asks, asks)) {
        this.advanceU();
        return this.publish(bids, asks, seq, realNowMs, 'snapshot');
      }
      if (realNowMs - this.lastSentRealMs < LEVEL1_REPEAT_MS) return null;
      return this.publish(bids, asks, seq, realNowMs, 'snapshot');
    }
    const b = this.diff(this.bids, bids, (x, y) => y - x);
    const a = this.diff(this.asks, asks, (x, y) => x - y);
    if (b.length === 0 && a.length === 0) return null;
    this.advanceU();
    this.bids = bids;
    this.asks = asks;
    this.lastSentRealMs = realNowMs;
    return { type: 'delta', data: { s: this.spec.symbol, b, a, u: this.u, seq } };
  }

  /** The published window as a snapshot (refreshed first if nobody was following). */
  snapshot(book: OrderBookModel, seq: number, realNowMs: number): BookUpdate {
    if (this.idle) {
      this.idle = false;
      const bids = book.levels('bid', this.depth);
      const asks = book.levels('ask', this.depth);
      if (!sameLevels(this.bids, bids) || !sameLevels(this.asks, asks)) {
        this.u += 1;
        this.bids = bids;
        this.asks = asks;
      }
      this.lastSentRealMs = realNowMs;
    }
    return { type: 'snapshot', data: this.printed(this.bids, this.asks, seq) };
  }

  /** Nobody follows the topic any more: the next snapshot must be refreshed from the book. */
  markIdle(): void {
    this.idle = true;
  }

  skipNextUpdate(): void {
    this.pendingSkip = true;
  }

  resetNextUpdate(): void {
    this.pendingReset = true;
  }

  crossNextUpdate(): void {
    this.pendingCross = true;
  }

  private advanceU(): void {
    this.u += this.pendingSkip ? 2 : 1;
    this.pendingSkip = false;
  }

  private publish(bids: readonly Level[], asks: readonly Level[], seq: number, realNowMs: number, type: FrameType): BookUpdate {
    this.bids = bids;
    this.asks = asks;
    this.lastSentRealMs = realNowMs;
    return { type, data: this.printed(bids, asks, seq) };
  }

  private printed(bids: readonly Level[], asks: readonly Level[], seq: number): BookData {
    return { s: this.spec.symbol, b: bids.map((level) => this.level(level)), a: asks.map((level) => this.level(level)), u: this.u, seq };
  }

  private level([price, size]: Level): WireLevel {
    return [formatPrice(this.spec, price), size === 0 ? '0' : formatQty(this.spec, size, defaultStyle(this.spec))];
  }

  /** Changed and new levels with their absolute size, and "0" for levels gone; in book order. */
  private diff(before: readonly Level[], after: readonly Level[], order: (x: number, y: number) => number): WireLevel[] {
    const old = new Map(before);
    const now = new Map(after);
    const changes: Level[] = [];
    for (const [price, size] of after) if (old.get(price) !== size) changes.push([price, size]);
    for (const [price] of before) if (!now.has(price)) changes.push([price, 0]);
    return changes.sort((x, y) => order(x[0], y[0])).map((level) => this.level(level));
  }
}

function sameLevels(a: readonly Level[], b: readonly Level[]): boolean {
  return a.length === b.length && a.every((level, index) => level[0] === b[index]![0] && level[1] === b[index]![1]);
}
