import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkFullBook, compareDecimal, isZeroDecimal, type OrderBookData, type PriceLevel } from '../../../src/schemas/index.js';
import type { BybitDataFrame, BybitOrderBookData, BybitPriceLevel } from '../../../src/exchanges/bybit/bybit-frames.js';
import { OrderBook, type BookApplyResult } from '../../../src/exchanges/bybit/order-book.js';
import { bookFrame, type FixtureFile } from './fixtures.js';

/** Naive reference: linear search + full sort. Deliberately shares no code with OrderBook. */
function referenceApply(levels: readonly PriceLevel[], changes: readonly BybitPriceLevel[], descending: boolean): PriceLevel[] {
  const result = levels.map((level): PriceLevel => [level[0], level[1]]);
  for (const [price, size] of changes) {
    const index = result.findIndex((level) => compareDecimal(level[0], price) === 0);
    if (isZeroDecimal(size)) {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) result[index] = [result[index]![0], size];
    else result.push([price, size]);
  }
  return result.sort((a, b) => (descending ? compareDecimal(b[0], a[0]) : compareDecimal(a[0], b[0])));
}

function expectSnapshot(result: BookApplyResult): OrderBookData {
  assert.equal(result.kind, 'snapshot', JSON.stringify(result).slice(0, 200));
  return result.book;
}

function expectDelta(result: BookApplyResult): Extract<BookApplyResult, { kind: 'delta' }> {
  assert.equal(result.kind, 'delta', JSON.stringify(result).slice(0, 200));
  return result;
}

/** Checks a recorded full 50/50 snapshot + its contiguous delta. */
function checkRecordedPair(file: FixtureFile, line: number, best: [string, string]) {
  const snapshotFrame = bookFrame(file, line);
  const deltaFrame = bookFrame(file, line + 1);
  const book = new OrderBook();
  const snapshot = expectSnapshot(book.apply(snapshotFrame));
  assert.equal(snapshot.bids.length, 50);
  assert.equal(snapshot.asks.length, 50);
  assert.deepEqual(snapshot.bids, snapshotFrame.data.b);
  assert.deepEqual(snapshot.asks, snapshotFrame.data.a);
  assert.equal(snapshot.updateId, snapshotFrame.data.u);
  assert.equal(snapshot.prevUpdateId, null);
  assert.equal(snapshot.seq, snapshotFrame.data.seq);
  assert.equal(snapshot.timestamp, snapshotFrame.cts ?? snapshotFrame.ts);
  assert.ok(checkFullBook(snapshot).ok);

  // Every delete in the recorded delta hits a level of the snapshot.
  for (const [side, levels] of [[deltaFrame.data.b, snapshotFrame.data.b], [deltaFrame.data.a, snapshotFrame.data.a]] as const) {
    for (const [price, size] of side) {
      if (isZeroDecimal(size)) assert.ok(levels.some((level) => compareDecimal(level[0], price) === 0), `delete of ${price} misses`);
    }
  }

  const { delta, book: after } = expectDelta(book.apply(deltaFrame));
  assert.equal(after.bids.length, 50);
  assert.equal(after.asks.length, 50);
  assert.ok(checkFullBook(after).ok, 'sorted and not crossed');
  assert.deepEqual([after.bids[0]![0], after.asks[0]![0]], best);
  assert.deepEqual(after.bids, referenceApply(snapshotFrame.data.b, deltaFrame.data.b, true));
  assert.deepEqual(after.asks, referenceApply(snapshotFrame.data.a, deltaFrame.data.a, false));
  assert.equal(after.updateId, snapshotFrame.data.u + 1);
  assert.equal(after.prevUpdateId, snapshotFrame.data.u);
  assert.deepEqual(delta.bids, deltaFrame.data.b);
  assert.deepEqual(delta.asks, deltaFrame.data.a);
  assert.equal(delta.updateId, deltaFrame.data.u);
  assert.equal(delta.prevUpdateId, snapshotFrame.data.u);
  assert.equal(delta.seq, deltaFrame.data.seq);
  assert.equal(delta.timestamp, deltaFrame.cts);
  assert.deepEqual(book.current(), { ...after, prevUpdateId: null });
  return { snapshotFrame, deltaFrame, after };
}

