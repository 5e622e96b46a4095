import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config-error.js';
import { bybitWsEndpoint, loadWorkerConfig } from '../../src/config/worker-config.js';

describe('loadWorkerConfig', () => {
  it('has the documented defaults', () => {
    const config = loadWorkerConfig({}, {});
    assert.deepEqual(config.symbols, ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    assert.deepEqual(config.timeframes, ['1', '5', '15']);
    assert.equal(config.category, 'linear');
    assert.equal(config.orderBookDepth, 50);
    assert.equal(config.statusIntervalS, 60);
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.channelPrefix, '');
    assert.equal(bybitWsEndpoint(config), 'wss://stream.bybit.com/v5/public/linear');
    assert.equal(config.bybitRestUrl, 'https://api.bybit.com');
    assert.equal(config.link.pingIntervalMs, 20_000);
    assert.equal(config.limits.candleHistorySize, 500);
  });
  it('switches hosts with --testnet and paths with --category', () => {
    const config = loadWorkerConfig({ testnet: true, category: 'spot' }, {});
    assert.equal(bybitWsEndpoint(config), 'wss://stream-testnet.bybit.com/v5/public/spot');
    assert.equal(config.bybitRestUrl, 'https://api-testnet.bybit.com');
  });
  it('prefers flags over env, env over defaults', () => {
    const env = { SYMBOLS: 'ethusdt', TIMEFRAMES: '60,d', ORDERBOOK_DEPTH: '200', BYBIT_WS_URL: 'ws://127.0.0.1:9100/', REDIS_CHANNEL_PREFIX: 'ts:' };
    const fromEnv = loadWorkerConfig({}, env);
    assert.deepEqual(fromEnv.symbols, ['ETHUSDT']);
    assert.deepEqual(fromEnv.timeframes, ['60', 'D']);
    assert.equal(fromEnv.orderBookDepth, 200);
    assert.equal(bybitWsEndpoint(fromEnv), 'ws://127.0.0.1:9100/v5/public/linear');
    assert.equal(fromEnv.channelPrefix, 'ts:');
    const fromFlags = loadWorkerConfig({ symbols: 'SOLUSDT', 'orderbook-depth': '1' }, env);
    assert.deepEqual(fromFlags.symbols, ['SOLUSDT']);
    assert.equal(fromFlags.orderBookDepth, 1);
  });
  it('rejects bad values with a message naming the flag and env var', () => {
    assert.throws(() => loadWorkerConfig({ 'orderbook-depth': '500' }, {}), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /--orderbook-depth \(ORDERBOOK_DEPTH\).*1, 50, 200, 1000/);
      return true;
    });
    assert.throws(() => loadWorkerConfig({ timeframes: '1,2' }, {}), /TIMEFRAMES.*"2"/);
    assert.throws(() => loadWorkerConfig({ category: 'option' }, {}), /BYBIT_CATEGORY/);
    assert.throws(() => loadWorkerConfig({ 'status-interval': '0' }, {}), /STATUS_INTERVAL_S/);
    assert.throws(() => loadWorkerConfig({}, { REDIS_URL: 'http://x' }), /REDIS_URL/);
    assert.throws(() => loadWorkerConfig({ symbols: 'BTC USDT' }, {}), /SYMBOLS/);
  });
});
