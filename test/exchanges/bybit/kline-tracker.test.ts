import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CandleData } from '../../../src/schemas/index.js';
import type { BybitKlineRow } from '../../../src/exchanges/bybit/bybit-frames.js';
import { toCandleData } from '../../../src/exchanges/bybit/bybit-mappers.js';
import { KlineTracker } from '../../../src/exchanges/bybit/kline-tracker.js';
import { klineFrame } from './fixtures.js';

const MINUTE = 60_000;
/** Start of the recorded kline.1 candle (2024-06-29). */
const T0 = 1719667560000;

/** SYNTHETIC kline.1 row for the n-th minute after T0; last trade 1 s into the candle unless overridden. */
function row(n: number, overrides: Partial<BybitKlineRow> = {}): BybitKlineRow {
  const start = T0 + n * MINUTE;
  return {
    start,
    end: start + MINUTE - 1,
    interval: '1',
    open: '100',
    close: '101',
    high: '102',
    low: '99',
    volume: `${n + 1}`,
    turnover: `${(n + 1) * 100}`,
    confirm: false,
    timestamp: start + 1000,
    ...overrides,
  };
}

/** SYNTHETIC REST candle for the n-th minute after T0. */
function restCandle(n: number, overrides: Partial<CandleData> = {}): CandleData {
  return { timestamp: T0 + n * MINUTE, open: '200', high: '202', low: '199', close: '201', volume: '7', turnover: '1400', confirm: true, ...overrides };
}

const starts = (tracker: KlineTracker) => tracker.candles().map((candle) => (candle.timestamp - T0) / MINUTE);
const summary = (changes: { candle: CandleData; confirmedNow: boolean }[]) =>
  changes.map((change) => [(change.candle.timestamp - T0) / MINUTE, change.candle.confirm, change.confirmedNow]);

