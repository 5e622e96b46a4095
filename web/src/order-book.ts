/**
 * One market's full order book, kept from the channel's snapshot and its
 * deltas, with the continuity check the protocol asks for: every delta names
 * the updateId it follows (`prevUpdateId`); one that does not follow the book
 * held means a delta was lost, so the book is marked out of sync and deltas
 * are ignored until the next snapshot replaces it. Pure data, no DOM.
 * @module
 */
import type { OrderBookData, PriceLevel } from '../../src/schemas/index.js';

export interface BookLevel {
  readonly price: string;
  readonly size: string;
}

export type BookApplyResult = 'applied' | 'out-of-sync' | 'ignored';

export class OrderBook {
  /** Normalized price → the level as sent (so "100.0" and "100.00" are one level, shown as the exchange wrote it). */
  private readonly bids = new Map<string, BookLevel>();
  private readonly asks = new Map<string, BookLevel>();
  private updateId: number | undefined;
  private inSync = false;

  get synced(): boolean {
    return this.inSync;
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
    this.updateId = undefined;
    this.inSync = false;
  }

  /** A full book (a channel snapshot, or an update with action "snapshot"): replace, and in sync again. */
  replace(book: OrderBookData | null): void {
    this.bids.clear();
    this.asks.clear();
    if (!book) {
      this.updateId = undefined;
      this.inSync = false;
      return;
    }
    setLevels(this.bids, book.bids);
    setLevels(this.asks, book.asks);
    this.updateId = book.updateId;
    this.inSync = true;
  }

  /** A delta: applied only when it follows the book held; a gap puts the book out of sync until the next snapshot. */
  applyDelta(book: OrderBookData): BookApplyResult {
    if (!this.inSync) return 'ignored';
    if (book.prevUpdateId !== this.updateId) {
      this.inSync = false;
      return 'out-of-sync';
    }
    setLevels(this.bids, book.bids);
    setLevels(this.asks, book.asks);
    this.updateId = book.updateId;
    return 'applied';
  }

  /** The best `count` bids, highest first. */
  topBids(count: number): BookLevel[] {
    return top(this.bids, count, (a, b) => b - a);
  }

  /** The best `count` asks, lowest first. */
  topAsks(count: number): BookLevel[] {
    return top(this.asks, count, (a, b) => a - b);
  }
}

/** "100.500" → "100.5", "100.0" → "100": one key per price however it is written. */
function priceKey(price: string): string {
  return price.includes('.') ? price.replace(/\.?0+$/, '') : price;
}

/** Size "0" deletes the level; anything else sets it. */
function setLevels(side: Map<string, BookLevel>, levels: readonly PriceLevel[]): void {
  for (const [price, size] of levels) {
    if (Number(size) === 0) side.delete(priceKey(price));
    else side.set(priceKey(price), { price, size });
  }
}

function top(side: Map<string, BookLevel>, count: number, order: (a: number, b: number) => number): BookLevel[] {
  return [...side.values()]
    .map((level) => ({ level, key: Number(level.price) }))
    .sort((a, b) => order(a.key, b.key))
    .slice(0, count)
    .map(({ level }) => level);
}
