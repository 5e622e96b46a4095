import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { TICKER_FIELDS, TickerDataSchema, type TickerData } from '../../../src/schemas/index.js';
import type { BybitDataFrame, BybitTickerData } from '../../../src/exchanges/bybit/bybit-frames.js';
import { TickerMerger } from '../../../src/exchanges/bybit/ticker-merger.js';
import { tickerFrame, type FixtureFile } from './fixtures.js';

const isTicker = TypeCompiler.Compile(TickerDataSchema);

/** The ticker fields of a raw data object, as the merger should keep them. */
function known(data: BybitTickerData): Record<string, string> {
  return Object.fromEntries(TICKER_FIELDS.filter((field) => typeof data[field] === 'string').map((field) => [field, data[field] as string]));
}

/** Applies a recorded snapshot then its delta; checks the delta merged key-wise onto the snapshot. */
function mergePair(file: FixtureFile, snapshotLine: number): { snapshot: TickerData; merged: TickerData; delta: BybitTickerData } {
  const merger = new TickerMerger();
  const snapshotFrame = tickerFrame(file, snapshotLine);
  const deltaFrame = tickerFrame(file, snapshotLine + 1);
  assert.equal(snapshotFrame.type, 'snapshot');
  assert.equal(deltaFrame.type, 'delta');
  const snapshot = merger.apply(snapshotFrame);
  assert.ok(snapshot);
  assert.deepEqual(snapshot, { symbol: snapshotFrame.data.symbol, ...known(snapshotFrame.data) });
  const merged = merger.apply(deltaFrame);
  assert.ok(merged);
  assert.deepEqual(merged, { ...snapshot, ...known(deltaFrame.data) });
  assert.ok(isTicker.Check(snapshot) && isTicker.Check(merged));
  return { snapshot, merged, delta: deltaFrame.data };
}

void describe('TickerMerger on recorded snapshot + delta pairs', () => {
  void it('linear BTCUSDT: changed fields overwrite, absent fields stay', () => {
    const { snapshot, merged } = mergePair('tickers_linear.jsonl', 1);
    assert.equal(snapshot.markPrice, '61875.25');
    assert.equal(merged.markPrice, '61875.06');
    assert.equal(merged.bid1Size, '3.543');
    assert.equal(merged.openInterestValue, '3595994223.27');
    assert.equal(merged.lastPrice, '61874.00');
    assert.equal(merged.fundingRate, '0.00008055');
    assert.equal(merged.nextFundingTime, '1715760000000');
    assert.equal(merged.ask1Size, '16.278');
    assert.equal(Object.keys(merged).length, Object.keys(tickerFrame('tickers_linear.jsonl', 1).data).length);
  });

  void it('linear BTCPERP (USDC perp)', () => {
    const { merged } = mergePair('tickers_linear.jsonl', 3);
    assert.equal(merged.bid1Price, '61909.50');
    assert.equal(merged.ask1Price, '61909.60');
    assert.equal(merged.lastPrice, '61945.70');
  });

  void it('inverse BTCUSD, both eras', () => {
    const first = mergePair('tickers_inverse.jsonl', 1);
    assert.equal(first.merged.openInterest, '449736674');
    assert.equal(first.merged.lastPrice, '28560.00');
    const second = mergePair('tickers_inverse.jsonl', 5);
    assert.equal(second.merged.bid1Size, '27634');
    assert.equal(second.merged.volume24h, '391976479.0000');
  });

  void it('inverse futures BTCUSDU23: empty fundingRate and nextFundingTime are values, kept as ""', () => {
    const { snapshot, merged } = mergePair('tickers_inverse.jsonl', 3);
    assert.equal(snapshot.fundingRate, '');
    assert.equal(merged.fundingRate, '');
    assert.equal(merged.nextFundingTime, '');
    assert.equal(merged.basisRate, '0.01603111');
    assert.equal(merged.deliveryTime, '2023-09-29T08:00:00Z');
    assert.equal(merged.basis, '459.06');
  });

  void it('spot: snapshot-only, no bid/ask, usdIndexPrice kept', () => {
    const frame = tickerFrame('tickers_spot.jsonl', 1);
    const ticker = new TickerMerger().apply(frame);
    assert.deepEqual(ticker, {
      symbol: 'BTCUSDT',
      lastPrice: '84547.99',
      highPrice24h: '86584.84',
      lowPrice24h: '80609.26',
      prevPrice24h: '80900',
      price24hPcnt: '0.0451',
      volume24h: '9416.834648',
      turnover24h: '792190557.2149933',
      usdIndexPrice: '84501.308024',
    });
    assert.ok(isTicker.Check(ticker));
  });

  void it('drops a delta that arrives before any snapshot', () => {
    const merger = new TickerMerger();
    assert.equal(merger.apply(tickerFrame('unattributed_real.jsonl', 13)), undefined);
    assert.equal(merger.apply(tickerFrame('tickers_linear.jsonl', 2)), undefined);
    assert.equal(merger.current(), undefined);
    // Once the snapshot is in, the same delta merges.
    merger.apply(tickerFrame('tickers_linear.jsonl', 1));
    assert.equal(merger.apply(tickerFrame('unattributed_real.jsonl', 13))?.singleOpenInterestValue, '2625495106.91');
  });
});

void describe('TickerMerger rules (SYNTHETIC deltas on a recorded snapshot)', () => {
  const delta = (data: Record<string, unknown>): BybitDataFrame => ({
    topic: 'tickers.BTCUSDT',
    type: 'delta',
    ts: 1715748763163,
    data: { symbol: 'BTCUSDT', ...data },
  });

  void it('"" overwrites a value', () => {
    const merger = new TickerMerger();
    merger.apply(tickerFrame('tickers_linear.jsonl', 1));
    assert.equal(merger.apply(delta({ fundingRate: '' }))?.fundingRate, '');
  });

  void it('ignores unknown fields and non-string values', () => {
    const merger = new TickerMerger();
    merger.apply(tickerFrame('tickers_linear.jsonl', 1));
    const merged = merger.apply(delta({ someFutureField: '1', markPrice: 61875, lastPrice: null }));
    assert.ok(merged);
    assert.equal('someFutureField' in merged, false);
    assert.equal(merged.markPrice, '61875.25');
    assert.equal(merged.lastPrice, '61874.00');
  });

  void it('a snapshot replaces the whole state', () => {
    const merger = new TickerMerger();
    merger.apply(tickerFrame('tickers_linear.jsonl', 1));
    const replaced = merger.apply({ topic: 'tickers.BTCUSDT', type: 'snapshot', ts: 1, data: { symbol: 'BTCUSDT', lastPrice: '1' } });
    assert.deepEqual(replaced, { symbol: 'BTCUSDT', lastPrice: '1' });
  });

  void it('drops deltas for another symbol and after reset()', () => {
    const merger = new TickerMerger();
    merger.apply(tickerFrame('tickers_linear.jsonl', 1));
    assert.equal(merger.apply({ ...delta({}), data: { symbol: 'BTCPERP', lastPrice: '1' } }), undefined);
    assert.equal(merger.current()?.lastPrice, '61874.00');
    merger.reset();
    assert.equal(merger.apply(delta({ lastPrice: '2' })), undefined);
    assert.equal(merger.current(), undefined);
  });

  void it('returns a fresh object each time', () => {
    const merger = new TickerMerger();
    const first = merger.apply(tickerFrame('tickers_linear.jsonl', 1))!;
    first.lastPrice = 'changed';
    assert.equal(merger.current()?.lastPrice, '61874.00');
  });
});