void describe('KlineTracker.applyStream', () => {
  void it('emits the recorded frame once, and nothing for an unchanged repeat', () => {
    const tracker = new KlineTracker();
    const rows = klineFrame('kline.jsonl', 1).data;
    const changes = tracker.applyStream(rows);
    assert.deepEqual(changes, [{ candle: toCandleData(rows[0]!), confirmedNow: false }]);
    assert.deepEqual(tracker.applyStream(rows), []);
    assert.deepEqual(tracker.latest(), toCandleData(rows[0]!));
    assert.equal(tracker.lastConfirmedStart(), undefined);
  });

  void it('emits an update when the open candle changes', () => {
    const tracker = new KlineTracker();
    tracker.applyStream([row(0)]);
    const changes = tracker.applyStream([row(0, { close: '101.5', high: '102', volume: '3', timestamp: T0 + 2000 })]);
    assert.deepEqual(summary(changes), [[0, false, false]]);
    assert.equal(changes[0]!.candle.close, '101.5');
  });

  void it('confirms on confirm:true exactly once (duplicate confirm frames are ignored)', () => {
    const tracker = new KlineTracker();
    tracker.applyStream([row(0)]);
    const closing = row(0, { confirm: true, close: '100.5', timestamp: T0 + 59_999 });
    const first = tracker.applyStream([closing]);
    assert.deepEqual(summary(first), [[0, true, true]]);
    assert.equal(first[0]!.candle.close, '100.5');
    assert.deepEqual(tracker.applyStream([closing]), []);
    assert.deepEqual(tracker.applyStream([{ ...closing, close: '999' }]), []);
    assert.equal(tracker.latest()!.close, '100.5');
    assert.equal(tracker.lastConfirmedStart(), T0);
    // The next candle does not confirm the previous one a second time.
    assert.deepEqual(summary(tracker.applyStream([row(1)])), [[1, false, false]]);
  });

  void it('a later start confirms the previous candle with the last values seen, once', () => {
    const tracker = new KlineTracker();
    tracker.applyStream([row(0)]);
    tracker.applyStream([row(0, { close: '98', low: '97', timestamp: T0 + 30_000 })]);
    const changes = tracker.applyStream([row(1)]);
    assert.deepEqual(summary(changes), [[0, true, true], [1, false, false]]);
    assert.equal(changes[0]!.candle.close, '98');
    assert.equal(changes[0]!.candle.low, '97');
    // A late confirm:true frame for the already-confirmed candle is ignored.
    assert.deepEqual(tracker.applyStream([row(0, { confirm: true, close: '97.5' })]), []);
    assert.equal(tracker.candles()[0]!.close, '98');
  });

  void it('iterates the whole data array: closing bar and new bar in one frame', () => {
    const tracker = new KlineTracker();
    tracker.applyStream([row(0)]);
    const changes = tracker.applyStream([row(0, { confirm: true, close: '103', high: '103', timestamp: T0 + 59_999 }), row(1)]);
    assert.deepEqual(summary(changes), [[0, true, true], [1, false, false]]);
    assert.equal(changes[0]!.candle.close, '103');
  });

  void it('applies the rows of one frame in start order, whatever their order in the array', () => {
    const tracker = new KlineTracker();
    tracker.applyStream([row(0)]);
    const changes = tracker.applyStream([row(1), row(0, { confirm: true, close: '103', high: '103', timestamp: T0 + 59_999 })]);
    assert.deepEqual(summary(changes), [[0, true, true], [1, false, false]]);
    assert.equal(changes[0]!.candle.close, '103');
  });

  void it('a first frame that is already closed is confirmed at once', () => {
    const tracker = new KlineTracker();
    assert.deepEqual(summary(tracker.applyStream([row(0, { confirm: true })])), [[0, true, true]]);
    assert.deepEqual(tracker.applyStream([row(0, { confirm: true })]), []);
  });

  void it('ignores stale frames: older starts already confirmed, older starts not held, older last-trade times', () => {
    const tracker = new KlineTracker();
    tracker.applyStream([row(5)]);
    assert.deepEqual(tracker.applyStream([row(3)]), [], 'an older start the tracker never held');
    tracker.applyStream([row(5, { close: '105', high: '105', timestamp: T0 + 5 * MINUTE + 20_000 })]);
    assert.deepEqual(tracker.applyStream([row(5, { close: '100', timestamp: T0 + 5 * MINUTE + 10_000 })]), [], 'older timestamp');
    assert.equal(tracker.latest()!.close, '105');
    tracker.applyStream([row(6)]);
    assert.deepEqual(tracker.applyStream([row(5, { close: '1', timestamp: T0 + 6 * MINUTE })]), [], 'confirmed start');
    assert.deepEqual(starts(tracker), [5, 6]);
  });

  void it('keeps only the last `capacity` candles', () => {
    const tracker = new KlineTracker(3);
    for (let n = 0; n < 5; n++) tracker.applyStream([row(n)]);
    assert.deepEqual(starts(tracker), [2, 3, 4]);
    assert.throws(() => new KlineTracker(0), RangeError);
  });

  void it('hands out copies: mutating a result does not touch the state', () => {
    const tracker = new KlineTracker();
    const [change] = tracker.applyStream([row(0)]);
    change!.candle.close = '0';
    tracker.latest()!.close = '0';
    tracker.candles()[0]!.close = '0';
    assert.equal(tracker.latest()!.close, '101');
  });
});