void describe('OrderBook on recorded full 50/50 pairs', () => {
  void it('spot BTCUSDT (gocryptotrader, u 2876700 -> 2876701)', () => {
    const { after } = checkRecordedPair('orderbook_spot.jsonl', 1, ['75848.74', '75848.75']);
    assert.deepEqual(after.bids.find((level) => level[0] === '75848.62'), ['75848.62', '0.014895']);
    assert.deepEqual(after.asks.find((level) => level[0] === '75848.89'), ['75848.89', '0.088149']);
    assert.equal(after.bids.some((level) => level[0] === '75837.13'), false);
    assert.equal(after.asks.some((level) => level[0] === '75852.65'), false);
    // Exact strings: "75845.4" stays without a trailing zero.
    assert.ok(after.bids.some((level) => level[0] === '75845.4' && level[1] === '0.132228'));
  });

  void it('linear BTCUSDT (unattributed, u 10132540 -> 10132541)', () => {
    const { after } = checkRecordedPair('unattributed_real.jsonl', 1, ['71423.80', '71423.90']);
    assert.deepEqual(after.bids.find((level) => level[0] === '71418.20'), ['71418.20', '0.159']);
    assert.equal(after.bids.some((level) => level[0] === '71419.80'), false);
    assert.equal(after.asks.some((level) => level[0] === '71428.30'), false);
  });
});

void describe('OrderBook on other recorded frames', () => {
  void it('level 1 linear: snapshot then the old-era delta', () => {
    const book = new OrderBook('BTCUSDT', 1);
    const snapshot = expectSnapshot(book.apply(bookFrame('orderbook_linear.jsonl', 1)));
    assert.deepEqual([snapshot.bids, snapshot.asks], [[['28552.00', '0.047']], [['28552.10', '25.433']]]);
    const { delta, book: after } = expectDelta(book.apply(bookFrame('orderbook_linear.jsonl', 2)));
    assert.deepEqual(delta.bids, [['28552.00', '0.012']]);
    assert.deepEqual(delta.asks, []);
    assert.deepEqual([after.bids, after.asks], [[['28552.00', '0.012']], [['28552.10', '25.433']]]);
  });

  void it('level 1 spot: snapshot then delta', () => {
    const book = new OrderBook();
    book.apply(bookFrame('orderbook_spot.jsonl', 3));
    const { book: after } = expectDelta(book.apply(bookFrame('orderbook_spot.jsonl', 4)));
    assert.deepEqual([after.bids, after.asks], [[['28165.07', '0.166754']], [['28165.08', '0.996816']]]);
    assert.equal(after.seq, 4281281875);
    assert.equal(after.timestamp, 1680652806615);
  });

  void it('level 1 snapshot with cts: the timestamp is the matching-engine time', () => {
    const snapshot = expectSnapshot(new OrderBook().apply(bookFrame('orderbook_linear.jsonl', 6)));
    assert.equal(snapshot.timestamp, 1758841134598);
    assert.equal(snapshot.seq, 457514742271);
  });

  void it('trimmed depth-50 pairs: updates and inserts, deletes of absent levels are harmless', () => {
    const perp = new OrderBook();
    perp.apply(bookFrame('orderbook_linear.jsonl', 3));
    const { book: perpAfter } = expectDelta(perp.apply(bookFrame('orderbook_linear.jsonl', 4)));
    assert.deepEqual([perpAfter.bids, perpAfter.asks], [[['28555.20', '0.677']], [['28555.30', '0.029']]]);

    const spot = new OrderBook();
    spot.apply(bookFrame('orderbook_spot.jsonl', 5));
    const { book: spotAfter } = expectDelta(spot.apply(bookFrame('orderbook_spot.jsonl', 6)));
    assert.deepEqual(spotAfter.bids, [['28162.57', '0.07562'], ['28161.04', '0.177474']]);
    assert.deepEqual(spotAfter.asks, [['28162.58', '0.506829']]);
  });

  void it('drops recorded deltas that have no snapshot before them', () => {
    assert.deepEqual(new OrderBook().apply(bookFrame('orderbook_linear.jsonl', 5)), { kind: 'ignored', reason: 'before-snapshot' });
    assert.deepEqual(new OrderBook().apply(bookFrame('orderbook_linear.jsonl', 7)), { kind: 'ignored', reason: 'before-snapshot' });
    assert.deepEqual(new OrderBook().apply(bookFrame('unattributed_real.jsonl', 2)), { kind: 'ignored', reason: 'before-snapshot' });
  });

  void it('refuses a frame of another topic (books are never shared)', () => {
    const book = new OrderBook();
    book.apply(bookFrame('unattributed_real.jsonl', 7));
    assert.throws(() => book.apply(bookFrame('unattributed_real.jsonl', 8)), /AAPLUSDT/);
    const level1 = new OrderBook('BTCUSDT', 1);
    assert.throws(() => level1.apply(bookFrame('orderbook_spot.jsonl', 1)), /orderbook\.50\.BTCUSDT/);
  });
});

