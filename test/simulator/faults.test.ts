import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BybitSimulator } from '../../src/simulator/index.js';
import { BookReplica, SimClient, isTopic, sleep, type Wire } from './sim-client.js';

const isData = (m: Wire): boolean => typeof m?.topic === 'string';

describe('simulator faults', () => {
  let sim: BybitSimulator;
  before(async () => {
    sim = await BybitSimulator.start({ timeScale: 30, startTimeMs: Date.now() - 3_600_000, tickIntervalMs: 20, seed: 3 });
  });
  after(async () => {
    await sim.close();
  });
  const connect = (category: 'linear' | 'spot' = 'linear') => SimClient.connect(`${sim.wsBaseUrl}/v5/public/${category}`);

  async function followed(client: SimClient, topic: string): Promise<BookReplica> {
    const book = new BookReplica();
    await client.request({ op: 'subscribe', args: [topic] });
    book.apply(await client.next(isTopic(topic)));
    book.apply(await client.next(isTopic(topic)));
    return book;
  }

  it('skipOrderBookUpdate: the next delta skips one u, then deltas continue from it', async (t) => {
    const client = await connect();
    t.after(() => client.close());
    const book = await followed(client, 'orderbook.50.BTCUSDT');
    assert.equal(sim.skipOrderBookUpdate('BTCUSDT', 'linear'), 1);
    // A delta already on the wire when the fault was set may still arrive contiguous; the next one has the gap.
    let gap: Wire;
    for (let frames = 0; gap === undefined; frames += 1) {
      assert.ok(frames < 4, 'no gap within the next frames');
      const frame = await client.next(isTopic('orderbook.50.BTCUSDT'));
      assert.equal(frame.type, 'delta');
      if (frame.data.u === book.lastU! + 1) book.apply(frame);
      else gap = frame;
    }
    assert.equal(gap.data.u, book.lastU! + 2, 'exactly one u skipped');
    assert.throws(() => book.apply(gap), /gap/);
    const next = await client.next(isTopic('orderbook.50.BTCUSDT'));
    assert.equal(next.data.u, gap.data.u + 1);
  });

  it('resetOrderBook: a snapshot with u 1, then deltas from 2', async (t) => {
    const client = await connect('spot');
    t.after(() => client.close());
    const book = await followed(client, 'orderbook.50.ETHUSDT');
    const uBeforeReset = book.lastU!;
    assert.ok(uBeforeReset > 1);
    assert.equal(sim.resetOrderBook('ETHUSDT'), 1);
    const reset = await client.next((m) => m?.topic === 'orderbook.50.ETHUSDT' && m.type === 'snapshot');
    assert.equal(reset.data.u, 1);
    assert.equal(reset.data.b.length, 50);
    book.apply(reset);
    // Deltas sent before the reset may still sit unclaimed in the client's queue (a busy machine): they carry
    // u beyond the pre-reset one; the first delta numbered below it is the first after the reset.
    const next = await client.next((m) => m?.topic === 'orderbook.50.ETHUSDT' && m.type === 'delta' && m.data.u !== 1 && m.data.u < uBeforeReset);
    book.apply(next);
    assert.equal(next.data.u, 2);
  });

  it('crossOrderBook: the next delta crosses the book, the one after heals it', async (t) => {
    const client = await connect();
    t.after(() => client.close());
    const book = await followed(client, 'orderbook.50.SOLUSDT');
    assert.equal(book.crossed(), false);
    sim.crossOrderBook('SOLUSDT', 'linear');
    for (let frames = 0; !book.crossed(); frames += 1) {
      assert.ok(frames < 4, 'the book did not cross');
      book.apply(await client.next(isTopic('orderbook.50.SOLUSDT'))); // contiguous u throughout
    }
    assert.ok(book.bids.size <= 50);
    book.apply(await client.next(isTopic('orderbook.50.SOLUSDT')));
    assert.equal(book.crossed(), false, 'the following delta removes the crossing level');
  });

  it('stallData: no data frames, but pings and subscribes are answered; resume continues the book contiguously', async (t) => {
    const client = await connect();
    t.after(() => client.close());
    const book = await followed(client, 'orderbook.50.ETHUSDT');
    await client.request({ op: 'subscribe', args: ['publicTrade.ETHUSDT'] });
    sim.stallData();
    await sleep(60);
    for (const frame of client.unclaimed(isTopic('orderbook.50.ETHUSDT'))) book.apply(frame);
    client.drain();
    client.send({ op: 'ping', req_id: 'during-stall' });
    assert.equal((await client.next((m) => m?.ret_msg === 'pong')).req_id, 'during-stall');
    const ack = await client.request({ op: 'subscribe', req_id: 'late', args: ['tickers.ETHUSDT'] });
    assert.equal(ack.success, true);
    await sleep(300);
    assert.deepEqual(client.unclaimed(isData), [], 'silent: not a single data frame');
    sim.resumeData();
    const snapshot = await client.next(isTopic('tickers.ETHUSDT'));
    assert.equal(snapshot.type, 'snapshot', 'the subscription made during the stall gets its snapshot first');
    const delta = await client.next(isTopic('orderbook.50.ETHUSDT'));
    book.apply(delta); // contiguous u across the stall
    await client.next(isTopic('publicTrade.ETHUSDT'));
  });

  it('stallData(durationMs) resumes by itself', async (t) => {
    const client = await connect('spot');
    t.after(() => client.close());
    await client.request({ op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
    await client.next(isTopic('publicTrade.BTCUSDT'));
    sim.stallData(300);
    await sleep(40);
    client.drain();
    const started = Date.now();
    await client.next(isTopic('publicTrade.BTCUSDT'), 2000);
    assert.ok(Date.now() - started >= 200, 'nothing arrived during the stall');
  });

  it('stopPongs: pings go unanswered while data keeps flowing; resumePongs restores them', async (t) => {
    const client = await connect();
    t.after(() => {
      sim.resumePongs();
      client.close();
    });
    await client.request({ op: 'subscribe', args: ['orderbook.1.BTCUSDT'] });
    const pings = sim.pingsReceived;
    sim.stopPongs();
    client.send({ op: 'ping', req_id: 'lost' });
    await sleep(200);
    assert.deepEqual(client.unclaimed((m) => m?.ret_msg === 'pong'), []);
    assert.equal(sim.pingsReceived, pings + 1, 'the ping was received');
    client.drain();
    await client.next(isTopic('orderbook.1.BTCUSDT'));
    sim.resumePongs();
    client.send({ op: 'ping', req_id: 'back' });
    assert.equal((await client.next((m) => m?.ret_msg === 'pong')).req_id, 'back');
  });

  it('dropConnections: sockets die with 1006 (no close frame); reconnecting works', async () => {
    const one = await connect();
    const two = await connect('spot');
    const total = sim.totalConnections;
    assert.ok(sim.dropConnections() >= 2);
    assert.equal((await one.closed).code, 1006);
    assert.equal((await two.closed).code, 1006);
    for (let i = 0; i < 50 && sim.connectionCount > 0; i += 1) await sleep(10);
    assert.equal(sim.connectionCount, 0);
    const again = await connect();
    assert.equal(sim.totalConnections, total + 1);
    again.close();
  });

  it('refuseConnections: new upgrades get HTTP 503, open sockets are unaffected', async (t) => {
    const open = await connect();
    t.after(() => {
      sim.refuseConnections(false);
      open.close();
    });
    sim.refuseConnections(true);
    await assert.rejects(connect(), /Unexpected server response: 503/);
    open.send({ op: 'ping' });
    await open.next((m) => m?.ret_msg === 'pong');
    sim.refuseConnections(false);
    (await connect()).close();
  });

  it('rejectSubscriptions: matching topics answer handler not found until cleared', async (t) => {
    const client = await connect();
    t.after(() => {
      sim.clearSubscriptionRejections();
      client.close();
    });
    sim.rejectSubscriptions('orderbook.');
    sim.rejectSubscriptions(/^kline\.\d+\.SOLUSDT$/);
    const book = await client.request({ op: 'subscribe', req_id: 'b', args: ['orderbook.50.BTCUSDT'] });
    assert.equal(book.ret_msg, 'error:handler not found,topic:orderbook.50.BTCUSDT');
    const kline = await client.request({ op: 'subscribe', req_id: 'k', args: ['tickers.SOLUSDT', 'kline.5.SOLUSDT'] });
    assert.equal(kline.ret_msg, 'error:handler not found,topic:kline.5.SOLUSDT');
    assert.equal((await client.request({ op: 'subscribe', req_id: 't', args: ['kline.5.BTCUSDT'] })).success, true);
    sim.clearSubscriptionRejections();
    assert.equal((await client.request({ op: 'subscribe', req_id: 'ok', args: ['orderbook.50.BTCUSDT'] })).success, true);
  });

  it('sendRaw: arbitrary text reaches every client of the category verbatim', async (t) => {
    const lin = await connect();
    const sp = await connect('spot');
    t.after(() => {
      lin.close();
      sp.close();
    });
    const bad = '{"topic":"kline.1.BTCUSDT","data":[{"start":1,"end":60000,"interval":"1","open":"5","close":"5","high":"4","low":"6","volume":"1","turnover":"5","confirm":false,"timestamp":2}],"ts":2,"type":"snapshot"}';
    assert.ok(sim.sendRaw(bad, 'linear') >= 1);
    assert.equal((await lin.nextFrame((_m, raw) => raw === bad)).raw, bad);
    sim.sendRaw('not json at all');
    await lin.nextFrame((_m, raw) => raw === 'not json at all');
    await sp.nextFrame((_m, raw) => raw === 'not json at all');
    assert.equal(sp.frames.some((f) => f.raw === bad), false, 'category filter');
  });

  it('pause freezes the market and the virtual clock; resume continues', async (t) => {
    const client = await connect();
    t.after(() => {
      sim.resume();
      client.close();
    });
    await client.request({ op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
    await client.next(isTopic('publicTrade.BTCUSDT'));
    sim.pause();
    const frozen = sim.virtualTimeMs;
    await sleep(40);
    client.drain();
    await sleep(250);
    assert.equal(sim.virtualTimeMs, frozen);
    assert.deepEqual(client.unclaimed(isTopic('publicTrade.BTCUSDT')), []);
    sim.resume();
    await client.next(isTopic('publicTrade.BTCUSDT'));
    assert.ok(sim.virtualTimeMs > frozen);
  });
});

describe('simulator HTTP control endpoint', () => {
  it('drives faults and reports counters for a worker in another process', async (t) => {
    const sim = await BybitSimulator.start({ tickIntervalMs: 20 });
    t.after(() => sim.close());
    const client = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/linear`);
    t.after(() => client.close());
    const post = async (body: unknown) => {
      const response = await fetch(`${sim.restBaseUrl}/__simulator/faults`, { method: 'POST', body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Wire };
    };

    assert.deepEqual(await post({ action: 'stopPongs' }), { status: 200, body: { ok: true, action: 'stopPongs' } });
    client.send({ op: 'ping' });
    await sleep(150);
    assert.deepEqual(client.unclaimed((m) => m?.ret_msg === 'pong'), []);
    await post({ action: 'resumePongs' });
    client.send({ op: 'ping' });
    await client.next((m) => m?.ret_msg === 'pong');

    await client.request({ op: 'subscribe', req_id: 'ob', args: ['orderbook.50.ETHUSDT'] });
    await client.next(isTopic('orderbook.50.ETHUSDT'));
    const skip = await post({ action: 'skipOrderBookUpdate', symbol: 'ETHUSDT', category: 'linear' });
    assert.equal(skip.body.books, 1);
    assert.equal((await post({ action: 'sendRaw', text: 'raw-over-http' })).body.sent, 1);
    await client.nextFrame((_m, raw) => raw === 'raw-over-http');
    assert.equal((await post({ action: 'rejectSubscriptions', prefix: 'tickers.' })).status, 200);
    assert.equal((await client.request({ op: 'subscribe', req_id: 'x', args: ['tickers.BTCUSDT'] })).success, false);
    await post({ action: 'clearSubscriptionRejections' });
    await post({ action: 'refuseConnections', refuse: true });
    await assert.rejects(SimClient.connect(`${sim.wsBaseUrl}/v5/public/linear`), /503/);
    await post({ action: 'refuseConnections', refuse: false });

    const state: Wire = await (await fetch(`${sim.restBaseUrl}/__simulator/state`)).json();
    assert.equal(state.connectionCount, 1);
    assert.equal(state.totalConnections, 1);
    assert.equal(state.pingsReceived, 2);
    assert.deepEqual(state.subscribeRequests.map((r: Wire) => String(r.reqId)), ['ob', 'x']);
    assert.equal(state.faults.pongsStopped, false);

    assert.equal((await post({ action: 'explode' })).status, 400);
    assert.equal((await post({ action: 'skipOrderBookUpdate' })).status, 400);
    const notJson = await fetch(`${sim.restBaseUrl}/__simulator/faults`, { method: 'POST', body: '{' });
    assert.equal(notJson.status, 400);

    assert.equal((await post({ action: 'dropConnections' })).body.dropped, 1);
    assert.equal((await client.closed).code, 1006);
  });
});

describe('simulator close()', () => {
  it('is idempotent and leaves nothing running', async () => {
    const sim = await BybitSimulator.start({ tickIntervalMs: 10 });
    const client = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/linear`);
    await client.request({ op: 'subscribe', args: ['orderbook.50.BTCUSDT'] });
    await Promise.all([sim.close(), sim.close()]);
    await sim.close();
    assert.equal((await client.closed).code, 1006);
    await assert.rejects(fetch(`${sim.restBaseUrl}/v5/market/time`));
  });
});
