/**
 * The MarketBus contract: one suite, run by memory-bus.test.ts and
 * redis-bus.test.ts, so both implementations are held to the same semantics
 * (the doc comments in src/bus/market-bus.ts). A factory call stands for one
 * process: buses from the same factory share a backend (one Redis, or one
 * MemoryBroker). Each test uses its own key prefix, so tests never see each
 * other's state; negative checks ("nothing arrived") are closed by a sentinel
 * message that must arrive after anything that should not have.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BusUnavailableError,
  DEFAULT_BUS_LIMITS,
  type BusLimits,
  type BusOptions,
  type MarketBus,
  type PublishedUpdate,
} from '../../src/bus/market-bus.js';
import { candlesChannel, orderBookChannel, STATUS_CHANNEL, tickerChannel, tradesChannel, type TradeData } from '../../src/schemas/index.js';
import { book, bookUpdate, candleUpdate, MINUTE_MS, statusMessage, T0_MS, tickerUpdate, tradeUpdate } from './market-fixtures.js';
import { PayloadCollector, settleEventLoop, within } from './payload-collector.js';

export type BusFactory = (options: BusOptions) => MarketBus | Promise<MarketBus>;

let prefixCounter = 0;
const runId = Math.random().toString(36).slice(2, 8);

export function marketBusContract(name: string, createBus: BusFactory): void {
  void describe(`MarketBus contract: ${name}`, () => {
    const open: MarketBus[] = [];
    let prefix = '';

    /** A bus on the shared backend under this test's prefix (or another prefix). */
    async function bus(limits: Partial<BusLimits> = {}, busPrefix = prefix): Promise<MarketBus> {
      const created = await createBus({ prefix: busPrefix, limits: { ...DEFAULT_BUS_LIMITS, ...limits } });
      open.push(created);
      return created;
    }

    function newPrefix(): string {
      prefixCounter++;
      return `c${runId}-${prefixCounter}:`;
    }

    async function subscribed(target: MarketBus, channel: string): Promise<PayloadCollector> {
      const collector = new PayloadCollector();
      await target.subscribe(channel, collector.listener);
      return collector;
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((created) => created.close()));
      prefix = newPrefix();
    });
    prefix = newPrefix();

    void it('skipSeq leaves a hole consumers see; forgetChannel continues another publisher\'s sequence', async () => {
      const [first, second] = [await bus(), await bus()];
      const channel = tradesChannel('BTCUSDT');
      first.skipSeq(channel); // not seeded yet: nothing to use up
      assert.equal((await first.publish(tradeUpdate('BTCUSDT', ['1']))).update.seq, 1);
      first.skipSeq(channel);
      assert.equal((await first.publish(tradeUpdate('BTCUSDT', ['2']))).update.seq, 3, 'the skipped seq is a hole');
      assert.equal((await first.readHistory(channel, 0)).complete, false);
      assert.equal((await second.publish(tradeUpdate('BTCUSDT', ['3']))).update.seq, 4, 'another publisher continues from the store');
      first.forgetChannel(channel);
      assert.equal((await first.publish(tradeUpdate('BTCUSDT', ['4']))).update.seq, 5, 'a forgotten channel is seeded again');
    });

    void it('restores confirmed candles the store lost, without publishing or using a seq', async () => {
      const b = await bus({ candleHistorySize: 5 });
      const channel = candlesChannel('BTCUSDT', '1');
      const listener = await subscribed(b, channel);
      await b.publish(candleUpdate('BTCUSDT', T0_MS + 3 * MINUTE_MS, '3.0', true));
      const lost = [0, 1, 2].map((i) => candleUpdate('BTCUSDT', T0_MS + i * MINUTE_MS, `${i}.5`, true).candle);
      const stillOpen = candleUpdate('BTCUSDT', T0_MS + 4 * MINUTE_MS, '4.0', false).candle;
      const kept = candleUpdate('BTCUSDT', T0_MS + 3 * MINUTE_MS, '9.9', true).candle;
      assert.equal(await b.restoreCandles(channel, [...lost, kept, stillOpen]), 3, 'only missing, confirmed candles');
      const snapshot = await b.readSnapshot(channel);
      assert.equal(snapshot.subscription, 'candles');
      if (snapshot.subscription !== 'candles') return;
      assert.deepEqual(snapshot.candles.map((c) => [c.timestamp - T0_MS, c.close]), [[0, '0.5'], [MINUTE_MS, '1.5'], [2 * MINUTE_MS, '2.5'], [3 * MINUTE_MS, '3.0']]);
      assert.equal(snapshot.seq, 1, 'no seq used');
      assert.equal(await b.restoreCandles(channel, lost), 0, 'idempotent');
      await b.publish(candleUpdate('BTCUSDT', T0_MS + 5 * MINUTE_MS, '5.0', false));
      await listener.waitForCount(2);
      assert.deepEqual(listener.seqs(), [1, 2], 'restoring published nothing');
    });

    void it('stamps seq 1, 2, 3 per channel, each channel counting on its own', async () => {
      const b = await bus();
      const seqs = [];
      for (const update of [tickerUpdate('BTCUSDT', '1.0'), tickerUpdate('BTCUSDT', '2.0'), tickerUpdate('ETHUSDT', '3.0'), tickerUpdate('BTCUSDT', '4.0')]) {
        seqs.push((await b.publish(update)).update.seq);
      }
      assert.deepEqual(seqs, [1, 2, 1, 3]);
    });

    void it('applies concurrent publishes in call order: seq, delivery and history agree', async () => {
      const b = await bus();
      const channel = tradesChannel('BTCUSDT');
      const live = await subscribed(b, channel);
      const other = await subscribed(b, tickerChannel('BTCUSDT'));
      const pending: Promise<PublishedUpdate>[] = [];
      for (let i = 1; i <= 50; i++) {
        pending.push(b.publish(tradeUpdate('BTCUSDT', [`t${i}`])));
        if (i % 5 === 0) pending.push(b.publish(tickerUpdate('BTCUSDT', `${i}.0`)));
      }
      const results = await Promise.all(pending);
      const tradeResults = results.filter((result) => result.update.subscription === 'trades');
      assert.deepEqual(tradeResults.map((result) => result.update.seq), range(1, 50));
      assert.deepEqual(
        tradeResults.map((result) => (result.update as { trades: TradeData[] }).trades[0]!.id),
        range(1, 50).map((i) => `t${i}`),
      );
      await live.waitForCount(50);
      await other.waitForCount(10);
      assert.deepEqual(live.seqs(), range(1, 50));
      assert.deepEqual(other.seqs(), range(1, 10));
      const history = await b.readHistory(channel, 0);
      assert.deepEqual(history.payloads, tradeResults.map((result) => result.payload));
    });

    void it('serializes once: listener, history and return value carry the same bytes, decimals untouched', async () => {
      const b = await bus();
      const channel = candlesChannel('BTCUSDT', '1');
      const live = await subscribed(b, channel);
      const published = await b.publish(candleUpdate('BTCUSDT', T0_MS, '61029.90'));
      const [received] = await live.waitForCount(1);
      const history = await b.readHistory(channel, 0);
      assert.equal(received, published.payload);
      assert.deepEqual(history.payloads, [published.payload]);
      assert.deepEqual(JSON.parse(published.payload), published.update);
      assert.equal(published.update.seq, 1);
      assert.ok(published.payload.includes('"close":"61029.90"'), published.payload);
      assert.ok(published.payload.includes('"volume":"12.300"'), published.payload);
      const snapshot = await b.readSnapshot(channel);
      assert.equal(snapshot.subscription, 'candles');
      assert.equal(snapshot.candles[0]!.close, '61029.90');
      assert.equal(snapshot.candles[0]!.turnover, '750000.0000');
    });

    void it('never calls a listener inside publish', async () => {
      const b = await bus();
      let calls = 0;
      await b.subscribe(tickerChannel('BTCUSDT'), () => calls++);
      const publishing = b.publish(tickerUpdate('BTCUSDT', '1.0'));
      assert.equal(calls, 0);
      await publishing;
      const sentinel = await subscribed(b, tickerChannel('BTCUSDT'));
      await b.publish(tickerUpdate('BTCUSDT', '2.0'));
      await sentinel.waitFor(() => sentinel.seqs().includes(2), 'seq 2');
      assert.equal(calls, 2);
    });

    void it('upserts candles by start time, keeps the newest candleHistorySize, oldest first', async () => {
      const b = await bus({ candleHistorySize: 3 });
      const channel = candlesChannel('ETHUSDT', '1');
      const at = (minute: number) => T0_MS + minute * MINUTE_MS;
      await b.publish(candleUpdate('ETHUSDT', at(0), '1.00'));
      await b.publish(candleUpdate('ETHUSDT', at(1), '1.10'));
      await b.publish(candleUpdate('ETHUSDT', at(1), '2.10', true));
      let snapshot = await b.readSnapshot(channel);
      assert.equal(snapshot.subscription, 'candles');
      assert.deepEqual(snapshot.candles.map((c) => [c.timestamp, c.close, c.confirm]), [[at(0), '1.00', false], [at(1), '2.10', true]]);
      await b.publish(candleUpdate('ETHUSDT', at(3), '3.30'));
      await b.publish(candleUpdate('ETHUSDT', at(2), '3.20')); // late (backfill): slots in by start time
      await b.publish(candleUpdate('ETHUSDT', at(4), '3.40'));
      snapshot = await b.readSnapshot(channel);
      assert.equal(snapshot.subscription, 'candles');
      assert.equal(snapshot.seq, 6);
      assert.deepEqual(snapshot.candles.map((c) => [c.timestamp, c.close]), [[at(2), '3.20'], [at(3), '3.30'], [at(4), '3.40']]);
      const newest = await b.readSnapshot(channel, 2);
      assert.equal(newest.subscription, 'candles');
      assert.deepEqual(newest.candles.map((c) => c.close), ['3.30', '3.40']);
      await b.publish(candleUpdate('ETHUSDT', at(0), '9.99')); // older than everything kept: trimmed at once
      const after = await b.readSnapshot(channel);
      assert.equal(after.subscription, 'candles');
      assert.deepEqual(after.candles.map((c) => c.close), ['3.20', '3.30', '3.40']);
    });

    void it('appends trades and keeps the newest tradeHistorySize, oldest first', async () => {
      const b = await bus({ tradeHistorySize: 5 });
      const channel = tradesChannel('SOLUSDT');
      await b.publish(tradeUpdate('SOLUSDT', ['a', 'b']));
      await b.publish(tradeUpdate('SOLUSDT', ['c', 'd']));
      await b.publish(tradeUpdate('SOLUSDT', ['e', 'f', 'g'], '145.20'));
      const snapshot = await b.readSnapshot(channel);
      assert.equal(snapshot.subscription, 'trades');
      assert.equal(snapshot.seq, 3);
      assert.deepEqual(snapshot.trades.map((t) => t.id), ['c', 'd', 'e', 'f', 'g']);
      assert.equal(snapshot.trades[4]!.price, '145.20');
      assert.equal(snapshot.trades[4]!.size, '0.010');
      const newest = await b.readSnapshot(channel, 2);
      assert.equal(newest.subscription, 'trades');
      assert.deepEqual(newest.trades.map((t) => t.id), ['f', 'g']);
      await b.publish(tradeUpdate('SOLUSDT', ['h', 'i', 'j', 'k', 'l', 'm', 'n']));
      const burst = await b.readSnapshot(channel);
      assert.equal(burst.subscription, 'trades');
      assert.deepEqual(burst.trades.map((t) => t.id), ['j', 'k', 'l', 'm', 'n']);
    });

    void it('keeps the latest ticker (null before any)', async () => {
      const b = await bus();
      const channel = tickerChannel('BTCUSDT');
      assert.deepEqual(await b.readSnapshot(channel), { subscription: 'ticker', seq: 0, ticker: null });
      await b.publish(tickerUpdate('BTCUSDT', '61029.90'));
      const second = tickerUpdate('BTCUSDT', '61030.00');
      await b.publish(second);
      assert.deepEqual(await b.readSnapshot(channel), { subscription: 'ticker', seq: 2, ticker: second.ticker });
    });

    void it('stores the book of a snapshot, and currentBook (required) for a delta', async () => {
      const b = await bus();
      const channel = orderBookChannel('BTCUSDT');
      assert.deepEqual(await b.readSnapshot(channel), { subscription: 'orderbook', seq: 0, book: null });
      const first = book(1, '61029.90', '61030.10');
      await b.publish(bookUpdate('BTCUSDT', 'snapshot', first));
      assert.deepEqual(await b.readSnapshot(channel), { subscription: 'orderbook', seq: 1, book: first });
      const delta = { ...book(2, '61029.80', '61030.20'), bids: [['61029.80', '0.500']] as [string, string][], asks: [] };
      await assert.rejects(b.publish(bookUpdate('BTCUSDT', 'delta', delta)), TypeError);
      const merged = book(2, '61029.90', '61030.20');
      const published = await b.publish(bookUpdate('BTCUSDT', 'delta', delta), merged);
      assert.equal(published.update.seq, 2, 'a rejected delta consumes no seq');
      assert.deepEqual(await b.readSnapshot(channel), { subscription: 'orderbook', seq: 2, book: merged });
      assert.equal((await b.readHistory(channel, 0)).complete, true);
    });

    void it('gives snapshots whose seq matches their data, so snapshot + live stitches with no hole or duplicate', async () => {
      const b = await bus({ tradeHistorySize: 10 });
      const channel = tradesChannel('BTCUSDT');
      const live = await subscribed(b, channel);
      const publishes: Promise<unknown>[] = [];
      const snapshots: ReturnType<MarketBus['readSnapshot']>[] = [];
      for (let i = 1; i <= 30; i++) {
        publishes.push(b.publish(tradeUpdate('BTCUSDT', [`n${i}`])));
        if (i % 3 === 0) snapshots.push(b.readSnapshot(channel));
      }
      await Promise.all(publishes);
      await live.waitForCount(30);
      const seen = new Set<number>();
      for (const snapshot of await Promise.all(snapshots)) {
        assert.equal(snapshot.subscription, 'trades');
        seen.add(snapshot.seq);
        const expected = range(Math.max(1, snapshot.seq - 9), snapshot.seq).map((i) => `n${i}`);
        assert.deepEqual(snapshot.trades.map((t) => t.id), snapshot.seq === 0 ? [] : expected, `snapshot at seq ${snapshot.seq}`);
        const stitched = [...range(1, snapshot.seq), ...live.seqs().filter((seq) => seq > snapshot.seq)];
        assert.deepEqual(stitched, range(1, 30));
      }
      assert.ok(seen.size >= 1);
    });

    void it('answers history by seq and says whether it is complete', async () => {
      const b = await bus({ messageHistorySize: 5 });
      const channel = tickerChannel('XRPUSDT');
      assert.deepEqual(await b.readHistory(channel, 0), { seq: 0, payloads: [], complete: true });
      const payloads: string[] = [];
      for (let i = 1; i <= 8; i++) payloads.push((await b.publish(tickerUpdate('XRPUSDT', `0.${i}`))).payload);
      assert.deepEqual(await b.readHistory(channel, 0), { seq: 8, payloads: payloads.slice(3), complete: false });
      assert.deepEqual(await b.readHistory(channel, 2), { seq: 8, payloads: payloads.slice(3), complete: false });
      assert.deepEqual(await b.readHistory(channel, 3), { seq: 8, payloads: payloads.slice(3), complete: true });
      assert.deepEqual(await b.readHistory(channel, 7), { seq: 8, payloads: payloads.slice(7), complete: true });
      assert.deepEqual(await b.readHistory(channel, 8), { seq: 8, payloads: [], complete: true });
      assert.deepEqual(await b.readHistory(channel, 100), { seq: 8, payloads: [], complete: true });
    });

    void it('lists every channel with state, with its seq and last publish time', async () => {
      const b = await bus();
      assert.deepEqual(await b.listChannels(), []);
      const before = Date.now();
      await b.publish(tickerUpdate('BTCUSDT', '1.0'));
      await b.publish(tradeUpdate('BTCUSDT', ['x']));
      await b.publish(tradeUpdate('BTCUSDT', ['y']));
      await b.publishStatus(statusMessage('bybit:linear', 'live'));
      const after = Date.now();
      const channels = (await b.listChannels()).sort((x, y) => x.channel.localeCompare(y.channel));
      assert.deepEqual(channels.map((info) => [info.channel, info.seq]), [[tickerChannel('BTCUSDT'), 1], [tradesChannel('BTCUSDT'), 2]]);
      for (const info of channels) assert.ok(info.lastPublishedAt >= before && info.lastPublishedAt <= after, `lastPublishedAt ${info.lastPublishedAt}`);
    });

    void it('publishes status on the status channel and keeps the latest per upstream', async () => {
      const b = await bus();
      const live = await subscribed(b, STATUS_CHANNEL);
      const first = statusMessage('bybit:linear', 'live');
      await b.publishStatus(first);
      const [payload] = await live.waitForCount(1);
      assert.deepEqual(JSON.parse(payload!), first);
      assert.deepEqual(await b.readLatestStatus('bybit:linear'), first);
      const second = statusMessage('bybit:linear', 'disconnected', 'socket closed');
      await b.publishStatus(second);
      await b.publishStatus(statusMessage('bybit:spot', 'live'));
      assert.deepEqual(await b.readLatestStatus('bybit:linear'), second);
      assert.equal(await b.readLatestStatus('okx:swap'), null);
      await live.waitForCount(3);
    });

    void it('isolates prefixes: two buses on one backend with different prefixes share nothing', async () => {
      const a = await bus();
      const b = await bus({}, newPrefix());
      const channel = candlesChannel('BTCUSDT', '1');
      const heardByB = await subscribed(b, channel);
      const heardByA = await subscribed(a, channel);
      assert.equal((await a.publish(candleUpdate('BTCUSDT', T0_MS, '1.00'))).update.seq, 1);
      await a.publish(candleUpdate('BTCUSDT', T0_MS, '1.50'));
      await a.publishStatus(statusMessage('bybit:linear', 'live'));
      const fromB = await b.publish(candleUpdate('BTCUSDT', T0_MS, '2.00'));
      assert.equal(fromB.update.seq, 1, "b's sequence ignores a's");
      await heardByA.waitForCount(2);
      await heardByB.waitForCount(1);
      await settleEventLoop();
      assert.deepEqual(heardByB.payloads, [fromB.payload]);
      assert.equal(heardByA.payloads.length, 2);
      const snapshot = await b.readSnapshot(channel);
      assert.equal(snapshot.subscription, 'candles');
      assert.deepEqual([snapshot.seq, snapshot.candles.map((c) => c.close)], [1, ['2.00']]);
      assert.equal(await b.readLatestStatus('bybit:linear'), null);
      assert.deepEqual((await b.listChannels()).map((info) => info.seq), [1]);
      assert.deepEqual((await a.listChannels()).map((info) => info.seq), [2]);
    });

    void it('connects a worker and a gateway instance through the shared backend', async () => {
      const worker = await bus();
      const gateway = await bus();
      const channel = tradesChannel('BTCUSDT');
      const live = await subscribed(gateway, channel);
      const published = [];
      for (const id of ['p', 'q', 'r']) published.push(await worker.publish(tradeUpdate('BTCUSDT', [id])));
      await worker.publishStatus(statusMessage('bybit:linear', 'live'));
      assert.deepEqual(await live.waitForCount(3), published.map((p) => p.payload));
      const snapshot = await gateway.readSnapshot(channel);
      assert.equal(snapshot.subscription, 'trades');
      assert.deepEqual([snapshot.seq, snapshot.trades.map((t) => t.id)], [3, ['p', 'q', 'r']]);
      assert.deepEqual((await gateway.readHistory(channel, 1)).payloads, published.slice(1).map((p) => p.payload));
      assert.deepEqual((await gateway.listChannels()).map((info) => [info.channel, info.seq]), [[channel, 3]]);
      assert.equal((await gateway.readLatestStatus('bybit:linear'))?.state, 'live');
      assert.deepEqual(gateway.stats(), { published: 0, publishErrors: 0, activeChannels: 0 });
    });

    void it('continues the sequence in a new instance (a restarted worker)', async () => {
      const first = await bus();
      for (let i = 0; i < 3; i++) await first.publish(tickerUpdate('BTCUSDT', `${i}.0`));
      await first.close();
      const restarted = await bus();
      assert.equal((await restarted.publish(tickerUpdate('BTCUSDT', '9.0'))).update.seq, 4);
      const history = await restarted.readHistory(tickerChannel('BTCUSDT'), 0);
      assert.deepEqual([history.seq, history.payloads.length, history.complete], [4, 4, true]);
    });

    void it('unsubscribes idempotently; other listeners on the channel keep receiving', async () => {
      const b = await bus();
      const observer = await bus();
      const channel = tickerChannel('BTCUSDT');
      const first = new PayloadCollector();
      const second = new PayloadCollector();
      const unsubscribeFirst = await b.subscribe(channel, first.listener);
      const unsubscribeSecond = await b.subscribe(channel, second.listener);
      const sentinel = await subscribed(observer, channel);
      await b.publish(tickerUpdate('BTCUSDT', '1.0'));
      await first.waitForCount(1);
      await second.waitForCount(1);
      const publishingSecond = b.publish(tickerUpdate('BTCUSDT', '2.0'));
      await unsubscribeFirst(); // after the publish call, before any delivery of it
      await unsubscribeFirst();
      await publishingSecond;
      await second.waitForCount(2);
      await unsubscribeSecond();
      await b.publish(tickerUpdate('BTCUSDT', '3.0'));
      await sentinel.waitForCount(3);
      await settleEventLoop();
      assert.deepEqual([first.seqs(), second.seqs()], [[1], [1, 2]]);
      const again = await subscribed(b, channel);
      await b.publish(tickerUpdate('BTCUSDT', '4.0'));
      const [resubscribed] = await again.waitForCount(1);
      assert.equal(resubscribed, (await sentinel.waitForCount(4))[3]);
    });

    void it('keeps delivering to other listeners when one throws', async () => {
      const b = await bus();
      const channel = tickerChannel('BTCUSDT');
      await b.subscribe(channel, () => {
        throw new Error('listener bug');
      });
      const live = await subscribed(b, channel);
      await b.publish(tickerUpdate('BTCUSDT', '1.0'));
      await b.publish(tickerUpdate('BTCUSDT', '2.0'));
      assert.deepEqual((await live.waitForCount(2)).length, 2);
    });

    void it('rejects calls that are not about a channel, before consuming any seq', async () => {
      const b = await bus();
      await assert.rejects(b.readSnapshot(STATUS_CHANNEL), TypeError);
      await assert.rejects(b.readSnapshot('candles:BTCUSDT:7'), TypeError);
      await assert.rejects(b.readSnapshot(tickerChannel('BTCUSDT'), 0), RangeError);
      await assert.rejects(b.readHistory(tickerChannel('BTCUSDT'), -1), RangeError);
      await assert.rejects(b.subscribe('tickstream:channels', () => undefined), TypeError);
      await assert.rejects(b.publish({ ...tickerUpdate('BTCUSDT', '1.0'), channel: tickerChannel('ETHUSDT') }), TypeError);
      await assert.rejects(b.publish({ ...candleUpdate('BTCUSDT', T0_MS), channel: candlesChannel('BTCUSDT', '5') }), TypeError);
      assert.equal((await b.publish(tickerUpdate('BTCUSDT', '1.0'))).update.seq, 1);
    });

    void it('counts publishes and active channels, and refuses work once closed', async () => {
      const b = await bus();
      await b.publish(tickerUpdate('BTCUSDT', '1.0'));
      await b.publish(tickerUpdate('BTCUSDT', '2.0'));
      await b.publish(tickerUpdate('ETHUSDT', '3.0'));
      assert.deepEqual(b.stats(), { published: 3, publishErrors: 0, activeChannels: 2 });
      assert.equal(b.connectionState(), 'connected');
      await b.close();
      await b.close();
      assert.equal(b.connectionState(), 'disconnected');
      await assert.rejects(b.publish(tickerUpdate('BTCUSDT', '4.0')), BusUnavailableError);
      await assert.rejects(b.publishStatus(statusMessage('bybit:linear', 'live')), BusUnavailableError);
      await assert.rejects(b.subscribe(tickerChannel('BTCUSDT'), () => undefined), BusUnavailableError);
      await assert.rejects(b.readSnapshot(tickerChannel('BTCUSDT')), BusUnavailableError);
      assert.deepEqual(b.stats(), { published: 3, publishErrors: 1, activeChannels: 2 });
    });

    void it('settles publishes still pending at close: published or BusUnavailableError, never hanging', async () => {
      const b = await bus();
      await b.publish(tickerUpdate('BTCUSDT', '0.5'));
      const pending = range(1, 40).map((i) => b.publish(tradeUpdate('BTCUSDT', [`c${i}`])));
      await within(b.close(), 5_000, 'close');
      const outcomes = await within(Promise.allSettled(pending), 5_000, 'pending publishes to settle');
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') assert.ok(outcome.reason instanceof BusUnavailableError, String(outcome.reason));
      }
    });
  });
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
