/**
 * One local order book for one Bybit topic `orderbook.{depth}.{symbol}`,
 * maintained from snapshot + delta frames, refusing to produce output once it
 * can no longer be trusted.
 *
 * Why it is this strict: a book that silently misses one delta is wrong
 * forever, and a wrong book published to browsers looks plausible. So:
 * - every snapshot resets (Bybit re-sends one whenever it has a problem;
 *   `u === 1` means the service restarted);
 * - every delta must have `u === lastU + 1`, otherwise the book is invalid
 *   (gap) and stays silent until the next snapshot: the caller resyncs
 *   (unsubscribe + subscribe, or reconnect);
 * - after every change, best bid >= best ask means the book is invalid
 *   (crossed);
 * - level 1 is snapshot-only and re-sent with the same `u` when nothing
 *   changed: that repeat is ignored, not a gap.
 * Sizes are absolute; a size equal to zero as a decimal ("0", "0.000")
 * deletes; prices are compared as exact decimals ("75848.4" is "75848.40"),
 * never as floats. Bids stay sorted descending and asks ascending by binary
 * search insertion (no re-sort per delta, so depth 1000 stays cheap). The
 * server maintains the top-N window, so nothing is trimmed or padded here.
 * One instance per (category, depth, symbol): books of different depths are
 * never shared (ccxt PR #29047 produced crossed books that way), and this
 * class refuses frames of a second topic. Results are read-only: a returned
 * book shares its `[price, size]` tuples with the state (the state replaces
 * tuples, never mutates them, so results already handed out stay correct).
 * @module
 */
import { compareDecimal, isDecimalString, isZeroDecimal, type OrderBookData, type PriceLevel } from '../../schemas/index.js';
import { orderBookDataProblem, type BybitDataFrame, type BybitOrderBookData, type BybitPriceLevel } from './bybit-frames.js';
import { parseTopic } from './bybit-topics.js';

export type BookInvalidCode = 'BOOK_GAP' | 'BOOK_CROSSED';
export type BookIgnoredReason = 'before-snapshot' | 'repeat' | 'invalid';

export type BookApplyResult =
  /** The book was replaced; `book.prevUpdateId` is null. */
  | { readonly kind: 'snapshot'; readonly book: OrderBookData }
  /** `delta` holds only the changed levels (size "0" = delete); `book` is the full book after applying. */
  | { readonly kind: 'delta'; readonly delta: OrderBookData; readonly book: OrderBookData }
  /** Nothing changed and nothing is to be published. */
  | { readonly kind: 'ignored'; readonly reason: BookIgnoredReason }
  /** The book just became invalid and stays silent until the next snapshot: resync. */
  | { readonly kind: 'invalid'; readonly reason: string; readonly code: BookInvalidCode };

type Side = 'bids' | 'asks';

/** Published delete size: the schema's documented "size 0 deletes". */
const DELETE_SIZE = '0';

function isUnsignedDecimal(value: string): boolean {
  return isDecimalString(value) && !value.startsWith('-');
}

/** < 0 when price `a` sorts before `b` on this side (bids: higher first; asks: lower first). */
function sideOrder(side: Side, a: string, b: string): number {
  return side === 'bids' ? compareDecimal(b, a) : compareDecimal(a, b);
}

/** Index of `price` in a sorted side, or -(insertion point) - 1. */
function search(levels: readonly PriceLevel[], side: Side, price: string): number {
  let low = 0;
  let high = levels.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = sideOrder(side, levels[middle]![0], price);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -low - 1;
}

function levelsProblem(levels: readonly BybitPriceLevel[], name: 'b' | 'a'): string | undefined {
  for (let index = 0; index < levels.length; index++) {
    const [price, size] = levels[index]!;
    if (!isUnsignedDecimal(price) || !isUnsignedDecimal(size)) return `data.${name}[${index}]: not a non-negative decimal`;
  }
  return undefined;
}

