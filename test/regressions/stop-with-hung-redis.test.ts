/**
 * Regression (found in review): Worker.stop() against a Redis that stopped answering (SIGSTOP: the TCP
 * connection stays open) takes far longer than the CLI's graceful-shutdown
 * deadline (process-lifecycle.ts: 8 s, then process.exit(1)).
 * stop() awaits, one after the other, each with the 5 s operation deadline:
 * peers() (listWorkers), the lease round in flight, releaseLeases, removeWorker,
 * then the status flush. None of them can succeed on a hung Redis, and nothing
 * bounds them together.
 * Real parts: simulator, worker, private redis-server paused with SIGSTOP.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { delay, waitFor } from '../helpers/wait-for.js';
import { startWorkerStack } from '../helpers/worker-stack.js';

const CLI_SHUTDOWN_DEADLINE_MS = 8_000;

describe('regression: stopping a worker while Redis hangs', { timeout: 60_000 }, () => {
  it('stops within the CLI shutdown deadline', { timeout: 45_000 }, async (t) => {
    const stack = await startWorkerStack(t, { env: { LEASE_TTL_MS: '3000' } });
    await waitFor('data', () => stack.observer.on('orderbook:BTCUSDT').length > 5, 15_000);
    const admin = createClient({ url: stack.redis.url });
    await admin.connect();
    const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
    await admin.quit();
    assert.ok(pid > 0);
    process.kill(pid, 'SIGSTOP');
    t.after(() => {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    });
    await delay(1_000);

    const startedAt = Date.now();
    const stopping = stack.worker.stop();
    const outcome = await Promise.race([stopping.then(() => 'stopped'), delay(25_000).then(() => 'still stopping')]);
    const tookMs = Date.now() - startedAt;
    process.kill(pid, 'SIGCONT');
    await stopping.catch(() => undefined);
    assert.ok(tookMs < CLI_SHUTDOWN_DEADLINE_MS, `Worker.stop() took ${tookMs} ms (${outcome}) with a hung Redis; the CLI exits 1 after ${CLI_SHUTDOWN_DEADLINE_MS} ms`);
  });
});
