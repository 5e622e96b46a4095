/**
 * The full order book of one simulated market, deeper than the largest depth
 * Bybit serves (1000). Prices are integer ticks and sizes integer lot units.
 * The book is never crossed: quotes only ever enter strictly inside the
 * opposite best, and moves of the market remove liquidity first. Takers eat
 * levels from the touch, so trades are what moves the price.
 * @module
 */
import type { InstrumentSpec } from './instrument-catalog.js';
import type { SeededRandom } from './seeded-random.js';

export type TakerSide = 'Buy' | 'Sell';
export type BookSide = 'bid' | 'ask';
/** [price ticks, size units] */
export type Level = readonly [number, number];

export interface Fill {
  readonly priceTicks: number;
  readonly qtyUnits: number;
}

/** Levels kept per side: above the 1000 Bybit serves, so depth 1000 always has a full window. */
const LEVELS_PER_SIDE = 1100;
/** Probability that a tick in freshly quoted territory gets a level. */
const FILL_PROBABILITY = 0.85;
/** A move of the touch sweeps at most this many levels as trades; the rest are cancelled. */
const MAX_SWEEP_LEVELS = 6;

export class OrderBookModel {
  private readonly bids = new Map<number, number>();
  private readonly asks = new Map<number, number>();
  private sortedBids: number[] | undefined;
  private sortedAsks: number[] | undefined;

  constructor(
    private readonly spec: InstrumentSpec,
    private readonly rng: SeededRandom,
    midTicks: number,
  ) {
    const bestBid = Math.max(LEVELS_PER_SIDE * 2, Math.floor(midTicks));
    this.fillRange('bid', bestBid, bestBid, true);
    this.fillRange('ask', bestBid + 1, bestBid + 1, true);
    this.extend('bid');
    this.extend('ask');
  }

  bestBid(): number {
    return this.sorted('bid')[0]!;
  }

  bestAsk(): number {
    return this.sorted('ask')[0]!;
  }

  midTicks(): number {
    return (this.bestBid() + this.bestAsk()) / 2;
  }

  sizeAt(side: BookSide, priceTicks: number): number | undefined {
    return this.map(side).get(priceTicks);
  }

  /** The best `count` levels of a side, best first. */
  levels(side: BookSide, count: number): Level[] {
    const map = this.map(side);
    return this.sorted(side)
      .slice(0, count)
      .map((price) => [price, map.get(price)!] as const);
  }

  /** A taker order of `qtyUnits` against the opposite side, walking at most `maxLevels` levels. */
  take(side: TakerSide, qtyUnits: number, maxLevels = 10): Fill[] {
    const bookSide: BookSide = side === 'Buy' ? 'ask' : 'bid';
    const map = this.map(bookSide);
    const fills: Fill[] = [];
    let remaining = qtyUnits;
    for (const price of this.sorted(bookSide).slice(0, Math.min(maxLevels, map.size - 1))) {
      if (remaining <= 0) break;
      const size = map.get(price)!;
      const filled = Math.min(size, remaining);
      fills.push({ priceTicks: price, qtyUnits: filled });
      remaining -= filled;
      if (filled === size) map.delete(price);
      else map.set(price, size - filled);
    }
    this.invalidate(bookSide);
    return fills;
  }

  /**
   * Moves the touch so the mid follows `targetMidTicks`: an aggressive taker
   * sweeps the first levels in the way (those are trades), the rest of the
   * stale quotes are cancelled, and makers quote the newly opened prices.
   */
  moveTo(targetMidTicks: number): { side: TakerSide; fills: Fill[] } | undefined {
    const spread = this.rng.chance(0.8) ? 1 : 2;
    const targetBid = Math.max(spread + 1, Math.floor(targetMidTicks - spread / 2));
    const targetAsk = targetBid + spread;
    const oldBid = this.bestBid();
    const oldAsk = this.bestAsk();
    if (targetAsk > oldAsk) {
      const fills = this.sweep('ask', (price) => price < targetAsk);
      this.fillRange('bid', oldBid + 1, targetBid, false);
      this.fillRange('ask', targetAsk, this.bestAskOr(targetAsk + 1) - 1, false);
      this.ensureTouch('bid', targetBid);
      this.ensureTouch('ask', targetAsk);
      return { side: 'Buy', fills };
    }
    if (targetBid < oldBid) {
      const fills = this.sweep('bid', (price) => price > targetBid);
      this.fillRange('ask', targetAsk, oldAsk - 1, false);
      this.fillRange('bid', this.bestBidOr(targetBid - 1) + 1, targetBid, false);
      this.ensureTouch('bid', targetBid);
      this.ensureTouch('ask', targetAsk);
      return { side: 'Sell', fills };
    }
    return undefined;
  }