// ---- SYNTHETIC cases: no capture shows them -------------------------------------------------

const TOPIC = 'orderbook.50.BTCUSDT';
let clock = 1_731_035_685_000;

function frame(type: 'snapshot' | 'delta', u: number, b: BybitPriceLevel[], a: BybitPriceLevel[], topic = TOPIC, seq: number | undefined = u * 10): BybitDataFrame<BybitOrderBookData> {
  const data: BybitOrderBookData = { s: topic.split('.')[2]!, b, a, u };
  if (seq !== undefined) data.seq = seq;
  return { topic, type, ts: clock++, data };
}

const BIDS: BybitPriceLevel[] = [['100.5', '1'], ['100.4', '2'], ['100', '3']];
const ASKS: BybitPriceLevel[] = [['100.6', '1'], ['100.7', '2'], ['101', '3']];

function validBook(u = 100): OrderBook {
  const book = new OrderBook();
  expectSnapshot(book.apply(frame('snapshot', u, BIDS, ASKS)));
  return book;
}

void describe('OrderBook sequencing (SYNTHETIC)', () => {
  void it('a u=1 snapshot is a restart: the book is replaced and deltas continue from 1', () => {
    const book = validBook(500);
    const restarted = expectSnapshot(book.apply(frame('snapshot', 1, [['90', '1']], [['91', '1']])));
    assert.deepEqual([restarted.bids, restarted.asks, restarted.updateId], [[['90', '1']], [['91', '1']], 1]);
    const { book: after } = expectDelta(book.apply(frame('delta', 2, [['90', '5']], [])));
    assert.deepEqual(after.bids, [['90', '5']]);
    assert.equal(after.prevUpdateId, 1);
  });

  void it('every snapshot resets, even with the same or an older u (depth > 1)', () => {
    const book = validBook(100);
    expectSnapshot(book.apply(frame('snapshot', 100, [['99', '1']], [['102', '1']])));
    assert.deepEqual(book.current()?.bids, [['99', '1']]);
    expectSnapshot(book.apply(frame('snapshot', 40, [['98', '1']], [['102', '1']])));
    assert.equal(book.current()?.updateId, 40);
  });

  void it('a gap invalidates the book until the next snapshot', () => {
    const book = validBook(100);
    expectDelta(book.apply(frame('delta', 101, [['100.5', '4']], [])));
    const gap = book.apply(frame('delta', 103, [], []));
    assert.equal(gap.kind, 'invalid');
    assert.equal(gap.kind === 'invalid' && gap.code, 'BOOK_GAP');
    assert.match(gap.kind === 'invalid' ? gap.reason : '', /103.*101/);
    assert.equal(book.isValid(), false);
    assert.equal(book.current(), undefined);
    assert.deepEqual(book.apply(frame('delta', 104, [], [])), { kind: 'ignored', reason: 'invalid' });
    assert.deepEqual(book.apply(frame('delta', 102, [], [])), { kind: 'ignored', reason: 'invalid' });
    expectSnapshot(book.apply(frame('snapshot', 200, BIDS, ASKS)));
    assert.equal(book.isValid(), true);
    expectDelta(book.apply(frame('delta', 201, [], [])));
  });

  void it('a repeated or older delta u is a gap too (u must be lastU + 1)', () => {
    const book = validBook(100);
    expectDelta(book.apply(frame('delta', 101, [], [])));
    const repeated = book.apply(frame('delta', 101, [], []));
    assert.equal(repeated.kind === 'invalid' && repeated.code, 'BOOK_GAP');
  });

  void it('a crossed book after a delta is invalid until the next snapshot', () => {
    const book = validBook(100);
    const crossed = book.apply(frame('delta', 101, [['100.6', '1']], []));
    assert.equal(crossed.kind === 'invalid' && crossed.code, 'BOOK_CROSSED');
    assert.equal(book.isValid(), false);
    assert.deepEqual(book.apply(frame('delta', 102, [['100.6', '0']], [])), { kind: 'ignored', reason: 'invalid' });
    expectSnapshot(book.apply(frame('snapshot', 300, BIDS, ASKS)));
  });

  void it('a crossed snapshot is invalid', () => {
    const book = new OrderBook();
    const result = book.apply(frame('snapshot', 5, [['101', '1']], [['100.9', '1']]));
    assert.equal(result.kind === 'invalid' && result.code, 'BOOK_CROSSED');
    assert.deepEqual(book.apply(frame('delta', 6, [], [])), { kind: 'ignored', reason: 'invalid' });
  });

  void it('depth 1: a re-sent snapshot with the same u is a repeat; a new u or u=1 is a snapshot', () => {
    const topic = 'orderbook.1.BTCUSDT';
    const book = new OrderBook();
    expectSnapshot(book.apply(frame('snapshot', 7003305, [['100', '1']], [['101', '1']], topic)));
    assert.deepEqual(book.apply(frame('snapshot', 7003305, [['100', '1']], [['101', '1']], topic)), { kind: 'ignored', reason: 'repeat' });
    expectSnapshot(book.apply(frame('snapshot', 7003306, [['100', '2']], [['101', '1']], topic)));
    assert.deepEqual(book.current()?.bids, [['100', '2']]);
    expectSnapshot(book.apply(frame('snapshot', 1, [['99', '1']], [['101', '1']], topic)));
    assert.equal(book.current()?.updateId, 1);
  });

  void it('deltas before the first snapshot and after reset() are dropped', () => {
    const book = new OrderBook();
    assert.deepEqual(book.apply(frame('delta', 1, [['1', '1']], [])), { kind: 'ignored', reason: 'before-snapshot' });
    expectSnapshot(book.apply(frame('snapshot', 10, BIDS, ASKS)));
    book.reset();
    assert.equal(book.current(), undefined);
    assert.deepEqual(book.apply(frame('delta', 11, [], [])), { kind: 'ignored', reason: 'before-snapshot' });
  });

  void it('a malformed level invalidates the book instead of throwing', () => {
    const book = validBook(100);
    const result = book.apply(frame('delta', 101, [['1e5', '1']], []));
    assert.equal(result.kind === 'invalid' && result.code, 'BOOK_GAP');
    assert.equal(book.isValid(), false);
  });

  void it('seq is 0 when the frame has none (option-style books)', () => {
    const snapshot = expectSnapshot(new OrderBook().apply(frame('snapshot', 0, [], [], TOPIC, undefined)));
    assert.equal(snapshot.seq, 0);
    assert.deepEqual([snapshot.bids, snapshot.asks], [[], []]);
  });
});

