import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TopicSubscriptions } from '../../src/exchanges/bybit/topic-subscriptions.js';
import { classifyInbound, topicNamedInError } from '../../src/exchanges/bybit/bybit-control-frames.js';

const topics = (n: number) => Array.from({ length: n }, (_, i) => `publicTrade.SYM${i}USDT`);

describe('TopicSubscriptions', () => {
  it('sends nothing before connecting, then every wanted topic in batches of at most 10', () => {
    const subs = new TopicSubscriptions(10);
    assert.deepEqual(subs.setDesired(topics(23)), []);
    const requests = subs.onConnected();
    assert.deepEqual(requests.map((r) => r.args.length), [10, 10, 3]);
    assert.ok(requests.every((r) => r.op === 'subscribe'));
    assert.equal(new Set(requests.map((r) => r.reqId)).size, 3);
    assert.deepEqual(requests.flatMap((r) => r.args).sort(), topics(23).sort());
  });

  it('activates topics on a successful ack and never re-sends an active topic', () => {
    const subs = new TopicSubscriptions(10);
    subs.setDesired(['a', 'b']);
    const [request] = subs.onConnected();
    const outcome = subs.onAck(request!.reqId, true, '');
    assert.deepEqual([...outcome.activated].sort(), ['a', 'b']);
    const more = subs.setDesired(['a', 'b', 'c']);
    assert.deepEqual(more.map((r) => [r.op, r.args]), [['subscribe', ['c']]]);
  });

  it('drops the topic Bybit names as unknown and re-sends the rest without it', () => {
    const subs = new TopicSubscriptions(10);
    subs.setDesired(['kline.1.BTCUSDT', 'orderbook.50.NOPEUSDT', 'tickers.BTCUSDT']);
    const [request] = subs.onConnected();
    const outcome = subs.onAck(request!.reqId, false, 'error:handler not found,topic:orderbook.50.NOPEUSDT');
    assert.deepEqual(outcome.rejected, [{ topic: 'orderbook.50.NOPEUSDT', reason: 'error:handler not found,topic:orderbook.50.NOPEUSDT' }]);
    assert.deepEqual(outcome.send.map((r) => [...r.args].sort()), [['kline.1.BTCUSDT', 'tickers.BTCUSDT']]);
    assert.equal(subs.rejectedTopics().has('orderbook.50.NOPEUSDT'), true);
    // After a reconnect the rejected topic is not retried in a loop.
    subs.onDisconnected();
    const again = subs.onConnected();
    assert.ok(again.every((r) => !r.args.includes('orderbook.50.NOPEUSDT')));
  });

  it('treats "already subscribed" as active and retries the rest of the poisoned batch', () => {
    const subs = new TopicSubscriptions(10);
    subs.setDesired(['x', 'y']);
    const [request] = subs.onConnected();
    const outcome = subs.onAck(request!.reqId, false, 'error:already subscribed,topic:x');
    assert.deepEqual(outcome.activated, ['x']);
    assert.deepEqual(outcome.send.map((r) => r.args), [['y']]);
    assert.equal(subs.isActive('x'), true);
  });

  it('splits a batch whose failure names no topic, down to the culprit alone', () => {
    const subs = new TopicSubscriptions(10);
    subs.setDesired(['a', 'b', 'c', 'd']);
    const [request] = subs.onConnected();
    const halves = subs.onAck(request!.reqId, false, 'args size >10');
    assert.deepEqual(halves.send.map((r) => r.args), [['a', 'b'], ['c', 'd']]);
    subs.onAck(halves.send[0]!.reqId, true, '');
    const quarter = subs.onAck(halves.send[1]!.reqId, false, 'mystery');
    assert.deepEqual(quarter.send.map((r) => r.args), [['c'], ['d']]);
    subs.onAck(quarter.send[0]!.reqId, true, '');
    const last = subs.onAck(quarter.send[1]!.reqId, false, 'error:handler not found');
    assert.deepEqual(last.rejected.map((r) => r.topic), ['d']);
    assert.deepEqual(last.send, []);
    assert.deepEqual(subs.activeTopics().sort(), ['a', 'b', 'c']);
  });

  it('keeps a topic whose lone failure is not a verdict on it, and tries it on the next socket', () => {
    const subs = new TopicSubscriptions(10);
    subs.setDesired(['t']);
    const [request] = subs.onConnected();
    const outcome = subs.onAck(request!.reqId, false, 'internal server error');
    assert.deepEqual(outcome.rejected, []);
    assert.deepEqual(outcome.send, [], 'not retried in a loop on this socket');
    assert.equal(subs.rejectedTopics().size, 0);
    subs.onDisconnected();
    assert.deepEqual(subs.onConnected().map((r) => r.args), [['t']]);
  });

  it('resyncs with unsubscribe, then subscribe once the unsubscribe is acked', () => {
    const subs = new TopicSubscriptions(10);
    subs.setDesired(['orderbook.50.BTCUSDT']);
    const [sub] = subs.onConnected();
    subs.onAck(sub!.reqId, true, '');
    const [unsub] = subs.resync('orderbook.50.BTCUSDT');
    assert.equal(unsub!.op, 'unsubscribe');
    assert.deepEqual(subs.resync('orderbook.50.BTCUSDT'), [], 'a second resync while one runs sends nothing');
    const outcome = subs.onAck(unsub!.reqId, true, '');
    assert.deepEqual(outcome.send.map((r) => [r.op, r.args]), [['subscribe', ['orderbook.50.BTCUSDT']]]);
    const failed = subs.resync('orderbook.50.BTCUSDT');
    assert.deepEqual(failed, [], 'not active until the new subscribe is acked');
  });

  it('asks for a reconnect when a resync unsubscribe fails', () => {
    const subs = new TopicSubscriptions(10);
    subs.setDesired(['t']);
    const [sub] = subs.onConnected();
    subs.onAck(sub!.reqId, true, '');
    const [unsub] = subs.resync('t');
    assert.equal(subs.onAck(unsub!.reqId, false, 'error').reconnect, true);
  });

  it('reports requests that are overdue', () => {
    let now = 1_000;
    const subs = new TopicSubscriptions(10, () => now);
    subs.setDesired(['t']);
    subs.onConnected();
    assert.equal(subs.overdue(5_000).length, 0);
    now += 6_000;
    assert.equal(subs.overdue(5_000).length, 1);
  });

  it('unsubscribes topics that are no longer wanted', () => {
    const subs = new TopicSubscriptions(10);
    subs.setDesired(['a', 'b']);
    const [sub] = subs.onConnected();
    subs.onAck(sub!.reqId, true, '');
    const requests = subs.setDesired(['a']);
    assert.deepEqual(requests.map((r) => [r.op, r.args]), [['unsubscribe', ['b']]]);
  });
});

