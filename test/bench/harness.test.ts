/**
 * The bench harness's own arithmetic and its bare client: a benchmark that
 * miscounts is worse than none. Real sockets, a real `ws` server.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { inBurst, LatencyHistogram, referenceOf, splitSymbols, updateFields, zipfAssignment } from '../../bench/harness/bench-common.js';
import { stampUpdate } from '../../src/bus/bus-semantics.js';
import type { UnsequencedUpdate } from '../../src/schemas/index.js';
import { RawWsClient } from '../../bench/harness/raw-ws-client.js';
import { knees, summarize } from '../../bench/harness/bench-report.js';
import { selfTimes } from '../../bench/harness/cpuprof-top.js';
import type { RunResult } from '../../bench/harness/bench-run.js';

describe('bench harness', () => {
  it('LatencyHistogram quantiles stay within 1.6% of the exact value across magnitudes', () => {
    const histogram = new LatencyHistogram();
    const values = Array.from({ length: 100_000 }, (_, i) => 1 + ((i * 7919) % 1_000_000));
    for (const value of values) histogram.record(value);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.01, 0.5, 0.9, 0.99, 0.999]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      const measured = histogram.quantile(q);
      assert.ok(measured >= exact && measured <= exact * 1.016 + 1, `q${q}: ${measured} vs exact ${exact}`);
    }
    const merged = new LatencyHistogram();
    merged.merge(JSON.parse(JSON.stringify(histogram.toJSON())) as ReturnType<LatencyHistogram['toJSON']>);
    assert.equal(merged.quantile(0.99), histogram.quantile(0.99), 'survives the IPC round trip');
  });

  it('zipfAssignment gives rank 1 the most clients, decreasing, and every client a symbol', () => {
    const assignment = zipfAssignment(10_000, 100);
    const counts = Array.from({ length: 100 }, (_, symbol) => assignment.filter((index) => index === symbol).length);
    assert.equal(assignment.length, 10_000);
    assert.ok(counts[0]! > counts[1]! && counts[1]! > counts[9]! && counts[9]! > counts[99]!, counts.slice(0, 10).join(','));
    // Zipf(1.1) over 100 symbols: rank 1 holds about 1 / H(100, 1.1) of the clients (~22%).
    assert.ok(counts[0]! > 1_900 && counts[0]! < 2_500, `rank 1: ${counts[0]}`);
  });

  it('a split feed maps each of its symbols to one reference symbol, and a reference symbol to all of its parts', () => {
    assert.deepEqual(splitSymbols(7, 100), [7], 'the reference feed: each symbol stands for itself');
    assert.deepEqual(splitSymbols(1, 1000), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    const seen = new Set<number>();
    for (let reference = 0; reference < 100; reference++) {
      for (const index of splitSymbols(reference, 1000)) {
        assert.equal(referenceOf(index, 1000), reference, `symbol ${index}`);
        seen.add(index);
      }
    }
    assert.equal(seen.size, 1000, 'every symbol of the split feed belongs to exactly one reference symbol');
    assert.throws(() => splitSymbols(0, 250), /multiple of 100/);
  });

  it('inBurst: the first second of every ten from the feed epoch, also for messages scheduled before it', () => {
    const epoch = 5_000_000;
    assert.equal(inBurst(epoch, epoch), true);
    assert.equal(inBurst(epoch + 999_999, epoch), true);
    assert.equal(inBurst(epoch + 1_000_000, epoch), false);
    assert.equal(inBurst(epoch + 20_500_000, epoch), true, 'the third burst');
    assert.equal(inBurst(epoch - 9_500_000, epoch), true, 'ten seconds before the epoch is a burst time too');
    assert.equal(inBurst(epoch - 500_000, epoch), false);
  });

  it('RawWsClient reads text frames of every length class, split or batched across TCP chunks, and answers pings', async (t) => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    t.after(
      () =>
        new Promise((resolve) => {
          for (const socket of server.clients) socket.terminate();
          server.close(resolve);
        }),
    );
    const messages = ['{"a":1}', 'x'.repeat(125), 'y'.repeat(126), 'z'.repeat(70_000), '{"last":true}'];
    let pong!: (data: string) => void;
    const ponged = new Promise<string>((resolve) => (pong = resolve));
    const subscribed = new Promise<string>((resolve) => {
      server.on('connection', (socket) => {
        socket.on('pong', (data) => pong(data.toString('utf8')));
        socket.once('message', (data) => {
          resolve((data as Buffer).toString());
          socket.ping('hi');
          for (const message of messages) socket.send(message);
        });
      });
    });
    const received: string[] = [];
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const client = new RawWsClient({
      onText: (chunk, start, end) => {
        received.push(chunk.toString('utf8', start, end));
        if (received.length === messages.length) done();
      },
      onClose: () => undefined,
    });
    await client.open(`ws://127.0.0.1:${(server.address() as { port: number }).port}/path?x=1`);
    t.after(() => client.destroy());
    client.sendText('{"type":"subscribe"}');
    assert.equal(await subscribed, '{"type":"subscribe"}', 'a masked client frame the server decodes');
    await all;
    assert.deepEqual(received, messages);
    assert.equal(await ponged, 'hi', 'a ping answered with its payload');
  });

  it('updateFields finds channel, the stamped seq and both bench times in a real bus payload', () => {
    // An order-book delta carries its own `seq` (Bybit's) inside `book`; the stamped one must win.
    const update = {
      type: 'update', subscription: 'orderbook', channel: 'orderbook:BTCUSDT', symbol: 'BTCUSDT', received_at: new Date(0).toISOString(), exchange_ts: 0,
      depth: 50, action: 'delta', book: { bids: [['100.00', '1.000']], asks: [], updateId: 7, prevUpdateId: 6, seq: 987654, timestamp: 0 },
      bench_t: 123456789, bench_sent: 123456999,
    } as unknown as UnsequencedUpdate;
    const fields = updateFields(Buffer.from(stampUpdate(update, 42).payload));
    assert.deepEqual(fields, { channel: 'orderbook:BTCUSDT', seq: 42, scheduledUs: 123456789, sentUs: 123456999 });
    const bare = updateFields(Buffer.from('{"type":"update","channel":"trades:ETHUSDT","seq":5}'));
    assert.equal(bare.seq, 5);
    assert.ok(Number.isNaN(bare.scheduledUs) && Number.isNaN(bare.sentUs), 'absent bench times are NaN, not 0');
  });

  it('summarize takes medians over repeats and knees name the first load not carried', () => {
    const row = (connections: number, p99Ms: number, delivered: number, offered: number): RunResult => ({
      server: 's', scenario: 'zipf', connections, connected: connections, offeredPerS: offered, deliveredPerS: delivered,
      p50Ms: 1, p99Ms, p999Ms: p99Ms, cpuSecondsPer100k: 0.5, kernelCpuShare: 0.6, messagesPerWrite: 1.2, errorCodes: {}, serverCpuShare: 0.5, serverRssMb: 100, lost: 0, reordered: 0,
      closedDuringRun: 0, errors: 0, fromSendP50Ms: 1, fromSendP99Ms: p99Ms, calmP50Ms: 1, calmP99Ms: p99Ms, burstP50Ms: 2, burstP99Ms: p99Ms, burstShare: 0.3, feedLagP99Ms: 1, publishHopP50Ms: 0.1, publishHopP99Ms: 0.4, redisHopP50Ms: 0.1, redisHopP99Ms: 1, clientCpuShare: 0.5,
      clientLoopDelayP99Ms: 5, clientLoopDelayMaxMs: 9, serverLoopDelayP99Ms: 1, serverLoopDelayMaxMs: 2, loadCpuShare: 0.5, clientBound: false, loadBound: false, windowStartUs: 0, windowEndUs: 10_000_000,
    });
    const summaries = summarize([row(1000, 5, 50_000, 50_000), row(1000, 9, 50_000, 50_000), row(1000, 7, 50_000, 50_000), row(5000, 80, 240_000, 250_000)]);
    const first = summaries.find((s) => s.connections === 1000)!;
    assert.equal(first.median.p99Ms, 7);
    assert.deepEqual(first.p99Range, [5, 9]);
    assert.deepEqual(knees(summaries), ['s: carried 50000 msgs/s (1000 connections); knee at 5000 connections (p99 80 ms)']);
  });

  it('cpuprof-top sums self samples per function and place, largest first, with their share and time', () => {
    const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });
    const profile = {
      startTime: 0,
      endTime: 10_000, // µs: 10 ms over 10 samples, 1 ms each
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('deliver', 'file:///app/dist/gateway/client-session.js', 45) },
        { id: 3, callFrame: frame('writeBuffer') },
        // The same function reached by another path is another node: counted together.
        { id: 4, callFrame: frame('deliver', 'file:///app/dist/gateway/client-session.js', 45) },
        { id: 5, callFrame: frame('', 'file:///app/node_modules/ws/lib/sender.js', 9) },
      ],
      samples: [3, 3, 3, 3, 2, 4, 2, 5, 1, 3],
      timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
    };
    const rows = selfTimes(profile);
    assert.deepEqual(rows.map((row) => [row.name, row.samples]), [
      ['writeBuffer', 5],
      ['deliver dist/gateway/client-session.js:46', 3],
      ['(anonymous) node_modules/ws/lib/sender.js:10', 1],
      ['(root)', 1],
    ]);
    assert.equal(rows[0]!.share, 0.5);
    assert.equal(rows[1]!.ms, 3);
    // Only the samples inside a measurement window: those taken at 5..8 ms.
    const windowed = selfTimes(profile, { label: 'row', startUs: 5_000, endUs: 8_000 });
    assert.deepEqual(windowed.map((row) => [row.name, row.samples]), [
      ['deliver dist/gateway/client-session.js:46', 3],
      ['(anonymous) node_modules/ws/lib/sender.js:10', 1],
    ]);
    assert.equal(windowed[0]!.share, 0.75);
    assert.equal(windowed[0]!.ms, 2.25);
  });
});
