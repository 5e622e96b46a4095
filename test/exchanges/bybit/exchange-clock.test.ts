import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExchangeClock } from '../../../src/exchanges/bybit/exchange-clock.js';

describe('ExchangeClock', () => {
  it('is the local clock until the exchange says otherwise, then carries the exchange time forward', () => {
    let local = 1_000;
    const clock = new ExchangeClock(() => local);
    assert.equal(clock.now(), 1_000);
    clock.observe(50_000, 1_000);
    local = 1_250;
    assert.equal(clock.now(), 50_250);
    clock.observe(60_000); // arrives now (local 1_250)
    local = 1_300;
    assert.equal(clock.now(), 60_050);
  });

  it('ignores timestamps that are not positive integers', () => {
    const clock = new ExchangeClock(() => 5);
    for (const bad of [undefined, null, '123', Number.NaN, -1, 0, 1.5]) clock.observe(bad);
    assert.equal(clock.now(), 5);
  });
});
