import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../src/shared/backoff.js';

describe('Backoff (full jitter)', () => {
  it('doubles the ceiling up to the cap', () => {
    const backoff = new Backoff({ baseMs: 1000, maxMs: 30_000, minMs: 0 }, () => 1);
    assert.deepEqual(
      Array.from({ length: 7 }, () => backoff.next()),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000],
    );
  });
  it('draws uniformly below the ceiling, never under the floor', () => {
    const low = new Backoff({ baseMs: 1000, maxMs: 30_000, minMs: 250 }, () => 0);
    assert.equal(low.next(), 250);
    const half = new Backoff({ baseMs: 1000, maxMs: 30_000, minMs: 0 }, () => 0.5);
    assert.deepEqual([half.next(), half.next(), half.next()], [500, 1000, 2000]);
  });
  it('starts small again after reset', () => {
    const backoff = new Backoff({ baseMs: 1000, maxMs: 30_000, minMs: 0 }, () => 1);
    for (let i = 0; i < 10; i++) backoff.next();
    backoff.reset();
    assert.equal(backoff.next(), 1000);
  });
});
