/** The stitching rules of ChannelCursor, driven step by step (no sockets, no timers). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BusUnavailableError, type ChannelHistory } from '../../src/bus/market-bus.js';
import { ChannelCursor, type CursorIo } from '../../src/gateway/channel-cursor.js';

const update = (seq: number, extra: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ type: 'update', seq, ...extra }));

class FakeIo implements CursorIo {
  sent: { seq: number; type: string; reset?: boolean }[] = [];
  failures: string[] = [];
  isCongested = false;
  drainCallbacks: (() => void)[] = [];
  droppedCount = 0;
  snapshotSeq = 10;
  history: (since: number) => ChannelHistory = (since) => ({ seq: since, payloads: [], complete: true });
  private releaseSnapshot: (() => void) | undefined;
  holdSnapshots = false;

  send(data: Buffer | string): void {
    this.sent.push(JSON.parse(data.toString()) as { seq: number; type: string });
  }
  congested(): boolean {
    return this.isCongested;
  }
  whenDrained(callback: () => void): void {
    this.drainCallbacks.push(callback);
  }
  dropped(): void {
    this.droppedCount++;
  }
  async readSnapshot(reset: boolean): Promise<{ payload: string; seq: number }> {
    if (this.holdSnapshots) await new Promise<void>((resolve) => (this.releaseSnapshot = resolve));
    return { payload: JSON.stringify({ type: 'snapshot', seq: this.snapshotSeq, ...(reset ? { reset: true } : {}) }), seq: this.snapshotSeq };
  }
  release(): void {
    this.releaseSnapshot?.();
  }
  readHistory(since: number): Promise<ChannelHistory> {
    return Promise.resolve(this.history(since));
  }
  fail(reason: string): void {
    this.failures.push(reason);
  }
  seqs(): number[] {
    return this.sent.map((m) => m.seq);
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ChannelCursor', () => {
  it('holds live updates while the snapshot is read, then continues at snapshot.seq + 1 without duplicates', async () => {
    const io = new FakeIo();
    io.holdSnapshots = true;
    const cursor = new ChannelCursor('ticker:BTCUSDT', io, 100);
    const started = cursor.start();
    for (const seq of [9, 10, 11, 12]) cursor.deliver(seq, update(seq));
    io.release();
    await started;
    cursor.deliver(12, update(12));
    cursor.deliver(13, update(13));
    assert.deepEqual(io.sent.map((m) => [m.type, m.seq]), [['snapshot', 10], ['update', 11], ['update', 12], ['update', 13]]);
  });

  it('repairs a hole from the history', async () => {
    const io = new FakeIo();
    const cursor = new ChannelCursor('ticker:BTCUSDT', io, 100);
    await cursor.start();
    io.history = (since) => ({ seq: 13, payloads: [11, 12, 13].filter((s) => s > since).map((s) => update(s).toString()), complete: true });
    cursor.deliver(13, update(13));
    cursor.deliver(14, update(14));
    await tick();
    assert.deepEqual(io.seqs(), [10, 11, 12, 13, 14]);
  });

  it('sends a reset snapshot when the history no longer reaches back', async () => {
    const io = new FakeIo();
    const cursor = new ChannelCursor('ticker:BTCUSDT', io, 100);
    await cursor.start();
    io.history = () => ({ seq: 30, payloads: [], complete: false });
    io.snapshotSeq = 30;
    cursor.deliver(25, update(25));
    await tick();
    cursor.deliver(31, update(31));
    assert.deepEqual(io.sent.map((m) => [m.type, m.seq, m.reset ?? false]), [['snapshot', 10, false], ['snapshot', 30, true], ['update', 31, false]]);
  });

  it('resumes from `since` with the history only, or resets when the history is gone or from another epoch', async () => {
    const io = new FakeIo();
    io.history = (since) => ({ seq: 8, payloads: [6, 7, 8].filter((s) => s > since).map((s) => update(s).toString()), complete: true });
    const resumed = new ChannelCursor('ticker:BTCUSDT', io, 100);
    await resumed.start(5);
    assert.deepEqual(io.sent.map((m) => [m.type, m.seq]), [['update', 6], ['update', 7], ['update', 8]]);

    const gone = new FakeIo();
    gone.history = () => ({ seq: 50, payloads: [], complete: false });
    await new ChannelCursor('ticker:BTCUSDT', gone, 100).start(5);
    assert.deepEqual(gone.sent.map((m) => [m.type, m.reset]), [['snapshot', true]]);

    const future = new FakeIo();
    future.history = () => ({ seq: 8, payloads: [], complete: true });
    await new ChannelCursor('ticker:BTCUSDT', future, 100).start(99);
    assert.deepEqual(future.sent.map((m) => [m.type, m.reset]), [['snapshot', true]]);
  });

  it('a resume whose history cannot be read (bus down) fails the cursor at once, so the client hears of it', async () => {
    const io = new FakeIo();
    io.readHistory = () => Promise.reject(new BusUnavailableError('redis commands connection is down'));
    const cursor = new ChannelCursor('ticker:BTCUSDT', io, 100, { totalMs: 60_000, retryMs: 10_000 });
    await cursor.start(5);
    assert.deepEqual(io.failures, ['history unavailable: redis commands connection is down']);
    cursor.deliver(6, update(6));
    assert.deepEqual(io.sent, [], 'nothing sent after the failure');
  });

  it('a live subscription waits out a bus outage during a repair: updates are held, then the hole is repaired', async () => {
    const io = new FakeIo();
    const cursor = new ChannelCursor('ticker:BTCUSDT', io, 100, { totalMs: 2_000, retryMs: 20 });
    await cursor.start();
    // Updates flow again (the subscriber connection is back) while history cannot be read yet (commands are not).
    let refusals = 3;
    io.readHistory = (since) =>
      refusals-- > 0
        ? Promise.reject(new BusUnavailableError('redis commands connection is down'))
        : Promise.resolve({ seq: 13, payloads: [11, 12, 13].filter((s) => s > since).map((s) => update(s).toString()), complete: true });
    cursor.deliver(13, update(13));
    cursor.deliver(14, update(14));
    await new Promise((resolve) => setTimeout(resolve, 30));
    cursor.deliver(15, update(15));
    const until = Date.now() + 2_000;
    while (io.seqs().length < 6 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(io.failures, []);
    assert.equal(refusals, -1, 'the history was asked until it answered');
    assert.deepEqual(io.seqs(), [10, 11, 12, 13, 14, 15]);
  });

  it('a live subscription whose bus stays down past the patience ends with UNAVAILABLE; other errors end it at once', async () => {
    const io = new FakeIo();
    const cursor = new ChannelCursor('ticker:BTCUSDT', io, 100, { totalMs: 100, retryMs: 20 });
    await cursor.start();
    let tries = 0;
    io.readHistory = () => {
      tries++;
      return Promise.reject(new BusUnavailableError('redis commands connection is down'));
    };
    const startedAt = performance.now();
    cursor.deliver(13, update(13));
    while (io.failures.length === 0 && performance.now() - startedAt < 2_000) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(io.failures, ['history unavailable: redis commands connection is down']);
    assert.ok(tries >= 3, `${tries} tries`);
    assert.ok(performance.now() - startedAt >= 80, 'not before the patience ran out');

    const broken = new FakeIo();
    const other = new ChannelCursor('ticker:BTCUSDT', broken, 100, { totalMs: 60_000, retryMs: 10_000 });
    await other.start();
    broken.readHistory = () => Promise.reject(new Error('unexpected Redis reply'));
    other.deliver(13, update(13));
    await tick();
    await tick();
    assert.deepEqual(broken.failures, ['history unavailable: unexpected Redis reply']);
  });

  it('gives up (and says so) on a channel that keeps losing updates', async () => {
    const io = new FakeIo();
    const cursor = new ChannelCursor('ticker:BTCUSDT', io, 100);
    await cursor.start();
    io.history = () => ({ seq: 0, payloads: [], complete: false });
    let seq = 10;
    for (let i = 0; i < 5; i++) {
      seq += 5;
      io.snapshotSeq = seq;
      cursor.deliver(seq + 3, update(seq + 3));
      await tick();
      await tick();
    }
    assert.equal(io.failures.length, 1);
    assert.match(io.failures[0]!, /keeps losing updates/);
  });

  it('conflates a congested ticker to its newest update, sent once the client drains', async () => {
    const io = new FakeIo();
    const cursor = new ChannelCursor('ticker:BTCUSDT', io, 100);
    await cursor.start();
    io.isCongested = true;
    for (const seq of [11, 12, 13]) cursor.deliver(seq, update(seq));
    assert.deepEqual(io.seqs(), [10]);
    assert.equal(io.droppedCount, 3);
    io.isCongested = false;
    assert.equal(io.drainCallbacks.length, 1);
    io.drainCallbacks[0]!();
    cursor.deliver(14, update(14));
    assert.deepEqual(io.seqs(), [10, 13, 14]);
  });

  it('conflates candles per candle, keeping every candle touched (a confirmation is never skipped)', async () => {
    const io = new FakeIo();
    const cursor = new ChannelCursor('candles:BTCUSDT:1', io, 100);
    await cursor.start();
    io.isCongested = true;
    cursor.deliver(11, update(11, { candle: { timestamp: 60_000, confirm: false } }));
    cursor.deliver(12, update(12, { candle: { timestamp: 60_000, confirm: true } }));
    cursor.deliver(13, update(13, { candle: { timestamp: 120_000, confirm: false } }));
    cursor.deliver(14, update(14, { candle: { timestamp: 120_000, confirm: false } }));
    io.isCongested = false;
    io.drainCallbacks[0]!();
    assert.deepEqual(io.seqs(), [10, 12, 14]);
  });

  it('replaces a congested order book by a fresh snapshot instead of merging deltas', async () => {
    const io = new FakeIo();
    const cursor = new ChannelCursor('orderbook:BTCUSDT', io, 100);
    await cursor.start();
    io.isCongested = true;
    for (const seq of [11, 12, 13]) cursor.deliver(seq, update(seq));
    io.isCongested = false;
    io.snapshotSeq = 13;
    io.drainCallbacks[0]!();
    await tick();
    cursor.deliver(14, update(14));
    assert.deepEqual(io.sent.map((m) => [m.type, m.seq]), [['snapshot', 10], ['snapshot', 13], ['update', 14]]);
  });

  it('never conflates trades', async () => {
    const io = new FakeIo();
    const cursor = new ChannelCursor('trades:BTCUSDT', io, 100);
    await cursor.start();
    io.isCongested = true;
    for (const seq of [11, 12, 13]) cursor.deliver(seq, update(seq));
    assert.deepEqual(io.seqs(), [10, 11, 12, 13]);
    assert.equal(io.droppedCount, 0);
  });
});
