/**
 * The CLI as an operator runs it: `tickstream simulate` and `tickstream worker`
 * as separate processes over a real Redis, a banner, data on the channels,
 * and a clean exit on SIGTERM; bad input gives a clear error and exit code 2.
 */
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import assert from 'node:assert/strict';
import { FAST_LINK_ENV } from '../helpers/worker-stack.js';
import { TestRedisServer } from '../helpers/redis-server.js';
import { ChannelObserver } from '../helpers/channel-observer.js';
import { killOnExit, runCli, startSimulatorProcess } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';

describe('tickstream CLI processes', () => {
  it('simulate + worker: banner, data on every channel kind, SIGTERM exits 0 with final stats', async (t) => {
    const defer = deferCleanups(t);
    const redis = await TestRedisServer.start();
    defer(() => redis.stop());
    const { process: simulator, wsUrl, restUrl } = await startSimulatorProcess(['--time-scale', '60']);
    defer(killOnExit(simulator));
    const observer = await ChannelObserver.start(redis.url, 'ts:');
    defer(() => observer.close());

    const worker = runCli(['worker', '--symbols', 'btcusdt', '--timeframes', '1', '--status-interval', '1'], {
      ...FAST_LINK_ENV,
      LOG_LEVEL: 'info',
      BYBIT_WS_URL: wsUrl,
      BYBIT_REST_URL: restUrl,
      REDIS_URL: redis.url,
      REDIS_CHANNEL_PREFIX: 'ts:',
    });
    defer(killOnExit(worker));
    await worker.waitForOutput(/tickstream worker: Bybit linear mainnet, symbols BTCUSDT, timeframes 1/);
    await worker.waitForOutput(/"topic":"orderbook\.50\.BTCUSDT".*subscription active/);
    await waitFor('data on every channel kind', () =>
      ['candles:BTCUSDT:1', 'trades:BTCUSDT', 'ticker:BTCUSDT', 'orderbook:BTCUSDT'].every((c) => observer.on(c).length > 0), 15_000);
    await worker.waitForOutput(/status: received \d+, published \d+, rejected 0, unpublished 0, reconnects 0; last message age: candles:BTCUSDT:1=/, 5_000);

    const stoppedAt = Date.now();
    worker.child.kill('SIGTERM');
    const { code } = await worker.exited(8_000);
    assert.equal(code, 0);
    assert.ok(Date.now() - stoppedAt < 5_000, 'stopped within a few seconds');
    assert.match(worker.output(), /final stats/);
    await waitFor('stopped status published', () => observer.statuses().some((s) => s.state === 'stopped'));

    simulator.child.kill('SIGINT');
    assert.equal((await simulator.exited()).code, 0);
  });

  it('worker and two gateways as separate processes over Redis: clients of both see the same stream; SIGTERM closes clients with 1001', async (t) => {
    const defer = deferCleanups(t);
    const redis = await TestRedisServer.start();
    defer(() => redis.stop());
    const { process: simulator, wsUrl, restUrl } = await startSimulatorProcess(['--time-scale', '60']);
    defer(killOnExit(simulator));
    const worker = runCli(['worker', '--symbols', 'BTCUSDT', '--timeframes', '1'], {
      ...FAST_LINK_ENV, LOG_LEVEL: 'info', BYBIT_WS_URL: wsUrl, BYBIT_REST_URL: restUrl, REDIS_URL: redis.url,
    });
    defer(killOnExit(worker));
    const gateways = [0, 1].map(() => runCli(['gateway', '--port', '0', '--symbols', 'BTCUSDT', '--timeframes', '1'], { LOG_LEVEL: 'info', REDIS_URL: redis.url }));
    for (const gateway of gateways) defer(killOnExit(gateway));
    const urls = await Promise.all(gateways.map(async (gateway) => (await gateway.waitForOutput(/tickstream gateway listening on (http:\/\/\S+?)\/api\/v1\/live/))[1]!));

    const received = urls.map(() => [] as { type: string; seq?: number; channel?: string }[]);
    const closes: number[] = [];
    const sockets = urls.map((url, i) => {
      const socket = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live/ws/orderbook/BTCUSDT`);
      socket.on('message', (data: Buffer) => received[i]!.push(JSON.parse(data.toString('utf8')) as { type: string; seq?: number }));
      socket.on('close', (code) => closes.push(code));
      return socket;
    });
    defer(() => sockets.forEach((socket) => socket.terminate()));
    await waitFor('both clients receive updates', () => received.every((messages) => messages.filter((m) => m.type === 'update').length > 20), 15_000);
    for (const all of received) {
      // Status messages come whenever the link changes (the worker going live as the clients subscribe): the
      // channel's own messages are judged in order.
      const messages = all.filter((m) => m.type !== 'status');
      assert.equal(messages[0]!.type, 'subscribed');
      assert.equal(messages[1]!.type, 'snapshot');
      const seqs = messages.slice(1).map((m) => m.seq!);
      for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1, 'no hole, no duplicate after the snapshot');
    }
    const common = received[0]!.filter((m) => m.type === 'update').map((m) => m.seq);
    const other = new Set(received[1]!.filter((m) => m.type === 'update').map((m) => m.seq));
    assert.ok(common.filter((seq) => other.has(seq)).length > 10, 'the same seqs through both gateways');

    gateways[0]!.child.kill('SIGTERM');
    assert.equal((await gateways[0]!.exited(8_000)).code, 0);
    await waitFor('client of the stopped gateway closed', () => closes.length === 1, 5_000);
    assert.equal(closes[0], 1001);
    const before = received[1]!.length;
    await waitFor('the other gateway keeps serving', () => received[1]!.length > before + 5, 5_000);
  });

  it('an unknown symbol exits 2 naming it; a bad flag exits 2 naming the flag', async () => {
    const { process: simulator, wsUrl, restUrl } = await startSimulatorProcess();
    try {
      const worker = runCli(['worker', '--symbols', 'BTCUSDT,NOPEUSDT'], {
        LOG_LEVEL: 'silent',
        BYBIT_WS_URL: wsUrl,
        BYBIT_REST_URL: restUrl,
        REDIS_URL: 'redis://127.0.0.1:1',
      });
      assert.equal((await worker.exited()).code, 2);
      assert.match(worker.output(), /unknown or not trading on Bybit linear: NOPEUSDT/);

      const badFlag = runCli(['worker', '--orderbook-depth', '500']);
      assert.equal((await badFlag.exited()).code, 2);
      assert.match(badFlag.output(), /--orderbook-depth \(ORDERBOOK_DEPTH\): expected one of 1, 50, 200, 1000, got "500"/);

      const unknownCommand = runCli(['frobnicate']);
      assert.equal((await unknownCommand.exited()).code, 2);
      assert.match(unknownCommand.output(), /unknown command "frobnicate"/);
    } finally {
      await killOnExit(simulator)();
    }
  });
});