  /** Maker activity: resize, cancel or add a few levels, mostly near the touch. */
  perturb(changes: number): void {
    // Indexes are picked from the sorted sides as they were on entry (re-sorting per change is the hot path).
    // The bests are tracked conservatively: a cancel can only make the real best less aggressive.
    const bidPrices = this.sorted('bid');
    const askPrices = this.sorted('ask');
    let bestBid = bidPrices[0]!;
    let bestAsk = askPrices[0]!;
    for (let change = 0; change < changes; change += 1) {
      const side: BookSide = this.rng.chance(0.5) ? 'bid' : 'ask';
      const map = this.map(side);
      const prices = side === 'bid' ? bidPrices : askPrices;
      const index = this.rng.chance(0.75) ? this.rng.int(0, 49) : this.rng.int(50, prices.length - 1);
      const existing = prices[Math.min(index, prices.length - 1)]!;
      const roll = this.rng.next();
      if (roll < 0.6) {
        if (map.has(existing)) map.set(existing, this.levelSize());
      } else if (roll < 0.8) {
        if (map.size > LEVELS_PER_SIDE / 2) map.delete(existing);
      } else if (side === 'bid') {
        const price = bestAsk - 1 - this.rng.int(0, 60);
        if (price > 0 && !map.has(price)) map.set(price, this.levelSize());
        bestBid = Math.max(bestBid, price);
      } else {
        const price = bestBid + 1 + this.rng.int(0, 60);
        if (!map.has(price)) map.set(price, this.levelSize());
        bestAsk = Math.min(bestAsk, price);
      }
    }
    this.invalidate('bid');
    this.invalidate('ask');
    this.extend('bid');
    this.extend('ask');
  }

  /** Refills the far end of both sides after takers and cancels. */
  replenish(): void {
    this.extend('bid');
    this.extend('ask');
  }

  private sweep(side: BookSide, inTheWay: (price: number) => boolean): Fill[] {
    const map = this.map(side);
    const fills: Fill[] = [];
    for (const price of this.sorted(side)) {
      if (!inTheWay(price)) break;
      if (fills.length < MAX_SWEEP_LEVELS) fills.push({ priceTicks: price, qtyUnits: map.get(price)! });
      map.delete(price);
    }
    this.invalidate(side);
    return fills;
  }

  /** Quotes ticks in [from, to] (inclusive; empty when from > to) with the fill probability, or all if `dense`. */
  private fillRange(side: BookSide, from: number, to: number, dense: boolean): void {
    const map = this.map(side);
    for (let price = Math.max(1, from); price <= to; price += 1) {
      if (!map.has(price) && (dense || this.rng.chance(FILL_PROBABILITY))) map.set(price, this.levelSize());
    }
    this.invalidate(side);
  }

  private ensureTouch(side: BookSide, price: number): void {
    const map = this.map(side);
    if (!map.has(price)) {
      map.set(price, this.levelSize());
      this.invalidate(side);
    }
  }

  /** Grows a side outward to LEVELS_PER_SIDE levels and trims it when it grew far beyond. */
  private extend(side: BookSide): void {
    const map = this.map(side);
    const direction = side === 'bid' ? -1 : 1;
    let sorted = this.sorted(side);
    let price = sorted[sorted.length - 1]!;
    while (map.size < LEVELS_PER_SIDE && price + direction > 0) {
      price += direction;
      if (this.rng.chance(FILL_PROBABILITY)) map.set(price, this.levelSize());
    }
    this.invalidate(side);
    if (map.size > LEVELS_PER_SIDE * 1.2) {
      sorted = this.sorted(side);
      for (const stale of sorted.slice(LEVELS_PER_SIDE)) map.delete(stale);
      this.invalidate(side);
    }
  }

  private levelSize(): number {
    const steps = Math.max(1, Math.round((this.spec.typicalLevelUnits * this.rng.logNormal(1)) / this.spec.qtyStepUnits));
    return steps * this.spec.qtyStepUnits;
  }

  private bestAskOr(fallback: number): number {
    return this.asks.size > 0 ? this.bestAsk() : fallback;
  }

  private bestBidOr(fallback: number): number {
    return this.bids.size > 0 ? this.bestBid() : fallback;
  }

  private map(side: BookSide): Map<number, number> {
    return side === 'bid' ? this.bids : this.asks;
  }

  private sorted(side: BookSide): number[] {
    if (side === 'bid') return (this.sortedBids ??= [...this.bids.keys()].sort((a, b) => b - a));
    return (this.sortedAsks ??= [...this.asks.keys()].sort((a, b) => a - b));
  }

  private invalidate(side: BookSide): void {
    if (side === 'bid') this.sortedBids = undefined;
    else this.sortedAsks = undefined;
  }
}
