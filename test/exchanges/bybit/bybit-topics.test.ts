import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ORDERBOOK_DEPTHS, TIMEFRAMES, type OrderBookDepth } from '../../../src/schemas/index.js';
import { klineTopic, orderBookTopic, parseTopic, tickerTopic, tradeTopic } from '../../../src/exchanges/bybit/bybit-topics.js';
import { FIXTURE_FILES, readFrames } from './fixtures.js';

void describe('bybit topic builders', () => {
  void it('spell topics as Bybit does', () => {
    assert.equal(klineTopic('1', 'BTCUSDT'), 'kline.1.BTCUSDT');
    assert.equal(klineTopic('D', 'BTC-26DEC25'), 'kline.D.BTC-26DEC25');
    assert.equal(tradeTopic('BTCUSDT'), 'publicTrade.BTCUSDT');
    assert.equal(tickerTopic('ETHUSDT'), 'tickers.ETHUSDT');
    assert.equal(orderBookTopic(50, 'BTCUSDT'), 'orderbook.50.BTCUSDT');
    assert.equal(orderBookTopic(1000, 'BTCUSDT'), 'orderbook.1000.BTCUSDT');
  });

  void it('refuse what Bybit would refuse: lower-case symbols, depth 500', () => {
    assert.throws(() => orderBookTopic(50, 'btcusdt'), RangeError);
    assert.throws(() => tradeTopic('BTC.USDT'), RangeError);
    assert.throws(() => tickerTopic(''), RangeError);
    assert.throws(() => klineTopic('1', 'BTCUSDT '), RangeError);
    assert.throws(() => orderBookTopic(500 as OrderBookDepth, 'BTCUSDT'), RangeError);
  });
});

void describe('parseTopic', () => {
  void it('round-trips every timeframe and depth', () => {
    for (const timeframe of TIMEFRAMES) {
      assert.deepEqual(parseTopic(klineTopic(timeframe, 'BTCUSDT')), { stream: 'kline', timeframe, symbol: 'BTCUSDT' });
    }
    for (const depth of ORDERBOOK_DEPTHS) {
      assert.deepEqual(parseTopic(orderBookTopic(depth, 'ETHUSDT')), { stream: 'orderbook', depth, symbol: 'ETHUSDT' });
    }
    assert.deepEqual(parseTopic('publicTrade.BTCUSDT'), { stream: 'publicTrade', symbol: 'BTCUSDT' });
    assert.deepEqual(parseTopic('tickers.BTC-26DEC25'), { stream: 'tickers', symbol: 'BTC-26DEC25' });
  });

  void it('returns undefined for topics tickstream does not route', () => {
    for (const topic of [
      'orderbook.500.BTCUSDT',
      'orderbook.25.BTC-30JUN23-45000-P',
      'orderbook.050.BTCUSDT',
      'orderbook.full.BTCUSDT',
      'orderbook.50.btcusdt',
      'kline.2.BTCUSDT',
      'kline.d.BTCUSDT',
      'kline.1',
      'liquidation.BTCUSDT',
      'tickers',
      'tickers.',
      'publicTrade.BTCUSDT.extra',
      'publicTrade.BTCUSDT:1',
      '',
    ]) {
      assert.equal(parseTopic(topic), undefined, topic);
    }
  });

  void it('parses the topic of every recorded data frame', () => {
    const expected = new Map<string, unknown>([
      ['kline.1.BTCUSDT', { stream: 'kline', timeframe: '1', symbol: 'BTCUSDT' }],
      ['orderbook.1.BTCUSDT', { stream: 'orderbook', depth: 1, symbol: 'BTCUSDT' }],
      ['orderbook.50.BTCPERP', { stream: 'orderbook', depth: 50, symbol: 'BTCPERP' }],
      ['orderbook.50.AAPLUSDT', { stream: 'orderbook', depth: 50, symbol: 'AAPLUSDT' }],
      ['publicTrade.BTCUSDC', { stream: 'publicTrade', symbol: 'BTCUSDC' }],
      ['tickers.BTCUSDU23', { stream: 'tickers', symbol: 'BTCUSDU23' }],
    ]);
    let checked = 0;
    for (const file of FIXTURE_FILES) {
      for (const frame of readFrames(file)) {
        const topic = (frame as { topic?: unknown }).topic;
        if (typeof topic !== 'string') continue;
        const parsed = parseTopic(topic);
        assert.ok(parsed, topic);
        assert.equal(parsed.symbol, topic.split('.').at(-1));
        if (expected.has(topic)) assert.deepEqual(parsed, expected.get(topic));
        checked++;
      }
    }
    assert.equal(checked, 39);
  });
});
