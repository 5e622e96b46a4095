/**
 * Assertions over what a consumer observed on the bus: schema-valid, seq
 * contiguous, books reconstructible and uncrossed, candles confirmed once.
 */
import assert from 'node:assert/strict';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  CandleUpdateSchema,
  OrderBookUpdateSchema,
  TickerUpdateSchema,
  TradeUpdateSchema,
  compareDecimal,
  isZeroDecimal,
  type MarketUpdate,
  type OrderBookData,
  type OrderBookUpdate,
  type PriceLevel,
} from '../../src/schemas/index.js';

const checkers = {
  candles: TypeCompiler.Compile(CandleUpdateSchema),
  trades: TypeCompiler.Compile(TradeUpdateSchema),
  ticker: TypeCompiler.Compile(TickerUpdateSchema),
  orderbook: TypeCompiler.Compile(OrderBookUpdateSchema),
};

export function assertSchemaValid(update: MarketUpdate): void {
  const checker = checkers[update.subscription];
  const value: unknown = update;
  if (!checker.Check(value)) {
    const error = checker.Errors(value).First();
    assert.fail(`${update.channel} seq ${update.seq}: ${error?.path} ${error?.message}`);
  }
}

/** seq +1 per message on one channel (holes only where `allowHoles`). */
export function assertSeqContiguous(updates: readonly MarketUpdate[], allowHoles = false): void {
  for (let i = 1; i < updates.length; i++) {
    const previous = updates[i - 1]!.seq;
    const current = updates[i]!.seq;
    if (allowHoles) assert.ok(current > previous, `${updates[i]!.channel}: seq ${current} after ${previous}`);
    else assert.equal(current, previous + 1, `${updates[i]!.channel}: seq ${current} after ${previous}`);
  }
}

function applyLevels(levels: PriceLevel[], changes: readonly PriceLevel[], descending: boolean): PriceLevel[] {
  const book = new Map(levels.map(([price, size]) => [canonical(price), [price, size] as PriceLevel]));
  for (const [price, size] of changes) {
    if (isZeroDecimal(size)) book.delete(canonical(price));
    else book.set(canonical(price), [price, size]);
  }
  return [...book.values()].sort((a, b) => (descending ? compareDecimal(b[0], a[0]) : compareDecimal(a[0], b[0])));
}

function canonical(price: string): string {
  return price.includes('.') ? price.replace(/0+$/, '').replace(/\.$/, '') : price;
}

/**
 * Rebuilds the book a consumer would hold from snapshot + deltas, checking
 * prevUpdateId continuity and that it is never crossed. Returns the book after
 * the last update with seq <= `uptoSeq`.
 */
export function replayBook(updates: readonly OrderBookUpdate[], uptoSeq = Number.POSITIVE_INFINITY): { bids: PriceLevel[]; asks: PriceLevel[]; updateId: number } | undefined {
  let book: { bids: PriceLevel[]; asks: PriceLevel[]; updateId: number } | undefined;
  for (const update of updates) {
    if (update.seq > uptoSeq) break;
    if (update.action === 'snapshot') {
      book = { bids: [...update.book.bids], asks: [...update.book.asks], updateId: update.book.updateId };
    } else {
      assert.ok(book, `${update.channel}: delta seq ${update.seq} before any snapshot`);
      assert.equal(update.book.prevUpdateId, book.updateId, `${update.channel}: delta seq ${update.seq} does not continue updateId ${book.updateId}`);
      book = {
        bids: applyLevels(book.bids, update.book.bids, true),
        asks: applyLevels(book.asks, update.book.asks, false),
        updateId: update.book.updateId,
      };
    }
    const bestBid = book.bids[0];
    const bestAsk = book.asks[0];
    if (bestBid && bestAsk) assert.equal(compareDecimal(bestBid[0], bestAsk[0]), -1, `${update.channel}: crossed at seq ${update.seq}`);
  }
  return book;
}

export function sameBook(a: Pick<OrderBookData, 'bids' | 'asks'>, b: Pick<OrderBookData, 'bids' | 'asks'>): boolean {
  const norm = (levels: readonly PriceLevel[]) => levels.map(([p, s]) => `${canonical(p)}@${s}`).join(',');
  return norm(a.bids) === norm(b.bids) && norm(a.asks) === norm(b.asks);
}
