/**
 * Fault: the gateway a client is connected to dies (SIGKILL: no close frame,
 * no goodbye). The browser-side client library, given both gateways' URLs,
 * moves to the other one and resumes every subscription with `since`: each
 * channel's seq goes on with no hole and no duplicate and no new snapshot,
 * no trade is missing or delivered twice (checked against an independent
 * Redis subscriber), and the candles held have no hole.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TradeUpdate } from '../../src/schemas/index.js';
import { ChannelObserver } from '../helpers/channel-observer.js';
import { waitFor } from '../helpers/wait-for.js';
import { RecordingClient, assertCandlesHeldWithoutHole, getJson, latestConfirmed, startProcessStack, tradeIds, type GatewayProcess } from '../helpers/process-stack.js';

const MINUTE_MS = 60_000;

describe('fault: the gateway a client is on is killed (processes: simulate + worker + 2 gateways)', () => {
  it('the client fails over to the other gateway and resumes every channel with since: no hole, no duplicate, no trade lost', async (t) => {
    const stack = await startProcessStack(t, { gateways: 2 });
    const [a, b] = stack.gateways as [GatewayProcess, GatewayProcess];
    const observer = await ChannelObserver.start(stack.redis.url);
    stack.defer(() => observer.close());
    // Reconnect after exactly 1 s (jitter pinned): updates published meanwhile must come from B's replay.
    const client = new RecordingClient({ url: [a.ws, b.ws], reconnectBaseMs: 1_000, random: () => 1 });
    stack.defer(() => client.close());
    await client.updatesOnEveryChannel('updates on every channel through gateway A', 5, 20_000);
    assert.equal(client.client.url, a.ws, 'connected to the first URL');
    const from = await client.liveConfirmedCandles(10_000);
    const killedAt = client.counts();
    const statesBefore = client.states.length;

    a.process.child.kill('SIGKILL');
    assert.equal((await a.process.exited(5_000)).signal, 'SIGKILL');
    await client.waitFor('the client reconnects, to gateway B', () => client.client.state === 'live' && client.states.length > statesBefore, 10_000);
    assert.deepEqual(
      client.states.slice(statesBefore).map((change) => [change.state, change.url]),
      [
        ['reconnecting', b.ws],
        ['connecting', b.ws],
        ['live', b.ws],
      ],
      'one reconnect, straight to the other gateway',
    );
    await client.updatesOnEveryChannel('updates on every channel through gateway B', 5, 15_000, killedAt);
    await client.waitFor(
      'candles confirmed after the failover on both timeframes',
      () => latestConfirmed(client, 'candles:BTCUSDT:1') >= from.get('candles:BTCUSDT:1')! + 4 * MINUTE_MS && latestConfirmed(client, 'candles:BTCUSDT:5') >= from.get('candles:BTCUSDT:5')! + 5 * MINUTE_MS,
      15_000,
    );
    t.diagnostic(`after the failover: ${client.describe().replace(/\n/g, '; ')}`);

    // Gateway B serves this client now: it counts it as the subscriber of every channel.
    const { body } = await getJson(`${b.api}/channels`);
    const subscribers = new Map((body.channels as { channel: string; subscribers: number }[]).map((entry) => [entry.channel, entry.subscribers]));
    for (const channel of client.logs.keys()) assert.equal(subscribers.get(channel), 1, `gateway B holds ${channel}`);
    assert.deepEqual(stack.exited(), [a.process], 'only the killed gateway exited');
    assert.deepEqual(client.errors, [], 'no error message');

    for (const [channel, log] of client.logs) {
      assert.equal(log.snapshots.length, 1, `${channel}: resumed with since (a replay), not a new snapshot`);
      const seqs = log.updates.map((update) => update.seq);
      assert.equal(seqs[0], log.snapshots[0]!.seq + 1, `${channel}: the first update follows the snapshot`);
      for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1, `${channel}: seq ${seqs[i]} after ${seqs[i - 1]}`);
    }

    // Trades: exactly the ones published (as an independent Redis subscriber saw them) for the seqs received.
    const trades = client.log('trades:BTCUSDT');
    const ids = tradeIds({ ...trades, events: trades.events.filter((event) => event.kind === 'update') });
    assert.equal(new Set(ids).size, ids.length, 'no trade delivered twice');
    const received = new Set(trades.updates.map((update) => update.seq));
    await waitFor('the observer has every trades update the client got', () => observer.on('trades:BTCUSDT').filter((u) => received.has(u.seq)).length === received.size, 5_000);
    const published = (observer.on('trades:BTCUSDT') as TradeUpdate[]).filter((update) => received.has(update.seq)).flatMap((update) => update.trades.map((trade) => trade.id));
    assert.deepEqual(ids, published, 'the same trades, in the same order, as published');

    // The client alone holds every candle: nothing to fill from REST after a failover.
    await assertCandlesHeldWithoutHole(client, undefined, from).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nworker log:\n${stack.workerLines(/candle|backfill|lease|acquired|released|reconnect|closed/i)}`);
    });
  });
});
