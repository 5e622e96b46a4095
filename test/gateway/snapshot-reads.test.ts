/**
 * Snapshot reads coalesced per turn (snapshot-reads.ts), on the real memory
 * bus: a reconnect storm must cost one bus read per channel, not one per
 * subscription, and no cursor may get a read sent before it asked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryBus, MemoryBroker } from '../../src/bus/memory-bus.js';
import { DEFAULT_BUS_LIMITS, type MarketBus } from '../../src/bus/market-bus.js';
import { SnapshotReads } from '../../src/gateway/snapshot-reads.js';
import { snapshotPayload } from '../../src/gateway/snapshot-messages.js';
import { tickerUpdate } from '../bus/market-fixtures.js';

/** The real bus, with its readSnapshot calls counted. */
function countingBus(bus: MarketBus): { bus: Pick<MarketBus, 'readSnapshot'>; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    bus: {
      readSnapshot: (channel, limit) => {
        reads.push(channel);
        return bus.readSnapshot(channel, limit);
      },
    },
  };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('snapshot reads', () => {
  it('subscriptions to one channel in one turn share one bus read; each channel and limit is read once', async (t) => {
    const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS, broker: new MemoryBroker() });
    t.after(() => bus.close());
    await bus.publish(tickerUpdate('BTCUSDT', '1.0'));
    await bus.publish(tickerUpdate('BTCUSDT', '2.0'));
    await bus.publish(tickerUpdate('ETHUSDT', '3.0'));
    const counted = countingBus(bus);
    let readsSent = 0;
    const snapshots = new SnapshotReads(counted.bus, () => readsSent++);
    const storm = [
      ...Array.from({ length: 500 }, () => snapshots.read('ticker:BTCUSDT', 1)),
      ...Array.from({ length: 300 }, () => snapshots.read('ticker:ETHUSDT', 1)),
      snapshots.read('ticker:BTCUSDT', 5),
    ];
    assert.deepEqual(counted.reads, [], 'nothing is read before the turn ends');
    const results = await Promise.all(storm);
    assert.deepEqual(counted.reads, ['ticker:BTCUSDT', 'ticker:ETHUSDT', 'ticker:BTCUSDT'], 'one read per channel and limit');
    assert.equal(readsSent, 3);
    assert.ok(results.slice(0, 500).every((data) => data.seq === 2 && data.subscription === 'ticker' && data.ticker?.lastPrice === '2.0'));
    assert.ok(results.slice(500, 800).every((data) => data.seq === 1 && data.subscription === 'ticker' && data.ticker?.lastPrice === '3.0'));
  });

  it('a request after the turn gets a read of its own, sent after it asked: it sees what was published before', async (t) => {
    const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS, broker: new MemoryBroker() });
    t.after(() => bus.close());
    await bus.publish(tickerUpdate('BTCUSDT', '1.0'));
    const counted = countingBus(bus);
    const snapshots = new SnapshotReads(counted.bus);
    const first = snapshots.read('ticker:BTCUSDT', 1);
    await nextTurn();
    await bus.publish(tickerUpdate('BTCUSDT', '2.0'));
    const second = snapshots.read('ticker:BTCUSDT', 1);
    assert.equal((await first).seq, 1);
    assert.equal((await second).seq, 2, 'not the earlier read');
    assert.equal(counted.reads.length, 2);
  });

  it('the clients of one read share its serialized bytes; flags and channel make their own', async (t) => {
    const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS, broker: new MemoryBroker() });
    t.after(() => bus.close());
    await bus.publish(tickerUpdate('BTCUSDT', '1.0'));
    const snapshots = new SnapshotReads(bus);
    const [first, second] = await Promise.all([snapshots.read('ticker:BTCUSDT', 1), snapshots.read('ticker:BTCUSDT', 1)]);
    const ref = { subscription: 'ticker', symbol: 'BTCUSDT' } as const;
    const plain = snapshotPayload(ref, first, { reset: false, simulated: false });
    assert.equal(snapshotPayload(ref, second, { reset: false, simulated: false }), plain, 'the same Buffer for every client of the read');
    const message = JSON.parse(plain.toString()) as Record<string, unknown>;
    assert.deepEqual([message.type, message.channel, message.seq, message.reset], ['snapshot', 'ticker:BTCUSDT', 1, undefined]);
    const reset = JSON.parse(snapshotPayload(ref, first, { reset: true, simulated: false }).toString()) as Record<string, unknown>;
    assert.equal(reset.reset, true);
    const other = JSON.parse(snapshotPayload({ subscription: 'ticker', symbol: 'ETHUSDT' }, first, { reset: false, simulated: false }).toString()) as Record<string, unknown>;
    assert.equal(other.channel, 'ticker:ETHUSDT', 'the same data object asked for under another channel is not served the first one\'s bytes');
  });

  it('a failed read fails every request that shared it', async () => {
    const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS, broker: new MemoryBroker() });
    await bus.close();
    const snapshots = new SnapshotReads(bus);
    const outcomes = await Promise.allSettled([snapshots.read('ticker:BTCUSDT', 1), snapshots.read('ticker:BTCUSDT', 1)]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['rejected', 'rejected']);
  });
});
