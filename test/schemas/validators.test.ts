import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkFullBook,
  validateCandleData,
  validateMarketUpdate,
  validatePriceLevels,
  validateTradeData,
  type CandleData,
  type CandleUpdate,
  type UnsequencedUpdate,
} from '../../src/schemas/index.js';

const candle: CandleData = {
  timestamp: 1719667560000,
  open: '61030',
  high: '61030',
  low: '61015',
  close: '61029.9',
  volume: '10.798',
  turnover: '658980.4245',
  confirm: false,
};

function candleUpdate(overrides: Partial<UnsequencedUpdate<CandleUpdate>> = {}): UnsequencedUpdate<CandleUpdate> {
  return {
    type: 'update',
    subscription: 'candles',
    channel: 'candles:BTCUSDT:1',
    symbol: 'BTCUSDT',
    timeframe: '1',
    candle,
    status: 'ongoing',
    source: 'stream',
    received_at: '2024-06-29T13:26:41.380Z',
    exchange_ts: 1719667601380,
    ...overrides,
  };
}

describe('candle validation', () => {
  it('accepts a real candle', () => {
    assert.deepEqual(validateCandleData(candle), { ok: true });
    assert.deepEqual(validateMarketUpdate(candleUpdate()), { ok: true });
  });
  it('rejects high below close', () => {
    const result = validateCandleData({ ...candle, high: '61029' });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.code, 'CANDLE_OHLC_INCONSISTENT');
  });
  it('rejects low above open', () => {
    const result = validateCandleData({ ...candle, low: '61030.5' });
    assert.equal(!result.ok && result.code, 'CANDLE_OHLC_INCONSISTENT');
  });
  it('rejects timestamps before 2020', () => {
    const result = validateCandleData({ ...candle, timestamp: 1_500_000_000_000 });
    assert.equal(!result.ok && result.code, 'SCHEMA_VIOLATION');
  });
  it('rejects negative or non-decimal volume', () => {
    assert.equal(validateCandleData({ ...candle, volume: '-1' }).ok, false);
    assert.equal(validateCandleData({ ...candle, volume: '1e3' }).ok, false);
  });
  it('rejects a lower-case symbol, an unknown timeframe and a bad received_at', () => {
    assert.equal(validateMarketUpdate(candleUpdate({ symbol: 'btcusdt' })).ok, false);
    assert.equal(validateMarketUpdate(candleUpdate({ timeframe: '2' as never })).ok, false);
    assert.equal(validateMarketUpdate(candleUpdate({ received_at: '2024-06-29 13:26:41' })).ok, false);
  });
  it('names the failing path', () => {
    const result = validateMarketUpdate(candleUpdate({ candle: { ...candle, open: 'abc' } }));
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /\/candle\/open/);
  });
});

describe('trade and book validation', () => {
  it('checks trades', () => {
    const trade = { id: 'a', timestamp: 1758841135823, price: '109378.90', size: '0.020', side: 'Buy' as const };
    assert.equal(validateTradeData(trade).ok, true);
    assert.equal(validateTradeData({ ...trade, side: 'buy' as never }).ok, false);
    assert.equal(validateTradeData({ ...trade, price: '' }).ok, false);
  });
  it('checks level shapes', () => {
    assert.equal(validatePriceLevels([['1.5', '0']]).ok, true);
    assert.equal(validatePriceLevels([['1.5']]).ok, false);
    assert.equal(validatePriceLevels([['x', '1']]).ok, false);
    assert.equal(validatePriceLevels('nope').ok, false);
  });
  it('detects unsorted and crossed books', () => {
    assert.equal(checkFullBook({ bids: [['10', '1'], ['9', '1']], asks: [['11', '1'], ['12', '1']] }).ok, true);
    const unsorted = checkFullBook({ bids: [['9', '1'], ['10', '1']], asks: [] });
    assert.equal(!unsorted.ok && unsorted.code, 'BOOK_NOT_SORTED');
    const crossed = checkFullBook({ bids: [['11', '1']], asks: [['11.0', '1']] });
    assert.equal(!crossed.ok && crossed.code, 'BOOK_CROSSED');
  });
});