describe('classifyInbound', () => {
  it('recognises every pong shape in the reference', () => {
    for (const pong of [
      { success: true, ret_msg: 'pong', conn_id: 'x', op: 'ping' },
      { success: true, ret_msg: 'pong', conn_id: 'x', req_id: '', op: 'ping' },
      { success: true, ret_msg: 'pong', conn_id: 'x', req_id: 'ping-pp', op: 'ping' },
      { args: ['1672916271846'], op: 'pong' },
      { req_id: 'test', op: 'pong', args: ['1675418560633'], conn_id: 'x' },
    ]) {
      assert.deepEqual(classifyInbound(pong), { kind: 'pong' }, JSON.stringify(pong));
    }
  });
  it('recognises acks of both shapes and data frames', () => {
    assert.deepEqual(classifyInbound({ success: true, ret_msg: 'subscribe', conn_id: 'c', req_id: '10001', op: 'subscribe' }), {
      kind: 'ack', op: 'subscribe', success: true, reqId: '10001', retMsg: 'subscribe',
    });
    const ack = classifyInbound({ success: true, ret_msg: '', conn_id: 'c', req_id: '', op: 'subscribe' });
    assert.equal(ack?.kind === 'ack' && ack.reqId, undefined);
    const data = classifyInbound({ topic: 'kline.1.BTCUSDT', data: [], ts: 1, type: 'snapshot' });
    assert.equal(data?.kind, 'data');
    assert.equal(classifyInbound([1, 2]), undefined);
    assert.equal(classifyInbound('x'), undefined);
  });
  it('finds the topic named in an error', () => {
    assert.equal(topicNamedInError('error:handler not found,topic:orderbook.50.NOPEUSDT'), 'orderbook.50.NOPEUSDT');
    assert.equal(topicNamedInError('error:already subscribed,topic:orderbook.1.ETHUSDT'), 'orderbook.1.ETHUSDT');
    assert.equal(topicNamedInError('Invalid symbol :[kline.1.FOO]'), 'kline.1.FOO');
    assert.equal(topicNamedInError('args size >10'), undefined);
  });
});