void describe('KlineTracker.applyBackfill (SYNTHETIC REST candles)', () => {
  void it('fills a hole, updates the open candle, leaves confirmed candles alone', () => {
    const tracker = new KlineTracker();
    tracker.applyStream([row(0)]);
    tracker.applyStream([row(1)]);
    tracker.applyStream([row(2)]);
    tracker.applyStream([row(5)]); // reconnect: minutes 3 and 4 were missed; 2 was confirmed by the later start
    assert.deepEqual(starts(tracker), [0, 1, 2, 5]);
    assert.equal(tracker.lastConfirmedStart(), T0 + 2 * MINUTE);

    const changes = tracker.applyBackfill([restCandle(2), restCandle(3), restCandle(4), restCandle(5, { confirm: false, close: '205', high: '205' })]);
    assert.deepEqual(summary(changes), [[3, true, true], [4, true, true], [5, false, false]]);
    assert.deepEqual(starts(tracker), [0, 1, 2, 3, 4, 5]);
    assert.equal(tracker.candles()[2]!.close, '101', 'confirmed candle 2 keeps its stream values');
    assert.deepEqual(tracker.latest(), restCandle(5, { confirm: false, close: '205', high: '205' }));
    assert.equal(tracker.lastConfirmedStart(), T0 + 4 * MINUTE);

    // REST now says 5 is closed: confirmed exactly once.
    assert.deepEqual(summary(tracker.applyBackfill([restCandle(5)])), [[5, true, true]]);
    assert.deepEqual(tracker.applyBackfill([restCandle(5, { close: '1' })]), []);
    assert.deepEqual(tracker.applyStream([row(5, { confirm: true, timestamp: T0 + 6 * MINUTE })]), []);
  });

  void it('an unchanged REST candle produces no change', () => {
    const tracker = new KlineTracker();
    tracker.applyBackfill([restCandle(0, { confirm: false })]);
    assert.deepEqual(tracker.applyBackfill([restCandle(0, { confirm: false })]), []);
  });

  void it('fills an empty tracker oldest first, whatever the input order', () => {
    const tracker = new KlineTracker();
    const changes = tracker.applyBackfill([restCandle(2, { confirm: false }), restCandle(0), restCandle(1)]);
    assert.deepEqual(summary(changes), [[0, true, true], [1, true, true], [2, false, false]]);
    assert.equal(tracker.lastConfirmedStart(), T0 + MINUTE);
  });

  void it('a REST candle newer than the open one confirms the open one (last values) first', () => {
    const tracker = new KlineTracker();
    tracker.applyStream([row(0)]);
    const changes = tracker.applyBackfill([restCandle(1, { confirm: false })]);
    assert.deepEqual(summary(changes), [[0, true, true], [1, false, false]]);
    assert.equal(changes[0]!.candle.close, '101');
  });

  void it('a missing candle older than the newest is final even if REST calls it open', () => {
    const tracker = new KlineTracker();
    tracker.applyStream([row(0, { confirm: true })]);
    tracker.applyStream([row(3)]);
    const changes = tracker.applyBackfill([restCandle(1, { confirm: false })]);
    assert.deepEqual(summary(changes), [[1, true, true]]);
  });

  void it('a full tracker skips REST candles older than its window', () => {
    const tracker = new KlineTracker(2);
    tracker.applyStream([row(5)]);
    tracker.applyStream([row(6)]);
    assert.deepEqual(tracker.applyBackfill([restCandle(1)]), []);
    assert.deepEqual(starts(tracker), [5, 6]);
  });

  void it('discardOpen: values seen before a disconnect are never confirmed; the backfill restores the candle', () => {
    const tracker = new KlineTracker();
    tracker.applyStream([row(0, { confirm: true })]);
    tracker.applyStream([row(1, { close: '150', high: '150' })]);
    const dropped = tracker.discardOpen();
    assert.equal(dropped?.timestamp, T0 + MINUTE);
    assert.equal(tracker.discardOpen(), undefined, 'the confirmed candle 0 is never discarded');
    // After the reconnect the stream is already two minutes later: nothing is confirmed with stale values.
    assert.deepEqual(summary(tracker.applyStream([row(3)])), [[3, false, false]]);
    assert.equal(tracker.lastConfirmedStart(), T0);
    const changes = tracker.applyBackfill([restCandle(1), restCandle(2)]);
    assert.deepEqual(summary(changes), [[1, true, true], [2, true, true]]);
    assert.equal(changes[0]!.candle.close, '201');
  });
});