/** Sorted, one level per price (the last one sent wins), without the given sizes filtered out. */
function sortedUnique(levels: readonly PriceLevel[], side: Side): PriceLevel[] {
  const sorted = levels.map((level, index) => ({ level, index }));
  sorted.sort((x, y) => sideOrder(side, x.level[0], y.level[0]) || x.index - y.index);
  const result: PriceLevel[] = [];
  for (const { level } of sorted) {
    const last = result.at(-1);
    if (last && compareDecimal(last[0], level[0]) === 0) result[result.length - 1] = level;
    else result.push(level);
  }
  return result;
}

/** True when every price is strictly after the previous one on this side. */
function isStrictlySorted(levels: readonly BybitPriceLevel[], side: Side): boolean {
  for (let index = 1; index < levels.length; index++) {
    if (sideOrder(side, levels[index - 1]![0], levels[index]![0]) >= 0) return false;
  }
  return true;
}

function snapshotSide(levels: readonly BybitPriceLevel[], side: Side): PriceLevel[] {
  const present = levels.filter((level) => !isZeroDecimal(level[1])).map(([price, size]): PriceLevel => [price, size]);
  return isStrictlySorted(present, side) ? present : sortedUnique(present, side);
}

export class OrderBook {
  private topic: string | undefined;
  private depth: number | undefined;
  private bids: PriceLevel[] = [];
  private asks: PriceLevel[] = [];
  private state: 'empty' | 'valid' | 'invalid' = 'empty';
  private lastUpdateId = 0;
  private lastSeq = 0;
  private lastTimestampMs = 0;

  /**
   * @param symbol and @param depth name the topic this book accepts
   * (`orderbook.{depth}.{symbol}`); when omitted, the first frame's topic is
   * taken, and the depth read from it.
   */
  constructor(symbol?: string, depth?: number) {
    this.depth = depth;
    if (symbol !== undefined && depth !== undefined) this.topic = `orderbook.${depth}.${symbol}`;
  }

  /**
   * Applies one frame of this book's topic. Throws if the frame belongs to a
   * different topic than the first one seen (a routing bug: one instance per
   * (category, depth, symbol)).
   */
  apply(frame: BybitDataFrame): BookApplyResult {
    this.bindTopic(frame.topic);
    if (frame.type === 'delta' && this.state !== 'valid') {
      return { kind: 'ignored', reason: this.state === 'empty' ? 'before-snapshot' : 'invalid' };
    }
    const problem = orderBookDataProblem(frame.data);
    if (problem) return this.invalidate('BOOK_GAP', `malformed ${frame.type}: ${problem}`);
    const data = frame.data as BybitOrderBookData;
    const malformed = levelsProblem(data.b, 'b') ?? levelsProblem(data.a, 'a');
    if (malformed) return this.invalidate('BOOK_GAP', `malformed ${frame.type}: ${malformed}`);
    const timestampMs = frame.cts ?? frame.ts;
    const seq = data.seq !== undefined && Number.isSafeInteger(data.seq) && data.seq >= 0 ? data.seq : 0;
    return frame.type === 'snapshot' ? this.applySnapshot(data, seq, timestampMs) : this.applyDelta(data, seq, timestampMs);
  }

  /** The full book, or undefined before the first snapshot and while invalid. */
  current(): OrderBookData | undefined {
    return this.state === 'valid' ? this.fullBook(null) : undefined;
  }

  isValid(): boolean {
    return this.state === 'valid';
  }

  /** Forget the book (on reconnect): deltas are dropped until the next snapshot. */
  reset(): void {
    this.bids = [];
    this.asks = [];
    this.state = 'empty';
    this.lastUpdateId = 0;
    this.lastSeq = 0;
    this.lastTimestampMs = 0;
  }

