/**
 * Fault: the worker streaming the symbol dies (SIGKILL: no lease released, no
 * status sent) while a second worker stands by. Its lease expires and the
 * standby takes the symbol over within one LEASE_TTL_MS plus a round; the
 * client (the browser-side GatewayClient, on a gateway that stays up) sees a
 * `connecting` status naming the symbol's channels and the dead worker, then
 * `live`, then data on every channel with no silent hole in seq; /health
 * lists the taker as the one live worker; the candles held have no hole.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { waitFor } from '../helpers/wait-for.js';
import {
  RecordingClient,
  SYMBOL,
  assertCandlesHeldWithoutHole,
  assertNoSilentHole,
  getJson,
  latestConfirmed,
  startProcessStack,
} from '../helpers/process-stack.js';

const MINUTE_MS = 60_000;
const LEASE_TTL_MS = 2_000;
const LEASE_KEY = `tickstream:lease:bybit:linear:${SYMBOL}`;

interface HealthWorker {
  readonly id: string;
  readonly pid: number;
  readonly link: string;
  readonly symbols: string[];
}

async function healthWorkers(api: string): Promise<HealthWorker[]> {
  return ((await getJson(`${api}/health`)).body.workers as HealthWorker[] | undefined) ?? [];
}

describe('fault: the worker streaming the symbol is killed (processes: simulate + 2 workers + gateway)', () => {
  it('the other worker takes the lease over; the client sees connecting (naming the dead worker), live, then data on every channel without a silent hole', async (t) => {
    const stack = await startProcessStack(t, { workers: 2, workerEnv: { LEASE_TTL_MS: String(LEASE_TTL_MS) } });
    const { api, ws } = stack.gateways[0]!;
    const redis = createClient({ url: stack.redis.url });
    redis.on('error', () => undefined);
    await redis.connect();
    stack.defer(() => redis.disconnect());
    const client = new RecordingClient({ url: ws });
    stack.defer(() => client.close());
    await client.updatesOnEveryChannel('updates on every channel before the fault', 5, 20_000);
    const from = await client.liveConfirmedCandles(10_000);

    // Who streams the symbol: the lease (raw Redis) and the registry (/health) agree; the other one stands by.
    const ownerId = await redis.get(LEASE_KEY);
    const ids = stack.workers.map((_, index) => `worker-${index + 1}`);
    assert.ok(ownerId !== null && ids.includes(ownerId), `the lease names a worker: ${ownerId}`);
    const victim = stack.workers[ids.indexOf(ownerId)]!;
    const takerId = ids.find((id) => id !== ownerId)!;
    const taker = stack.workers[ids.indexOf(takerId)]!;
    await waitFor('/health lists both workers, the lease holder streaming the symbol', async () => (await healthWorkers(api)).length === 2, 5_000);
    assert.deepEqual(
      (await healthWorkers(api)).map((worker) => [worker.id, worker.pid, worker.symbols]),
      ids.map((id, index) => [id, stack.workers[index]!.child.pid, id === ownerId ? [SYMBOL] : []]),
    );
    const statesBefore = client.states.length;
    const statusesAtKill = new Map([...client.logs].map(([channel, log]) => [channel, log.statuses.length]));
    const killedAtMs = Date.now();

    victim.child.kill('SIGKILL');
    assert.equal((await victim.exited(5_000)).signal, 'SIGKILL');
    await waitFor(
      `${takerId} holds the lease and /health lists it streaming ${SYMBOL}`,
      async () => (await redis.get(LEASE_KEY)) === takerId && (await healthWorkers(api)).some((worker) => worker.id === takerId && worker.symbols.includes(SYMBOL)),
      LEASE_TTL_MS + 5_000,
    );
    const takeoverMs = Date.now() - killedAtMs;
    await taker.waitForOutput(new RegExp(`took ${SYMBOL} over from ${ownerId}`), 1_000);
    await waitFor('/health: the dead worker\'s registry entry expired, one live worker left', async () => (await healthWorkers(api)).length === 1, LEASE_TTL_MS + 2_000);
    const [only] = await healthWorkers(api);
    assert.deepEqual([only?.id, only?.pid, only?.symbols], [takerId, taker.child.pid, [SYMBOL]], 'the taker is the one live worker');

    // The client: connecting (every channel of the symbol, naming the dead worker), live, then data again.
    const channels = [...client.logs.keys()].sort();
    const connecting = (channel: string) =>
      client.log(channel).statuses.find(({ status }) => status.state === 'connecting' && status.worker === takerId && status.channels.includes(channel));
    await client.waitFor('a connecting status from the taker on every channel', () => channels.every((channel) => connecting(channel) !== undefined), 5_000);
    const takeover = connecting(channels[0]!)!.status;
    assert.deepEqual([...takeover.channels].sort(), channels, 'the takeover status names every channel of the symbol');
    assert.match(takeover.reason ?? '', new RegExp(`worker ${ownerId} stopped streaming ${SYMBOL}; worker ${takerId} takes it over`));
    await client.waitFor(
      'then live from the taker on at least one channel',
      () => channels.some((channel) => client.log(channel).statuses.some(({ status }) => status.state === 'live' && status.worker === takerId && status.channels.includes(channel))),
      10_000,
    );
    const connectingAt = new Map(channels.map((channel) => [channel, connecting(channel)!.afterUpdates]));
    await client.updatesOnEveryChannel('updates on every channel after the connecting status', 5, 15_000, connectingAt);
    await client.waitFor(
      'candles confirmed after the takeover on both timeframes',
      () => latestConfirmed(client, 'candles:BTCUSDT:1') >= from.get('candles:BTCUSDT:1')! + 8 * MINUTE_MS && latestConfirmed(client, 'candles:BTCUSDT:5') >= from.get('candles:BTCUSDT:5')! + 10 * MINUTE_MS,
      20_000,
    );
    t.diagnostic(`takeover after ${takeoverMs} ms (LEASE_TTL_MS ${LEASE_TTL_MS}); after it: ${client.describe().replace(/\n/g, '; ')}`);

    assert.deepEqual(stack.exited(), [victim], 'only the killed worker exited');
    assert.equal(client.states.length, statesBefore, 'the client socket to the gateway stayed up');
    assert.deepEqual(client.errors, [], 'no error message on any channel');
    for (const channel of channels) {
      const since = client.log(channel).statuses.slice(statusesAtKill.get(channel)).map(({ status }) => `${status.state}:${status.worker}`);
      assert.equal(since[0], `connecting:${takerId}`, `${channel}: the first status after the kill is the takeover (${since.join(' ')})`);
      assert.deepEqual(since.filter((entry) => !entry.endsWith(`:${takerId}`) || !['connecting', 'live'].includes(entry.split(':')[0]!)), [], `${channel}: only connecting and live from the taker`);
      assertNoSilentHole(channel, client.log(channel));
    }

    await t.test('no hole in the confirmed candles held (received, plus REST after recovery)', () =>
      assertCandlesHeldWithoutHole(client, api, from).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\nworker log:\n${stack.workerLines(/candle|backfill|lease|took|streaming|released/i)}`);
      }),
    );
  });
});
