/**
 * Snapshot reads of one gateway, coalesced per event-loop turn: every
 * subscription to the same channel (with the same limit) made in one turn
 * shares one bus read.
 *
 * Why: a reconnect storm (a gateway restart, a network blip) brings thousands
 * of subscriptions to a few hundred channels within a second. With one read
 * each, 10k connections on 400 channels overran the bus's bound on pending
 * reads and 25k of their 40k subscriptions were answered UNAVAILABLE
 * (docs/benchmarks.md, the 10k row).
 *
 * Why per turn and not "join any read in flight": a cursor holds live updates
 * from its subscription on and continues them at the snapshot's seq + 1, so it
 * may only use a read sent after it began holding. A read queued in this turn
 * and sent when the turn ends (setImmediate) is such a read for every cursor
 * that joined it: sharing it is the same as each cursor sending its own then.
 * @module
 */
import type { ChannelSnapshotData, MarketBus } from '../bus/market-bus.js';

interface QueuedRead {
  readonly channel: string;
  readonly limit: number;
  readonly waiters: { resolve: (data: ChannelSnapshotData) => void; reject: (error: unknown) => void }[];
}

export class SnapshotReads {
  private queued = new Map<string, QueuedRead>();

  /** `onRead` learns of each bus read (the gateway counts them). */
  constructor(
    private readonly bus: Pick<MarketBus, 'readSnapshot'>,
    private readonly onRead: () => void = () => undefined,
  ) {}

  /** The channel's snapshot, read from the bus when this turn ends, once for all who ask in it. The data is shared: read-only. */
  read(channel: string, limit: number): Promise<ChannelSnapshotData> {
    const key = `${limit} ${channel}`;
    let read = this.queued.get(key);
    if (!read) {
      if (this.queued.size === 0) setImmediate(() => this.send());
      read = { channel, limit, waiters: [] };
      this.queued.set(key, read);
    }
    const waiters = read.waiters;
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  private send(): void {
    const reads = this.queued;
    this.queued = new Map();
    for (const { channel, limit, waiters } of reads.values()) {
      this.onRead();
      this.bus.readSnapshot(channel, limit).then(
        (data) => {
          for (const waiter of waiters) waiter.resolve(data);
        },
        (error: unknown) => {
          for (const waiter of waiters) waiter.reject(error);
        },
      );
    }
  }
}