void describe('OrderBook level arithmetic (SYNTHETIC)', () => {
  void it('"0.000" deletes; the published delta says "0"', () => {
    const book = validBook(100);
    const { delta, book: after } = expectDelta(book.apply(frame('delta', 101, [['100.4', '0.000']], [['101', '0.0']])));
    assert.deepEqual(after.bids, [['100.5', '1'], ['100', '3']]);
    assert.deepEqual(after.asks, [['100.6', '1'], ['100.7', '2']]);
    assert.deepEqual(delta.bids, [['100.4', '0']]);
    assert.deepEqual(delta.asks, [['101', '0']]);
  });

  void it('"75848.4" and "75848.40" are the same level; the book keeps its own spelling', () => {
    const book = new OrderBook();
    book.apply(frame('snapshot', 1, [['75848.40', '1'], ['75848.3', '1']], [['75848.5', '1']]));
    const updated = expectDelta(book.apply(frame('delta', 2, [['75848.4', '2']], [])));
    assert.deepEqual(updated.book.bids, [['75848.40', '2'], ['75848.3', '1']]);
    assert.deepEqual(updated.delta.bids, [['75848.40', '2']]);
    const deleted = expectDelta(book.apply(frame('delta', 3, [['75848.400', '0']], [['75848.50', '0']])));
    assert.deepEqual(deleted.book.bids, [['75848.3', '1']]);
    assert.deepEqual(deleted.book.asks, []);
    assert.deepEqual(deleted.delta.asks, [['75848.5', '0']]);
  });

  void it('inserts keep bids descending and asks ascending, whatever the delta order', () => {
    const book = validBook(100);
    const { delta, book: after } = expectDelta(
      book.apply(frame('delta', 101, [['99.99', '1'], ['100.45', '1'], ['100.55', '1'], ['100.0', '9']], [['102', '1'], ['100.65', '1'], ['100.599', '1']])),
    );
    assert.deepEqual(after.bids.map((level) => level[0]), ['100.55', '100.5', '100.45', '100.4', '100', '99.99']);
    assert.deepEqual(after.bids[4], ['100', '9']);
    assert.deepEqual(after.asks.map((level) => level[0]), ['100.599', '100.6', '100.65', '100.7', '101', '102']);
    assert.deepEqual(delta.bids.map((level) => level[0]), ['100.55', '100.45', '100', '99.99']);
    assert.deepEqual(delta.asks.map((level) => level[0]), ['100.599', '100.65', '102']);
    assert.ok(checkFullBook(after).ok);
  });

  void it('never trims or pads the server window', () => {
    const book = validBook(100);
    const { book: after } = expectDelta(book.apply(frame('delta', 101, [['1', '1']], [])));
    assert.equal(after.bids.length, 4);
    const { book: thinner } = expectDelta(book.apply(frame('delta', 102, [['1', '0'], ['100', '0']], [])));
    assert.equal(thinner.bids.length, 2);
  });

  void it('results already handed out do not change with later deltas', () => {
    const book = validBook(100);
    const first = expectDelta(book.apply(frame('delta', 101, [['100.5', '7']], [])));
    expectDelta(book.apply(frame('delta', 102, [['100.5', '0'], ['100.45', '1']], [])));
    assert.deepEqual(first.book.bids, [['100.5', '7'], ['100.4', '2'], ['100', '3']]);
  });

  void it('matches a map-based reference over 2000 random deltas on a 1000-level book', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    // Prices are whole ticks of 0.01, sometimes spelled with a third decimal ("100.500"): the same level.
    const price = (ticks: number) => (ticks / 100).toFixed(random() < 0.2 ? 3 : 2);
    const size = () => (random() < 0.3 ? (random() < 0.5 ? '0' : '0.000') : String((1 + Math.floor(random() * 1000)) / 1000));
    const key = (p: string) => Math.round(Number(p) * 100);
    /** Reference side: tick -> level, keeping the first spelling of a price. */
    const applyToMap = (side: Map<number, PriceLevel>, changes: readonly BybitPriceLevel[]) => {
      for (const [p, s] of changes) {
        const existing = side.get(key(p));
        if (Number(s) === 0) side.delete(key(p));
        else side.set(key(p), [existing ? existing[0] : p, s]);
      }
    };
    const sorted = (side: Map<number, PriceLevel>, descending: boolean) =>
      [...side.entries()].sort((x, y) => (descending ? y[0] - x[0] : x[0] - y[0])).map((entry) => entry[1]);

    const topic = 'orderbook.1000.BTCUSDT';
    const bids: BybitPriceLevel[] = Array.from({ length: 1000 }, (_, i) => [price(1_000_000 - i), '1']);
    const asks: BybitPriceLevel[] = Array.from({ length: 1000 }, (_, i) => [price(1_000_001 + i), '1']);
    const expectedBids = new Map<number, PriceLevel>();
    const expectedAsks = new Map<number, PriceLevel>();
    applyToMap(expectedBids, bids);
    applyToMap(expectedAsks, asks);
    const book = new OrderBook('BTCUSDT', 1000);
    expectSnapshot(book.apply(frame('snapshot', 1, bids, asks, topic)));
    let inserts = 0;
    for (let u = 2; u <= 2001; u++) {
      const b: BybitPriceLevel[] = Array.from({ length: 1 + Math.floor(random() * 6) }, () => [price(998_500 + Math.floor(random() * 1500)), size()]);
      const a: BybitPriceLevel[] = Array.from({ length: 1 + Math.floor(random() * 6) }, () => [price(1_000_001 + Math.floor(random() * 1500)), size()]);
      inserts += [...b, ...a].filter(([p, s]) => Number(s) !== 0 && !(expectedBids.has(key(p)) || expectedAsks.has(key(p)))).length;
      applyToMap(expectedBids, b);
      applyToMap(expectedAsks, a);
      const { book: after } = expectDelta(book.apply(frame('delta', u, b, a, topic)));
      if (u % 250 === 0 || u === 2001) {
        assert.deepEqual(after.bids, sorted(expectedBids, true), `bids at u=${u}`);
        assert.deepEqual(after.asks, sorted(expectedAsks, false), `asks at u=${u}`);
        assert.ok(checkFullBook(after).ok);
      }
    }
    assert.ok(inserts > 1000, 'the random walk inserts new levels, not only updates');
  });
});
