/**
 * One client's position in one channel: the snapshot/update stitching.
 *
 * Joining: the hub subscription is active first, live updates arriving
 * meanwhile are held; then the snapshot (or, with `since`, the history after
 * it) is sent, and held updates follow from snapshot.seq + 1. Live: an update
 * with the next seq is sent, an old one dropped (never a duplicate), and a
 * jump (Pub/Sub lost something) is repaired from the bus history, or, when the
 * history no longer reaches back, by a fresh snapshot marked `reset` (never a
 * silent hole). A slow client gets latest-state channels conflated
 * (update-conflater.ts) instead of a backlog.
 *
 * A read for a subscription that is already live (a repair, a reset) waits out
 * a bus outage for a while instead of ending the subscription: the gateway's
 * two Redis connections reconnect on their own backoffs, so updates may flow
 * again before history can be read, and the client hears of the outage from the
 * link status anyway. A read the client just asked for (subscribe, `since`)
 * fails at once with UNAVAILABLE.
 * @module
 */
import { BusUnavailableError, type ChannelHistory } from '../bus/market-bus.js';
import { UpdateConflater, conflationKind, type ConflationKind } from './update-conflater.js';

export interface CursorIo {
  send(data: Buffer | string): void;
  /** The client's send buffer is over the soft bound: conflate what can be conflated. */
  congested(): boolean;
  /** Calls back once the send buffer is back under the soft bound. */
  whenDrained(callback: () => void): void;
  /** An update was not sent as such (conflated or superseded by a snapshot). */
  dropped(reason: 'conflated'): void;
  /** The snapshot message (serialized; possibly shared with other clients, so never changed) and the seq it contains. */
  readSnapshot(reset: boolean): Promise<{ payload: Buffer | string; seq: number }>;
  readHistory(sinceSeq: number): Promise<ChannelHistory>;
  /** The cursor cannot go on (bus error, too far behind): tell the client and drop the subscription. */
  fail(reason: string): void;
}

type CursorState = 'joining' | 'live' | 'repairing' | 'closed';

interface HeldUpdate {
  readonly seq: number;
  readonly data: Buffer;
}

/** Snapshot resets in a row before giving up on a channel that keeps losing updates. */
const MAX_CONSECUTIVE_RESETS = 3;

/** How a live subscription waits out a bus outage: longer than the bus's largest reconnect delay (5 s). */
export interface BusPatience {
  readonly totalMs: number;
  /** Between two tries (jittered by up to half, so thousands of cursors do not retry in step). */
  readonly retryMs: number;
}
const BUS_PATIENCE: BusPatience = { totalMs: 10_000, retryMs: 250 };

export class ChannelCursor {
  private state: CursorState = 'joining';
  private lastSeq = 0;
  /** Updates waiting for the snapshot or a repair; undefined while there are none (memory per connection). */
  private held: HeldUpdate[] | undefined;
  private resetsInARow = 0;
  private readonly conflationKind: ConflationKind;
  /** Created when the client is first congested: most never are. */
  private conflater: UpdateConflater | undefined;

  constructor(
    readonly channel: string,
    private readonly io: CursorIo,
    private readonly maxHeld: number,
    private readonly patience: BusPatience = BUS_PATIENCE,
  ) {
    this.conflationKind = conflationKind(channel);
  }

  get position(): number {
    return this.lastSeq;
  }

  /** Starts the stream: a snapshot, or (with `since`) only what the client missed. */
  async start(since?: number): Promise<void> {
    if (since !== undefined) {
      let history: ChannelHistory;
      try {
        history = await this.io.readHistory(since);
      } catch (error) {
        // As for a snapshot read: tell the client (UNAVAILABLE) rather than leave it subscribed to nothing.
        this.failWith(`history unavailable: ${(error as Error).message}`);
        return;
      }
      if (this.isClosed()) return;
      if (history.complete && since <= history.seq) {
        for (const payload of history.payloads) this.io.send(payload);
        this.lastSeq = history.seq;
        this.goLive();
        return;
      }
    }
    await this.sendSnapshot(since !== undefined);
  }

  deliver(seq: number, data: Buffer): void {
    switch (this.state) {
      case 'closed':
        return;
      case 'joining':
      case 'repairing':
        this.hold(seq, data);
        return;
      case 'live':
        if (seq <= this.lastSeq) return;
        if (seq === this.lastSeq + 1) {
          this.lastSeq = seq;
          this.resetsInARow = 0;
          this.sendLive(data);
          return;
        }
        this.hold(seq, data);
        void this.repair();
        return;
    }
  }

