import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { candlesChannel, channelName, orderBookChannel, parseChannel, tickerChannel, tradesChannel } from '../../src/schemas/index.js';

describe('channel names', () => {
  it('are exactly the documented shapes', () => {
    assert.equal(candlesChannel('BTCUSDT', '1'), 'candles:BTCUSDT:1');
    assert.equal(candlesChannel('ETHUSDT', 'D'), 'candles:ETHUSDT:D');
    assert.equal(tradesChannel('BTCUSDT'), 'trades:BTCUSDT');
    assert.equal(tickerChannel('BTCUSDT'), 'ticker:BTCUSDT');
    assert.equal(orderBookChannel('BTCUSDT'), 'orderbook:BTCUSDT');
  });
  it('round-trip through parseChannel', () => {
    for (const channel of ['candles:BTCUSDT:15', 'trades:SOLUSDT', 'ticker:BTC-26DEC25', 'orderbook:ETHUSDT']) {
      const ref = parseChannel(channel);
      assert.ok(ref, channel);
      assert.equal(channelName(ref), channel);
    }
  });
  it('reject malformed names', () => {
    for (const bad of ['candles:BTCUSDT', 'candles:BTCUSDT:2', 'trades:btcusdt', 'ticker:BTCUSDT:1', 'book:BTCUSDT', 'status', '']) {
      assert.equal(parseChannel(bad), undefined, bad);
    }
  });
});
