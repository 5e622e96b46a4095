import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareDecimal } from '../../src/schemas/index.js';
import { BybitSimulator } from '../../src/simulator/index.js';
import { BookReplica, SimClient, isTopic, sleep, type Wire } from './sim-client.js';

/** Applies `count` frames of `topic` to a replica, asserting Bybit's book rules after each. */
async function followBook(client: SimClient, topic: string, depth: number, count: number, decimals: RegExp): Promise<BookReplica> {
  const book = new BookReplica();
  const first = await client.next(isTopic(topic));
  assert.equal(first.type, 'snapshot', 'the first frame of a book is a snapshot');
  book.apply(first);
  assert.equal(book.bids.size, depth, 'snapshot has a full window of bids');
  assert.equal(book.asks.size, depth, 'snapshot has a full window of asks');
  for (let i = 0; i < count; i += 1) {
    const frame = await client.next(isTopic(topic));
    assert.equal(frame.type, 'delta');
    assert.ok(frame.cts <= frame.ts, 'cts (engine time) is not after ts');
    book.apply(frame); // throws on a gap or a delete of a missing level
    const bids = book.sortedBids();
    const asks = book.sortedAsks();
    assert.ok(bids.length <= depth && asks.length <= depth, `at most ${depth} levels`);
    assert.equal(bids.length, depth, 'the server keeps the window full (levels pushed out arrive as deletes, new ones as inserts)');
    assert.equal(asks.length, depth);
    assert.equal(compareDecimal(bids[0]!, asks[0]!), -1, `book crossed: ${bids[0]} >= ${asks[0]}`);
    for (const price of [...bids, ...asks]) assert.match(price, decimals);
    for (const size of [...book.bids.values(), ...book.asks.values()]) assert.equal(compareDecimal(size, '0'), 1);
    // Within a frame the levels are in book order (bids descending, asks ascending).
    const b = frame.data.b.map((level: string[]) => level[0]);
    const a = frame.data.a.map((level: string[]) => level[0]);
    assert.deepEqual(b, [...b].sort((x: string, y: string) => compareDecimal(y, x)));
    assert.deepEqual(a, [...a].sort((x: string, y: string) => compareDecimal(x, y)));
  }
  return book;
}