  private bindTopic(topic: string): void {
    if (this.topic === undefined) {
      this.topic = topic;
      const parsed = parseTopic(topic);
      if (this.depth === undefined && parsed?.stream === 'orderbook') this.depth = parsed.depth;
    } else if (topic !== this.topic) {
      throw new Error(`OrderBook for ${this.topic} got a frame for ${topic}: keep one book per (category, depth, symbol)`);
    }
  }

  private applySnapshot(data: BybitOrderBookData, seq: number, timestampMs: number): BookApplyResult {
    const u = data.u;
    // Level 1 re-sends the same snapshot (same u) every 3 s when nothing changed; u === 1 is a restart, never a repeat of an older u.
    if (this.depth === 1 && this.state === 'valid' && (u === this.lastUpdateId || (u < this.lastUpdateId && u !== 1))) {
      return { kind: 'ignored', reason: 'repeat' };
    }
    this.bids = snapshotSide(data.b, 'bids');
    this.asks = snapshotSide(data.a, 'asks');
    this.lastUpdateId = u;
    this.lastSeq = seq;
    this.lastTimestampMs = timestampMs;
    this.state = 'valid';
    const crossed = this.crossedReason();
    if (crossed) return this.invalidate('BOOK_CROSSED', `snapshot u=${u}: ${crossed}`);
    return { kind: 'snapshot', book: this.fullBook(null) };
  }

  private applyDelta(data: BybitOrderBookData, seq: number, timestampMs: number): BookApplyResult {
    const previous = this.lastUpdateId;
    if (data.u !== previous + 1) return this.invalidate('BOOK_GAP', `delta u=${data.u} after u=${previous}`);
    const changedBids = data.b.map((level) => this.applyLevel('bids', level));
    const changedAsks = data.a.map((level) => this.applyLevel('asks', level));
    this.lastUpdateId = data.u;
    this.lastSeq = seq;
    this.lastTimestampMs = timestampMs;
    const crossed = this.crossedReason();
    if (crossed) return this.invalidate('BOOK_CROSSED', `delta u=${data.u}: ${crossed}`);
    const delta: OrderBookData = {
      bids: sortedUnique(changedBids, 'bids'),
      asks: sortedUnique(changedAsks, 'asks'),
      updateId: data.u,
      prevUpdateId: previous,
      seq,
      timestamp: timestampMs,
    };
    return { kind: 'delta', delta, book: this.fullBook(previous) };
  }

  /**
   * Sets, inserts or deletes one level. Returns the change as published: an
   * existing level keeps the price spelling already in the book (so a
   * consumer matching strings stays consistent), and a delete says "0".
   */
  private applyLevel(side: Side, [price, size]: BybitPriceLevel): PriceLevel {
    const levels = this[side];
    const index = search(levels, side, price);
    const existingPrice = index >= 0 ? levels[index]![0] : price;
    if (isZeroDecimal(size)) {
      if (index >= 0) levels.splice(index, 1);
      return [existingPrice, DELETE_SIZE];
    }
    if (index >= 0) levels[index] = [existingPrice, size];
    else levels.splice(-index - 1, 0, [price, size]);
    return [existingPrice, size];
  }

  private crossedReason(): string | undefined {
    const bestBid = this.bids[0];
    const bestAsk = this.asks[0];
    if (bestBid && bestAsk && compareDecimal(bestBid[0], bestAsk[0]) >= 0) return `best bid ${bestBid[0]} >= best ask ${bestAsk[0]}`;
    return undefined;
  }

  private invalidate(code: BookInvalidCode, reason: string): BookApplyResult {
    this.state = 'invalid';
    return { kind: 'invalid', reason, code };
  }

  private fullBook(prevUpdateId: number | null): OrderBookData {
    return {
      bids: this.bids.slice(),
      asks: this.asks.slice(),
      updateId: this.lastUpdateId,
      prevUpdateId,
      seq: this.lastSeq,
      timestamp: this.lastTimestampMs,
    };
  }
}