  /** Sends one in-order update, or conflates it while the client is slow. */
  private sendLive(data: Buffer): void {
    if (this.conflationKind !== 'none' && this.io.congested()) {
      const conflater = (this.conflater ??= new UpdateConflater(this.conflationKind));
      const first = !conflater.pending;
      conflater.absorb(data);
      this.io.dropped('conflated');
      if (first) this.io.whenDrained(() => this.flushConflated());
      return;
    }
    if (this.conflater?.pending) this.flushConflated();
    if (!this.isClosed() && this.state === 'live') this.io.send(data);
  }

  /** The client caught up: send the newest state of what was conflated. */
  private flushConflated(): void {
    if (this.isClosed() || !this.conflater?.pending) return;
    const { payloads, resnapshot } = this.conflater.take();
    if (resnapshot) {
      void this.sendSnapshot(true, false);
      return;
    }
    for (const payload of payloads) this.io.send(payload);
  }

  /** A method, not a field check, so TypeScript does not narrow it across awaits. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  close(): void {
    this.state = 'closed';
    this.held = undefined;
  }

  private hold(seq: number, data: Buffer): void {
    if (this.held && this.held.length >= this.maxHeld) {
      // Too far behind to catch up update by update: start over from a snapshot.
      this.held = undefined;
      if (this.state === 'live') void this.sendSnapshot(true);
      return;
    }
    (this.held ??= []).push({ seq, data });
  }

  /**
   * `countAsReset`: resets caused by lost updates count toward giving up; a slow client's catch-up does not.
   * A subscription that was already streaming (not joining) waits out a bus outage.
   */
  private async sendSnapshot(reset: boolean, countAsReset = reset): Promise<void> {
    const live = this.state !== 'joining';
    this.state = 'joining';
    try {
      const snapshot = live ? await this.waitingOutOutage(() => this.io.readSnapshot(reset)) : await this.io.readSnapshot(reset);
      if (this.isClosed()) return;
      this.io.send(snapshot.payload);
      this.lastSeq = snapshot.seq;
      if (countAsReset) this.resetsInARow++;
      this.goLive();
    } catch (error) {
      this.failWith(`snapshot unavailable: ${(error as Error).message}`);
    }
  }

  /** Sends held updates in order; a hole before them goes to repair. */
  private goLive(): void {
    if (this.isClosed()) return;
    this.state = 'live';
    const held = this.held?.sort((a, b) => a.seq - b.seq) ?? [];
    this.held = undefined;
    for (let i = 0; i < held.length; i++) {
      const update = held[i]!;
      if (update.seq <= this.lastSeq) continue;
      if (update.seq !== this.lastSeq + 1) {
        this.held = held.slice(i);
        void this.repair();
        return;
      }
      this.lastSeq = update.seq;
      this.sendLive(update.data);
    }
  }

  private async repair(): Promise<void> {
    if (this.state !== 'live') return;
    this.state = 'repairing';
    if (this.resetsInARow >= MAX_CONSECUTIVE_RESETS) {
      this.failWith('the channel keeps losing updates');
      return;
    }
    try {
      const history = await this.waitingOutOutage(() => this.io.readHistory(this.lastSeq));
      if (this.isClosed()) return;
      if (!history.complete) {
        await this.sendSnapshot(true);
        return;
      }
      for (const payload of history.payloads) {
        const seq = this.lastSeq + 1;
        this.io.send(payload);
        this.lastSeq = seq;
      }
      this.lastSeq = Math.max(this.lastSeq, history.seq);
      this.goLive();
    } catch (error) {
      this.failWith(`history unavailable: ${(error as Error).message}`);
    }
  }

  /** Runs `read`, trying again while the bus is unavailable, up to the patience; other errors fail at once. */
  private async waitingOutOutage<T>(read: () => Promise<T>): Promise<T> {
    const deadline = performance.now() + this.patience.totalMs;
    for (;;) {
      try {
        return await read();
      } catch (error) {
        const waitMs = this.patience.retryMs * (0.5 + Math.random() / 2);
        if (!(error instanceof BusUnavailableError) || this.isClosed() || performance.now() + waitMs > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        if (this.isClosed()) throw error;
      }
    }
  }

  private failWith(reason: string): void {
    if (this.isClosed()) return;
    this.close();
    this.io.fail(reason);
  }
}