describe('simulator order books', () => {
  let sim: BybitSimulator;
  before(async () => {
    sim = await BybitSimulator.start({ timeScale: 30, startTimeMs: Date.now() - 3_600_000, tickIntervalMs: 20, seed: 7 });
  });
  after(async () => {
    await sim.close();
  });
  const connect = (category: 'linear' | 'spot') => SimClient.connect(`${sim.wsBaseUrl}/v5/public/${category}`);

  it('linear depth 50: snapshot, then contiguous deltas that keep the book sorted, full and uncrossed', async (t) => {
    const client = await connect('linear');
    t.after(() => client.close());
    await client.request({ op: 'subscribe', args: ['orderbook.50.BTCUSDT'] });
    // BTCUSDT linear: tick 0.10, printed with 2 decimals.
    await followBook(client, 'orderbook.50.BTCUSDT', 50, 40, /^\d+\.\d0$/);
    const raw = client.frames.find((f) => f.msg?.topic === 'orderbook.50.BTCUSDT')!.raw;
    assert.ok(raw.startsWith('{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":'), 'linear puts type before ts');
  });

  it('spot depth 200: same rules, spot key order and trimmed decimals', async (t) => {
    const client = await connect('spot');
    t.after(() => client.close());
    await client.request({ op: 'subscribe', args: ['orderbook.200.ETHUSDT'] });
    await followBook(client, 'orderbook.200.ETHUSDT', 200, 10, /^\d+(\.\d{1,2})?$/);
    const raw = client.frames.find((f) => f.msg?.topic === 'orderbook.200.ETHUSDT')!.raw;
    assert.ok(raw.startsWith('{"topic":"orderbook.200.ETHUSDT","ts":'), 'spot puts ts before type');
    assert.ok(/"cts":\d+}$/.test(raw));
  });

  it('depth 1000 serves a 1000-level window', async (t) => {
    const client = await connect('linear');
    t.after(() => client.close());
    await client.request({ op: 'subscribe', args: ['orderbook.1000.SOLUSDT'] });
    await followBook(client, 'orderbook.1000.SOLUSDT', 1000, 4, /^\d+\.\d{2}0$/);
    // Bybit pushes depth 1000 every 200 ms: changes in between are merged into one delta.
    const arrivals = client.frames.filter((f) => f.msg?.topic === 'orderbook.1000.SOLUSDT' && f.msg.type === 'delta').map((f) => f.atMs);
    for (let i = 1; i < arrivals.length; i += 1) assert.ok(arrivals[i]! - arrivals[i - 1]! >= 150, `deltas ${arrivals[i]! - arrivals[i - 1]!} ms apart`);
  });

  it('depth 1 is snapshot-only; u only moves forward and a repeat with the same u is identical', async (t) => {
    const client = await connect('linear');
    t.after(() => client.close());
    await client.request({ op: 'subscribe', args: ['orderbook.1.BTCUSDT'] });
    const frames = await client.collect(isTopic('orderbook.1.BTCUSDT'), 20);
    let last: Wire;
    for (const frame of frames) {
      assert.equal(frame.type, 'snapshot');
      assert.equal(frame.data.b.length, 1);
      assert.equal(frame.data.a.length, 1);
      assert.equal(compareDecimal(frame.data.b[0][0], frame.data.a[0][0]), -1);
      if (last !== undefined) {
        assert.ok(frame.data.u >= last.data.u);
        if (frame.data.u === last.data.u) assert.deepEqual([frame.data.b, frame.data.a], [last.data.b, last.data.a]);
      }
      last = frame;
    }
  });

  it('depth 1 re-sends an unchanged snapshot with the same u after 3 s', async (t) => {
    const quiet = await BybitSimulator.start({ tickIntervalMs: 50 });
    t.after(() => quiet.close());
    const client = await SimClient.connect(`${quiet.wsBaseUrl}/v5/public/spot`);
    t.after(() => client.close());
    await client.request({ op: 'subscribe', args: ['orderbook.1.BTCUSDT'] });
    await client.next(isTopic('orderbook.1.BTCUSDT'));
    quiet.pause();
    await sleep(100);
    const before = client.frames.filter((f) => f.msg?.topic === 'orderbook.1.BTCUSDT').at(-1)!;
    client.drain();
    const repeat = await client.nextFrame(isTopic('orderbook.1.BTCUSDT'), 3500);
    assert.ok(repeat.atMs - before.atMs >= 2900, `repeated after ${repeat.atMs - before.atMs} ms, expected about 3 s`);
    assert.equal(repeat.msg.type, 'snapshot');
    assert.equal(repeat.msg.data.u, before.msg.data.u, 'same u');
    assert.deepEqual([repeat.msg.data.b, repeat.msg.data.a], [before.msg.data.b, before.msg.data.a]);
  });

  it('two connections follow one topic independently, each contiguous; a resubscribe gets a fresh snapshot', async (t) => {
    const one = await connect('linear');
    const two = await connect('linear');
    t.after(() => {
      one.close();
      two.close();
    });
    const topic = 'orderbook.50.ETHUSDT';
    await one.request({ op: 'subscribe', args: [topic] });
    await sleep(150);
    await two.request({ op: 'subscribe', args: [topic] });
    const [bookOne] = await Promise.all([
      followBook(one, topic, 50, 15, /^\d+\.\d{2}$/),
      followBook(two, topic, 50, 15, /^\d+\.\d{2}$/),
    ]);
    // One server stream: the delta after the late subscriber's snapshot is the same frame on both sockets.
    const snapshotU = two.frames.find((f) => f.msg?.topic === topic)!.msg.data.u;
    const onOne = one.frames.find((f) => f.msg?.topic === topic && f.msg.data.u === snapshotU + 1);
    const onTwo = two.frames.find((f) => f.msg?.topic === topic && f.msg.data.u === snapshotU + 1);
    assert.ok(onOne !== undefined && onTwo !== undefined);
    assert.equal(onOne.raw, onTwo.raw);

    await one.request({ op: 'unsubscribe', args: [topic] });
    await sleep(100);
    one.drain();
    await one.request({ op: 'subscribe', args: [topic] });
    const again = await one.next(isTopic(topic));
    assert.equal(again.type, 'snapshot');
    assert.ok(again.data.u > bookOne.lastU!, 'u keeps increasing across subscriptions');
  });

  it('REST orderbook: bids descending, asks ascending, uncrossed, with the 1000-level u', async () => {
    const response = await fetch(`${sim.restBaseUrl}/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=30`);
    const body: Wire = await response.json();
    assert.equal(body.retCode, 0);
    const { s, b, a, u, seq, ts, cts } = body.result;
    assert.equal(s, 'BTCUSDT');
    assert.equal(b.length, 30);
    assert.equal(a.length, 30);
    for (let i = 1; i < 30; i += 1) {
      assert.equal(compareDecimal(b[i - 1][0], b[i][0]), 1);
      assert.equal(compareDecimal(a[i - 1][0], a[i][0]), -1);
    }
    assert.equal(compareDecimal(b[0][0], a[0][0]), -1);
    assert.ok(Number.isInteger(u) && Number.isInteger(seq) && Number.isInteger(ts) && Number.isInteger(cts));
    const spotDefault: Wire = await (await fetch(`${sim.restBaseUrl}/v5/market/orderbook?category=spot&symbol=BTCUSDT`)).json();
    assert.equal(spotDefault.result.b.length, 1, 'spot default limit is 1');
    const linearDefault: Wire = await (await fetch(`${sim.restBaseUrl}/v5/market/orderbook?category=linear&symbol=ETHUSDT`)).json();
    assert.equal(linearDefault.result.a.length, 25, 'linear default limit is 25');
  });
});
