import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { BybitSimulator } from '../../src/simulator/index.js';
import { SimClient, sleep } from './sim-client.js';

describe('simulator WebSocket protocol', () => {
  let sim: BybitSimulator;
  before(async () => {
    sim = await BybitSimulator.start({ port: 0, tickIntervalMs: 50 });
  });
  after(async () => {
    await sim.close();
  });

  const linear = () => SimClient.connect(`${sim.wsBaseUrl}/v5/public/linear`);
  const spot = () => SimClient.connect(`${sim.wsBaseUrl}/v5/public/spot`);

  it('exposes its URLs and port', () => {
    assert.ok(sim.port > 0);
    assert.equal(sim.wsBaseUrl, `ws://127.0.0.1:${sim.port}`);
    assert.equal(sim.restBaseUrl, `http://127.0.0.1:${sim.port}`);
  });

  it('answers linear pings with req_id always present (echoed or "")', async (t) => {
    const client = await linear();
    t.after(() => client.close());
    const before = sim.pingsReceived;
    client.send({ op: 'ping', req_id: 'ping-pp' });
    const echoed = await client.nextFrame((m) => m?.ret_msg === 'pong');
    assert.deepEqual(Object.keys(echoed.msg), ['success', 'ret_msg', 'conn_id', 'req_id', 'op']);
    assert.deepEqual({ ...echoed.msg, conn_id: 'x' }, { success: true, ret_msg: 'pong', conn_id: 'x', req_id: 'ping-pp', op: 'ping' });
    assert.match(echoed.msg.conn_id, /^[0-9a-v]{20}-[0-9a-v]{5}$/);
    client.send({ op: 'ping' });
    const bare = await client.next((m) => m?.ret_msg === 'pong');
    assert.equal(bare.req_id, '');
    assert.equal(sim.pingsReceived, before + 2);
  });

  it('answers spot pings with req_id only when sent', async (t) => {
    const client = await spot();
    t.after(() => client.close());
    client.send({ op: 'ping' });
    const bare = await client.next((m) => m?.ret_msg === 'pong');
    assert.deepEqual(Object.keys(bare), ['success', 'ret_msg', 'conn_id', 'op']);
    assert.equal(bare.op, 'ping');
    client.send({ op: 'ping', req_id: 'r9' });
    const echoed = await client.next((m) => m?.ret_msg === 'pong');
    assert.deepEqual(Object.keys(echoed), ['success', 'ret_msg', 'conn_id', 'req_id', 'op']);
    assert.equal(echoed.req_id, 'r9');
  });

  it('acks each request once in the category shape (linear ret_msg "", spot ret_msg = op)', async (t) => {
    const lin = await linear();
    const sp = await spot();
    t.after(() => {
      lin.close();
      sp.close();
    });
    const ack = await lin.request({ op: 'subscribe', req_id: 'sub-1', args: ['publicTrade.BTCUSDT', 'tickers.ETHUSDT', 'kline.5.SOLUSDT'] });
    assert.deepEqual(Object.keys(ack), ['success', 'ret_msg', 'conn_id', 'req_id', 'op']);
    assert.equal(ack.success, true);
    assert.equal(ack.ret_msg, '');
    await sleep(150);
    assert.equal(lin.unclaimed((m) => m?.op === 'subscribe').length, 0, 'exactly one ack for three topics');
    const unsub = await lin.request({ op: 'unsubscribe', args: ['publicTrade.BTCUSDT'] });
    assert.deepEqual({ ...unsub, conn_id: '' }, { success: true, ret_msg: '', conn_id: '', req_id: '', op: 'unsubscribe' });

    const spotAck = await sp.request({ op: 'subscribe', req_id: '10001', args: ['publicTrade.BTCUSDT'] });
    assert.deepEqual({ ...spotAck, conn_id: '' }, { success: true, ret_msg: 'subscribe', conn_id: '', req_id: '10001', op: 'subscribe' });
    sp.send({ op: 'unsubscribe', args: ['publicTrade.BTCUSDT'] });
    const spotUnsub = await sp.next((m) => m?.op === 'unsubscribe');
    assert.deepEqual(Object.keys(spotUnsub), ['success', 'ret_msg', 'conn_id', 'op']);
    assert.equal(spotUnsub.ret_msg, 'unsubscribe');
  });

  it('rejects bad topics with handler not found, naming the first, and subscribes none of the request', async (t) => {
    const client = await linear();
    t.after(() => client.close());
    const cases: Array<[string[], string]> = [
      [['orderbook.50.NOPEUSDT'], 'orderbook.50.NOPEUSDT'],
      [['orderbook.50.btcusdt'], 'orderbook.50.btcusdt'],
      [['orderbook.500.BTCUSDT'], 'orderbook.500.BTCUSDT'],
      [['orderbook.30.BTCUSDT'], 'orderbook.30.BTCUSDT'],
      [['liquidations:BTCUSDT'], 'liquidations:BTCUSDT'],
      [['kline.2.BTCUSDT'], 'kline.2.BTCUSDT'],
      [['publicTrade.BTCUSDT', 'tickers.NOPE', 'kline.7.BTCUSDT'], 'tickers.NOPE'],
    ];
    for (const [args, bad] of cases) {
      const reply = await client.request({ op: 'subscribe', req_id: bad, args });
      assert.equal(reply.success, false, bad);
      assert.equal(reply.ret_msg, `error:handler not found,topic:${bad}`);
      assert.equal(reply.req_id, bad);
    }
    // publicTrade.BTCUSDT rode along in a rejected request: it must not be active.
    const ok = await client.request({ op: 'subscribe', req_id: 'again', args: ['publicTrade.BTCUSDT'] });
    assert.equal(ok.success, true, ok.ret_msg);
  });

  it('keeps categories apart: a symbol listed only on linear is unknown on spot', async (t) => {
    const client = await spot();
    t.after(() => client.close());
    const reply = await client.request({ op: 'subscribe', req_id: 'sol', args: ['tickers.SOLUSDT'] });
    assert.equal(reply.ret_msg, 'error:handler not found,topic:tickers.SOLUSDT');
  });

  it('rejects a request holding an already active topic as a whole', async (t) => {
    const client = await linear();
    t.after(() => client.close());
    assert.equal((await client.request({ op: 'subscribe', req_id: 'a', args: ['orderbook.1.ETHUSDT'] })).success, true);
    const reply = await client.request({ op: 'subscribe', req_id: 'e6', args: ['tickers.ETHUSDT', 'orderbook.1.ETHUSDT'] });
    assert.equal(reply.success, false);
    assert.equal(reply.ret_msg, 'error:already subscribed,topic:orderbook.1.ETHUSDT');
    assert.equal(client.unclaimed((m) => m?.topic === 'tickers.ETHUSDT').length, 0);
    const retry = await client.request({ op: 'subscribe', req_id: 'b', args: ['tickers.ETHUSDT'] });
    assert.equal(retry.success, true, 'the innocent topic was not subscribed by the rejected request');
    await client.next((m) => m?.topic === 'tickers.ETHUSDT' && m.type === 'snapshot');
  });

  it('limits spot requests to 10 args, escaping > like Bybit', async (t) => {
    const client = await spot();
    t.after(() => client.close());
    const args = ['BTCUSDT', 'ETHUSDT'].flatMap((s) => ['1', '3', '5', '15', '30', '60'].map((i) => `kline.${i}.${s}`));
    client.send({ op: 'subscribe', args });
    const frame = await client.nextFrame((m) => m?.op === 'subscribe');
    assert.ok(frame.raw.includes('"ret_msg":"args size \\u003e10"'), frame.raw);
    assert.deepEqual(Object.keys(frame.msg), ['success', 'ret_msg', 'conn_id', 'op']);
    assert.equal(frame.msg.success, false);
    const ten = await client.request({ op: 'subscribe', req_id: 'ten', args: args.slice(0, 10) });
    assert.equal(ten.success, true);
  });

  it('answers an unknown op with error:invalid op', async (t) => {
    const client = await linear();
    t.after(() => client.close());
    client.send({ op: 'subscribee', req_id: 'x', args: [] });
    const reply = await client.next((m) => m?.success === false);
    assert.equal(reply.ret_msg, 'error:invalid op');
    assert.equal(reply.op, 'subscribee');
  });

  it('answers undecodable frames with a decode error and keeps the socket open', async (t) => {
    const client = await linear();
    t.after(() => client.close());
    client.send('hello');
    const reply = await client.next((m) => m?.success === false);
    assert.match(reply.ret_msg, /^Failed to decode incoming data:readObjectStart: expect \{ or n, but found h/);
    client.send('{"op":');
    const second = await client.next((m) => m?.success === false);
    assert.match(second.ret_msg, /^Failed to decode incoming data:/);
    client.send({ op: 'ping', req_id: 'still-here' });
    assert.equal((await client.next((m) => m?.ret_msg === 'pong')).req_id, 'still-here');
    assert.ok(client.isOpen);
  });

  it('rejects upgrades on other paths with 404', async () => {
    for (const path of ['/v5/public/option', '/v5/public/inverse', '/']) {
      await assert.rejects(SimClient.connect(`${sim.wsBaseUrl}${path}`), /Unexpected server response: 404/);
    }
  });

  it('counts connections and records subscribe requests', async () => {
    const openBefore = sim.connectionCount;
    const totalBefore = sim.totalConnections;
    const client = await linear();
    await client.request({ op: 'subscribe', req_id: 'rec-1', args: ['tickers.BTCUSDT'] });
    assert.equal(sim.connectionCount, openBefore + 1);
    assert.equal(sim.totalConnections, totalBefore + 1);
    const record = sim.subscribeRequests.at(-1)!;
    assert.equal(record.reqId, 'rec-1');
    assert.deepEqual(record.args, ['tickers.BTCUSDT']);
    assert.equal(record.op, 'subscribe');
    assert.equal(record.category, 'linear');
    assert.equal(record.success, true);
    client.socket.close();
    await client.closed;
    for (let i = 0; i < 50 && sim.connectionCount !== openBefore; i += 1) await sleep(10);
    assert.equal(sim.connectionCount, openBefore);
    assert.equal(sim.totalConnections, totalBefore + 1);
  });
});

describe('simulator idle sockets', () => {
  it('drops a socket with no subscription and no ping (like Bybit at ~61 s), keeps busy ones', async (t) => {
    const sim = await BybitSimulator.start({ idleTimeoutMs: 300, tickIntervalMs: 20 });
    t.after(() => sim.close());
    const idle = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/linear`);
    const pinging = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/linear`);
    const subscribed = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/spot`);
    t.after(() => [idle, pinging, subscribed].forEach((c) => c.close()));
    await subscribed.request({ op: 'subscribe', args: ['tickers.BTCUSDT'] });
    const timer = setInterval(() => pinging.send({ op: 'ping' }), 100);
    t.after(() => clearInterval(timer));
    const closed = await Promise.race([idle.closed, sleep(2000).then(() => undefined)]);
    assert.ok(closed, 'idle socket was not dropped');
    assert.equal(closed.code, 1006, 'dropped without a close frame');
    assert.ok(pinging.isOpen);
    assert.ok(subscribed.isOpen);
  });

  it('never drops when idleTimeoutMs is 0', async (t) => {
    const sim = await BybitSimulator.start({ idleTimeoutMs: 0, tickIntervalMs: 20 });
    t.after(() => sim.close());
    const client = await SimClient.connect(`${sim.wsBaseUrl}/v5/public/linear`);
    t.after(() => client.close());
    await sleep(300);
    assert.equal(client.socket.readyState, WebSocket.OPEN);
  });
});
