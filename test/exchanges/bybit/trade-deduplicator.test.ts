import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TradeData } from '../../../src/schemas/index.js';
import { restTradeToTradeData, toTradeData } from '../../../src/exchanges/bybit/bybit-mappers.js';
import { TradeDeduplicator } from '../../../src/exchanges/bybit/trade-deduplicator.js';
import { tradeFrame } from './fixtures.js';

const ids = (trades: readonly TradeData[]) => trades.map((trade) => trade.id);

/** SYNTHETIC trade with a given id. */
function trade(id: string): TradeData {
  return { id, timestamp: 1_758_841_135_823, price: '1', size: '1', side: 'Buy' };
}

void describe('TradeDeduplicator', () => {
  void it('passes new trades in order and drops them when delivered again', () => {
    const trades = tradeFrame('publicTrade_spot.jsonl', 1).data.map(toTradeData);
    const dedup = new TradeDeduplicator();
    assert.deepEqual(dedup.filterNew(trades), trades);
    assert.deepEqual(dedup.filterNew(trades), []);
    const next = tradeFrame('publicTrade_spot.jsonl', 2).data.map(toTradeData);
    // A re-delivery after a reconnect overlapping the last two trades, plus one new trade.
    assert.deepEqual(ids(dedup.filterNew([...trades.slice(2), ...next])), ['2240000000041223438']);
  });

  void it('keeps all 9 trades that share T and seq (identity is the id alone)', () => {
    const trades = tradeFrame('unattributed_real.jsonl', 4).data.map(toTradeData);
    assert.equal(new TradeDeduplicator().filterNew(trades).length, 9);
  });

  void it('drops a REST backfill copy of a live trade (execId == i)', () => {
    const live = tradeFrame('publicTrade_linear.jsonl', 2).data[0]!;
    const dedup = new TradeDeduplicator();
    dedup.filterNew([toTradeData(live)]);
    const restCopy = restTradeToTradeData({
      execId: live.i,
      symbol: live.s,
      price: live.p,
      size: live.v,
      side: live.S,
      time: String(live.T),
      isBlockTrade: false,
      isRPITrade: false,
    });
    assert.deepEqual(dedup.filterNew([restCopy, trade('new-after-outage')]).map((t) => t.id), ['new-after-outage']);
  });

  void it('keeps the first of duplicates inside one batch, preserving order', () => {
    const dedup = new TradeDeduplicator();
    const batch = [trade('a'), trade('b'), { ...trade('a'), size: '2' }, trade('c'), trade('b')];
    const fresh = dedup.filterNew(batch);
    assert.deepEqual(ids(fresh), ['a', 'b', 'c']);
    assert.equal(fresh[0]!.size, '1');
  });

  void it('is bounded: the oldest ids are forgotten first', () => {
    const dedup = new TradeDeduplicator(3);
    dedup.filterNew(['a', 'b', 'c', 'd'].map(trade));
    assert.equal(dedup.size, 3);
    assert.deepEqual(dedup.filterNew([trade('b'), trade('c'), trade('d')]), []);
    // "a" was evicted, so it counts as new again (and evicts "b").
    assert.deepEqual(ids(dedup.filterNew([trade('a')])), ['a']);
    assert.deepEqual(ids(dedup.filterNew([trade('b'), trade('d')])), ['b']);
    assert.equal(dedup.size, 3);
  });

  void it('defaults to 10 000 ids', () => {
    const dedup = new TradeDeduplicator();
    dedup.filterNew(Array.from({ length: 10_001 }, (_, i) => trade(`t${i}`)));
    assert.equal(dedup.size, 10_000);
    assert.deepEqual(ids(dedup.filterNew([trade('t1'), trade('t0')])), ['t0']);
  });

  void it('clear() forgets everything; capacity must be positive', () => {
    const dedup = new TradeDeduplicator();
    dedup.filterNew([trade('a')]);
    dedup.clear();
    assert.deepEqual(ids(dedup.filterNew([trade('a')])), ['a']);
    assert.throws(() => new TradeDeduplicator(0), RangeError);
  });
});
