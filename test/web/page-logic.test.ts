/** The page's pure logic (no DOM): candle history, order book, formatting, feed health. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CandleHistory } from '../../web/src/candle-history.js';
import { OrderBook } from '../../web/src/order-book.js';
import { FeedHealth } from '../../web/src/feed-health.js';
import { subtractDecimals, fractionAsPercent, timeframeLabel, countdownText } from '../../web/src/format.js';

describe('live page logic', () => {
  it('candle history: upsert by start, confirmed candles final, older history prepended only when it overlaps', () => {
    const c = (t: number, close: string, confirm = false) => ({ timestamp: t, open: '1', high: '2', low: '0.5', close, volume: '1', turnover: '1', confirm });
    const h = new CandleHistory();
    h.replace([c(120, 'b'), c(60, 'a'), c(120, 'b2')]);
    assert.deepEqual(h.all().map((x) => x.timestamp), [60, 120]);
    assert.equal(h.at(120)?.close, 'b2');
    assert.equal(h.upsert(c(180, 'c')), 'appended');
    assert.equal(h.upsert(c(180, 'c2', true)), 'replaced-last');
    assert.equal(h.upsert(c(180, 'c3', false)), 'ignored');
    assert.equal(h.upsert(c(60, 'a2')), 'replaced-older');
    assert.equal(h.upsert(c(90, 'x')), 'inserted-older');
    assert.deepEqual(h.all().map((x) => x.timestamp), [60, 90, 120, 180]);
    assert.equal(h.prependOlder([c(0, 'z'), c(30, 'y')]), 0, 'no overlap, nothing');
    assert.equal(h.prependOlder([c(0, 'z'), c(30, 'y'), c(60, 'q'), c(90, 'r')]), 2);
    assert.deepEqual(h.all().map((x) => x.timestamp), [0, 30, 60, 90, 120, 180]);
    assert.equal(h.at(60)?.close, 'a2', 'held candles are kept');
  });

  it('order book: applies deltas only in updateId order, "0" deletes, stops until the next snapshot after a gap', () => {
    const b = new OrderBook();
    assert.equal(b.applyDelta({ bids: [], asks: [], updateId: 1, prevUpdateId: 0, seq: 1, timestamp: 1 }), 'ignored');
    b.replace({ bids: [['100.0', '1'], ['99.5', '2']], asks: [['100.5', '1'], ['101', '3']], updateId: 10, prevUpdateId: null, seq: 1, timestamp: 1 });
    assert.equal(b.applyDelta({ bids: [['100.00', '0'], ['99.9', '4']], asks: [], updateId: 11, prevUpdateId: 10, seq: 2, timestamp: 2 }), 'applied');
    assert.deepEqual(b.topBids(5), [{ price: '99.9', size: '4' }, { price: '99.5', size: '2' }]);
    assert.deepEqual(b.topAsks(1), [{ price: '100.5', size: '1' }]);
    assert.equal(b.applyDelta({ bids: [['1', '1']], asks: [], updateId: 13, prevUpdateId: 12, seq: 3, timestamp: 3 }), 'out-of-sync');
    assert.equal(b.synced, false);
    assert.equal(b.applyDelta({ bids: [['1', '1']], asks: [], updateId: 14, prevUpdateId: 13, seq: 4, timestamp: 4 }), 'ignored');
    assert.equal(b.topBids(5).length, 2);
  });

  it('formatting: exact decimal spread, fraction as percent, timeframe labels, countdown', () => {
    assert.equal(subtractDecimals('100.5', '99.95'), '0.55');
    assert.equal(subtractDecimals('66420.30', '66420.20'), '0.10');
    assert.equal(subtractDecimals('1', '2'), '-1');
    assert.equal(subtractDecimals('0.001', '0.0005'), '0.0005');
    assert.equal(fractionAsPercent('0.0123'), '+1.23%');
    assert.equal(fractionAsPercent('-0.0045'), '-0.45%');
    assert.equal(fractionAsPercent('0'), '0.00%');
    assert.equal(fractionAsPercent('0.0001', 4), '+0.0100%');
    assert.equal(fractionAsPercent(undefined), '');
    assert.equal(timeframeLabel('240'), '4h');
    assert.equal(timeframeLabel('D'), '1D');
    assert.equal(timeframeLabel('15'), '15m');
    assert.equal(countdownText(3240), '3.2 s');
  });

  it('feed health: connecting, live, stale on silence or a status for a shown channel, reconnecting countdown', () => {
    const f = new FeedHealth();
    assert.equal(f.evaluate(0).state, 'connecting');
    f.setLink({ state: 'live', attempt: 0 }, 1000);
    f.watch(['candles:X:1', 'trades:X'], 1000);
    assert.equal(f.evaluate(2000).state, 'connecting');
    assert.equal(f.evaluate(11_500).state, 'stale');
    f.noteCandleData(3000);
    assert.equal(f.evaluate(4000).state, 'live');
    assert.equal(f.evaluate(13_001).state, 'stale');
    f.noteCandleData(13_000);
    const st = (state: 'stale' | 'live' | 'disconnected', channels: string[]) => ({ type: 'status' as const, state, upstream: 'bybit:linear', channels, simulated: false, timestamp: '' });
    f.noteStatus(st('stale', ['trades:X']), 13_100);
    assert.equal(f.evaluate(13_200).state, 'stale');
    f.noteData('trades:X', 13_300);
    assert.equal(f.evaluate(13_400).state, 'live');
    f.noteStatus(st('stale', ['candles:OTHER:1']), 13_500);
    assert.equal(f.evaluate(13_600).state, 'live', 'a channel not on screen does not matter');
    f.noteStatus(st('disconnected', []), 14_000);
    assert.equal(f.evaluate(14_100).state, 'stale');
    f.seed({ upstream: { name: 'bybit:linear', state: 'live' }, staleChannels: [] }, 13_900);
    assert.equal(f.evaluate(14_200).state, 'stale', 'older /health does not override a newer status');
    f.noteStatus(st('live', []), 15_000);
    assert.equal(f.evaluate(15_100).state, 'live');
    f.setLink({ state: 'reconnecting', reconnectInMs: 2000, attempt: 1 }, 16_000);
    const r = f.evaluate(16_500);
    assert.equal(r.state, 'reconnecting');
    assert.equal(r.reconnectInMs, 1500);
    f.setLink({ state: 'connecting', attempt: 1 }, 18_000);
    assert.equal(f.evaluate(18_100).state, 'connecting');
    f.setLink({ state: 'live', attempt: 0 }, 19_000);
    assert.equal(f.evaluate(25_000).state, 'live', 'grace after reconnect');
    assert.equal(f.evaluate(29_500).state, 'stale');
  });

});
