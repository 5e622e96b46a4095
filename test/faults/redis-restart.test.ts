/**
 * Fault: Redis is killed (SIGKILL) under a running system of real processes
 * (simulate, worker, two gateways) and restarted empty on the same port a few
 * seconds later, observed from the browser-side client library.
 *
 * What the gateway sends its clients on a bus outage (src/gateway): a status
 * message of its own (`upstream: "redis"`, `disconnected`) while Redis is down
 * (sockets and heartbeats stay up; /health says `unhealthy`,
 * `redis: disconnected`, HTTP 503), and `live` once it is back. Then a channel
 * whose seq jumped (publishes failed during the outage) and whose history the
 * restart emptied is restarted with a snapshot marked `reset`; a channel the
 * worker continues without a hole just goes on. A status message comes only if
 * the worker's re-announced state is news to the gateway, so it says `live`.
 * A gateway whose command connection is still reconnecting when the first
 * update arrives answers `UNAVAILABLE` for the channel; the client retries it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { delay, waitFor } from '../helpers/wait-for.js';
import {
  RecordingClient,
  assertCandlesHeldWithoutHole,
  assertNoSilentHole,
  getJson,
  latestConfirmed,
  startProcessStack,
  type ProcessStack,
} from '../helpers/process-stack.js';

const MINUTE_MS = 60_000;
/** How long Redis stays down: at 60x, three to four 1 m candles close meanwhile. */
const OUTAGE_MS = 3_500;

async function healthOf(stack: ProcessStack): Promise<{ status: number; body: Record<string, unknown> }[]> {
  return Promise.all(stack.gateways.map((gateway) => getJson(`${gateway.api}/health`).catch(() => ({ status: 0, body: {} }))));
}

describe('fault: Redis killed and restarted under simulate + worker + 2 gateways (processes)', () => {
  it('no process exits, health goes unhealthy and back, the client stays connected and resumes every channel without a silent hole', async (t) => {
    const stack = await startProcessStack(t, { gateways: 2 });
    const client = new RecordingClient({ url: stack.gateways[0]!.ws });
    stack.defer(() => client.close());
    await client.updatesOnEveryChannel('updates on every channel before the fault', 5, 20_000);
    for (const { status, body } of await healthOf(stack)) assert.deepEqual([status, body.redis], [200, 'connected']);
    const from = await client.liveConfirmedCandles(10_000);
    const statesBefore = client.states.length;

    await stack.redis.kill();
    await waitFor(
      'both gateways report Redis down (503, unhealthy, redis disconnected)',
      async () => (await healthOf(stack)).every(({ status, body }) => status === 503 && body.status === 'unhealthy' && body.redis === 'disconnected'),
      10_000,
    );
    await stack.worker.waitForOutput(/redis unavailable; reconnecting/, 10_000);
    await delay(OUTAGE_MS); // the outage itself: the market moves on meanwhile
    for (const { status, body } of await healthOf(stack)) assert.deepEqual([status, body.status, body.redis], [503, 'unhealthy', 'disconnected'], 'still down during the outage');
    await stack.redis.startProcess();
    const restartedAt = client.counts();

    await waitFor(
      'both gateways healthy or degraded again, Redis connected',
      async () => (await healthOf(stack)).every(({ status, body }) => status === 200 && ['healthy', 'degraded'].includes(body.status as string) && body.redis === 'connected'),
      15_000,
    );
    await client.updatesOnEveryChannel('updates resume on every channel', 5, 15_000, restartedAt);
    // Candles that closed during the outage are final by now (the 5 m one within two 5 m candles).
    await client.waitFor(
      'candles confirmed after the outage on both timeframes',
      () => latestConfirmed(client, 'candles:BTCUSDT:1') >= from.get('candles:BTCUSDT:1')! + 8 * MINUTE_MS && latestConfirmed(client, 'candles:BTCUSDT:5') >= from.get('candles:BTCUSDT:5')! + 10 * MINUTE_MS,
      20_000,
    );
    t.diagnostic(`after the outage: ${client.describe().replace(/\n/g, '; ')}`);

    assert.deepEqual(stack.exited().map((p) => p.child.spawnargs[2]), [], 'no tickstream process exited');
    assert.ok(stack.gateways.every((gateway) => /redis reconnected/.test(gateway.process.output())), 'each gateway logged its Redis reconnect');
    assert.equal(client.states.length, statesBefore, `the client socket survived the outage (states: ${JSON.stringify(client.states.slice(statesBefore))})`);
    assert.deepEqual(client.errors.filter((error) => (error as { code?: string }).code !== 'UNAVAILABLE'), [], 'no error but UNAVAILABLE');
    const busStatuses = () => client.statuses.filter((status) => status.upstream === 'redis').map((status) => status.state);
    await client.waitFor(`the gateway says Redis is back (so far: ${busStatuses().join(', ')})`, () => busStatuses().includes('live'), 15_000);
    assert.deepEqual(busStatuses(), ['disconnected', 'live'], 'the gateway told the client it lost Redis, then that it is back');
    assert.deepEqual(client.statuses.filter((status) => status.upstream !== 'redis' && status.state !== 'live'), [], 'the worker says nothing but live');
    for (const [channel, log] of client.logs) assertNoSilentHole(channel, log);

    await t.test('no hole in the confirmed candles held (received, plus REST after recovery)', () =>
      assertCandlesHeldWithoutHole(client, stack.gateways[0]!.api, from),
    );
  });
});
