/**
 * Heartbeats spread over the interval (heartbeats.ts): every client once per
 * interval, a tenth of them per tick, each always in its own slot, and a client
 * that missed its pong cut off. The sockets behind it are covered end to end by
 * heartbeat-shutdown.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HEARTBEAT_SLICES, Heartbeats, type HeartbeatClient } from '../../src/gateway/heartbeats.js';
import { delay } from '../helpers/wait-for.js';

class RecordingClient implements HeartbeatClient {
  alive = true;
  /** performance.now() of every heartbeat, and what it carried. */
  readonly beats: { atMs: number; message: { type: string; timestamp: string } }[] = [];
  pings = 0;

  constructor(private readonly answersPings: boolean) {}

  send(data: Buffer): void {
    this.beats.push({ atMs: performance.now(), message: JSON.parse(data.toString()) as { type: string; timestamp: string } });
  }

  ping(): void {
    this.pings++;
    if (this.answersPings) setImmediate(() => (this.alive = true));
  }
}

describe('heartbeats', () => {
  it('visits every client once per interval, a slice per tick, each client an interval apart', async (t) => {
    const intervalMs = 200;
    const clients = Array.from({ length: 95 }, () => new RecordingClient(true));
    const heartbeats = new Heartbeats<RecordingClient>(intervalMs, () => assert.fail('no client is dead'));
    for (const client of clients) heartbeats.add(client);
    heartbeats.start();
    t.after(() => heartbeats.stop());
    await delay(intervalMs * 3 + intervalMs / 2);
    heartbeats.stop();

    // Once per interval (timers on a loaded machine may slip a little, never to every tick).
    for (const client of clients) {
      assert.ok(client.beats.length >= 2 && client.beats.length <= 4, `${client.beats.length} heartbeats in 3.5 intervals`);
      assert.equal(client.pings, client.beats.length, 'a ping with every heartbeat');
      for (let i = 1; i < client.beats.length; i++) {
        const gap = client.beats[i]!.atMs - client.beats[i - 1]!.atMs;
        assert.ok(gap > intervalMs * 0.5 && gap < intervalMs * 2, `heartbeats ${gap.toFixed(0)} ms apart`);
      }
      assert.equal(client.beats[0]!.message.type, 'heartbeat');
      assert.ok(Math.abs(Date.parse(client.beats[0]!.message.timestamp) - Date.now()) < 5_000);
    }
    // Spread: the first heartbeats come in HEARTBEAT_SLICES batches (one per timer callback: its sends are
    // microseconds apart, the callbacks a tenth of the interval), none larger than its slice.
    const firsts = clients.map((client) => client.beats[0]!.atMs).sort((a, b) => a - b);
    const batches = [1];
    for (let i = 1; i < firsts.length; i++) {
      if (firsts[i]! - firsts[i - 1]! > 5) batches.push(1);
      else batches[batches.length - 1]!++;
    }
    assert.equal(batches.length, HEARTBEAT_SLICES, `first heartbeats in ${batches.length} batches: ${JSON.stringify(batches)}`);
    assert.ok(Math.max(...batches) <= Math.ceil(clients.length / HEARTBEAT_SLICES), JSON.stringify(batches));
  });

  it('cuts off a client that did not answer the previous ping, once; a removed client is not visited', async (t) => {
    const intervalMs = 100;
    const dead: RecordingClient[] = [];
    const heartbeats = new Heartbeats<RecordingClient>(intervalMs, (client) => {
      dead.push(client);
      heartbeats.delete(client);
    });
    const healthy = new RecordingClient(true);
    const silent = new RecordingClient(false);
    const removed = new RecordingClient(true);
    for (const client of [healthy, silent, removed]) heartbeats.add(client);
    heartbeats.delete(removed);
    heartbeats.start();
    t.after(() => heartbeats.stop());
    await delay(intervalMs * 4);
    heartbeats.stop();
    assert.deepEqual(dead, [silent], 'the silent client, once');
    assert.equal(silent.pings, 1, 'pinged once, then found dead at its next visit');
    assert.ok(healthy.pings >= 3);
    assert.equal(removed.pings, 0);
  });
});
