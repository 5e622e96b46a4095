/**
 * The gateway's own keeping-up signal (loop-watch.ts) on the real event loop:
 * a busy loop reads as behind at once, with the stall's length, and reads as
 * keeping up again once a clean window has passed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LoopWatch } from '../../src/gateway/loop-watch.js';
import { waitFor } from '../helpers/wait-for.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Holds the event loop: what a fan-out turn of 10k clients does to the gateway. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

describe('loop watch', () => {
  it('reads behind while the loop is held past the bound, then keeping up after a clean window', async (t) => {
    const watch = new LoopWatch({ behindP99Ms: 150, windowMs: 400 });
    watch.start();
    t.after(() => watch.stop());
    await sleep(100);
    const idle = watch.reading();
    assert.equal(idle.behind, false, `idle: ${JSON.stringify(idle)}`);
    // Node records the time between ticks of its 20 ms sampling timer; the delay is what exceeds it.
    assert.ok(idle.delayP99Ms < 19, `an idle loop reads a delay near 0, not the sampling interval: ${JSON.stringify(idle)}`);

    for (let i = 0; i < 3; i++) {
      blockFor(300);
      await sleep(25); // the delay sampler's timer runs, late
    }
    const held = watch.reading();
    assert.equal(held.behind, true, JSON.stringify(held));
    assert.ok(held.delayP99Ms >= 200 && held.delayMaxMs >= held.delayP99Ms, JSON.stringify(held));

    await waitFor('keeping up again', () => !watch.reading().behind, 5_000);
    assert.ok(watch.reading().delayP99Ms < 150);
  });

  it('reads zero before any sample, not the empty histogram', () => {
    const watch = new LoopWatch({ behindP99Ms: 150 });
    watch.start();
    try {
      assert.deepEqual(watch.reading(), { delayP99Ms: 0, delayMaxMs: 0, behind: false });
    } finally {
      watch.stop();
    }
  });
});
