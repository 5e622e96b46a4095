/**
 * Faults of the exchange (the simulator process, through its HTTP fault
 * control) under simulate + worker + gateway processes, observed through the
 * gateway by the browser-side client library: the exchange drops every socket,
 * and, separately, stalls (no data while the socket stays open, which the
 * worker must detect by silence). The client must see the upstream go
 * `disconnected` and `live` again in status messages, keep its own socket,
 * and get data again on every channel without a silent hole.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusMessage } from '../../src/schemas/index.js';
import { waitFor } from '../helpers/wait-for.js';
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
/** Longer than BYBIT_SILENCE_TIMEOUT_MS (1.5 s in FAST_LINK_ENV), shorter than CHANNEL_STALE_MS (5 s). */
const STALL_MS = 4_000;

interface Observed {
  readonly stack: ProcessStack;
  readonly client: RecordingClient;
  readonly from: Map<string, number>;
  readonly statusesBefore: number;
  readonly statesBefore: number;
}

async function startObserved(t: TestContext): Promise<Observed> {
  const stack = await startProcessStack(t);
  const client = new RecordingClient({ url: stack.gateways[0]!.ws });
  stack.defer(() => client.close());
  await client.updatesOnEveryChannel('updates on every channel before the fault', 5, 20_000);
  const from = await client.liveConfirmedCandles(10_000);
  return { stack, client, from, statusesBefore: client.statuses.length, statesBefore: client.states.length };
}

const linkStatus = (status: StatusMessage) => status.channels.length === 0 && status.upstream === 'bybit:linear';

/** The link statuses received since the fault: `disconnected` (or `stale`) first, `live` last. */
async function waitForLinkDownThenLive(observed: Observed): Promise<StatusMessage[]> {
  const { client, statusesBefore } = observed;
  const since = () => client.statuses.slice(statusesBefore).filter(linkStatus);
  await client.waitFor(
    'status: the upstream link disconnected (or stale), then live again',
    () => {
      const states = since().map((status) => status.state);
      const down = states.findIndex((state) => state === 'disconnected' || state === 'stale');
      return down >= 0 && states.at(-1) === 'live' && states.lastIndexOf('live') > down;
    },
    15_000,
  );
  return since();
}

/** Data again on every channel, candles final past the fault, nothing exited, no silent hole. */
async function assertRecovered(t: TestContext, observed: Observed, resumedFrom: Map<string, number>): Promise<void> {
  const { stack, client, from, statesBefore } = observed;
  await client.updatesOnEveryChannel('updates resume on every channel', 5, 15_000, resumedFrom);
  await client.waitFor(
    'candles confirmed after the fault on both timeframes',
    () => latestConfirmed(client, 'candles:BTCUSDT:1') >= from.get('candles:BTCUSDT:1')! + 8 * MINUTE_MS && latestConfirmed(client, 'candles:BTCUSDT:5') >= from.get('candles:BTCUSDT:5')! + 10 * MINUTE_MS,
    20_000,
  );
  await waitFor('/health: upstream live again', async () => ((await getJson(`${stack.gateways[0]!.api}/health`)).body.upstream as { state?: string }).state === 'live', 10_000);
  t.diagnostic(`after the fault: ${client.describe().replace(/\n/g, '; ')}`);
  assert.deepEqual(stack.exited().map((p) => p.child.spawnargs[2]), [], 'no tickstream process exited');
  assert.equal(client.states.length, statesBefore, 'the client socket to the gateway stayed up');
  assert.deepEqual(client.errors, [], 'no error message on any channel');
  for (const [channel, log] of client.logs) assertNoSilentHole(channel, log);
  await t.test('no hole in the confirmed candles held (received, plus REST after recovery)', () =>
    assertCandlesHeldWithoutHole(client, stack.gateways[0]!.api, from),
  );
}

describe('fault: the exchange misbehaves under simulate + worker + gateway (processes)', () => {
  it('drops every connection: status disconnected then live, data resumes', async (t) => {
    const observed = await startObserved(t);
    const resumedFrom = observed.client.counts();
    const { dropped } = (await observed.stack.fault('dropConnections')) as { dropped: number };
    assert.equal(dropped, 1, 'the worker had one socket to the exchange');
    const statuses = await waitForLinkDownThenLive(observed);
    assert.match(statuses.find((status) => status.state === 'disconnected')?.reason ?? '', /socket closed \(1006\)/);
    await observed.stack.worker.waitForOutput(/bybit socket closed; reconnecting/, 1_000);
    await assertRecovered(t, observed, resumedFrom);
  });

  it('stalls (socket open, no data): the worker notices the silence, status disconnected then live, data resumes', async (t) => {
    const observed = await startObserved(t);
    const { stack, client } = observed;
    const resumedFrom = client.counts();
    await stack.fault('stallData', { durationMs: STALL_MS });
    const stalledAt = Date.now();
    // While the exchange is silent the gateway's health shows the upstream down, not the gateway.
    await waitFor(
      '/health during the stall: degraded, upstream disconnected, Redis connected',
      async () => {
        const { status, body } = await getJson(`${stack.gateways[0]!.api}/health`);
        return status === 200 && body.status === 'degraded' && body.redis === 'connected' && (body.upstream as { state?: string }).state === 'disconnected';
      },
      STALL_MS,
    );
    const statuses = await waitForLinkDownThenLive(observed);
    const live = statuses.at(-1)!;
    assert.ok(Date.parse(live.timestamp) >= stalledAt + STALL_MS - 500, `live again only once data flows (${live.timestamp})`);
    assert.match(stack.worker.output(), /"reason":"silence".*bybit link dead/, 'the worker declared the silent link dead');
    await assertRecovered(t, observed, resumedFrom);
  });
});
