/**
 * The fixed-channel WebSocket endpoints: /ws/trades/{symbol},
 * /ws/ticker/{symbol}, /ws/orderbook/{symbol}, /ws/candles/{symbol}/{tf}. The
 * exact `subscribed` answer, a snapshot of the documented size and shape,
 * updates continuing its seq; requests that cannot be served (error + 4400);
 * paths that are no endpoint (HTTP 404 before the upgrade).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  CandleSnapshotSchema,
  OrderBookSnapshotSchema,
  TickerSnapshotSchema,
  TradeSnapshotSchema,
  type CandleData,
} from '../../src/schemas/index.js';
import { TestRedisServer } from '../helpers/redis-server.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { waitFor } from '../helpers/wait-for.js';
import { LIVE, startGatewayStack, type GatewayStack } from './helpers/gateway-stack.js';
import { TestClient, dataOf, isError, refusedUpgradeStatus, seqOf, type ServerMessage } from './helpers/ws-client.js';

const snapshotCheckers = {
  candles: TypeCompiler.Compile(CandleSnapshotSchema),
  trades: TypeCompiler.Compile(TradeSnapshotSchema),
  ticker: TypeCompiler.Compile(TickerSnapshotSchema),
  orderbook: TypeCompiler.Compile(OrderBookSnapshotSchema),
};

async function open(stack: GatewayStack, path: string): Promise<TestClient> {
  const client = await TestClient.connect(`${stack.ws}${path}`);
  stack.defer(() => client.close());
  return client;
}

/** The first message, the snapshot, and `updates` updates; checks shape and seq stitching. */
async function stream(client: TestClient, channel: string, updates = 3): Promise<{ first: ServerMessage; snapshot: ServerMessage; updates: ServerMessage[] }> {
  const first = await client.next(() => true, 5_000, 'the first message');
  const [snapshot, ...rest] = await client.take(1 + updates, dataOf(channel), 10_000, `${channel} data`);
  assert.equal(snapshot!.type, 'snapshot', `${channel}: a snapshot follows subscribed`);
  assert.equal(client.received[1]!.message.type, 'snapshot', `${channel}: the second message is the snapshot`);
  const checker = snapshotCheckers[snapshot!.subscription as keyof typeof snapshotCheckers];
  assert.ok(checker, `snapshot subscription ${String(snapshot!.subscription)}`);
  assert.ok(checker.Check(snapshot), `${channel} snapshot shape: ${JSON.stringify([...checker.Errors(snapshot)][0])}`);
  let previous = seqOf(snapshot);
  for (const update of rest) {
    assert.equal(update.type, 'update');
    assert.equal(seqOf(update), previous + 1, `${channel}: seq ${seqOf(update)} after ${previous}`);
    previous = seqOf(update);
  }
  return { first, snapshot: snapshot, updates: rest };
}

/** A request a path endpoint cannot serve: one error with `code`, then close 4400, and nothing else. */
async function assertRefusedWith(stack: GatewayStack, path: string, code: string): Promise<void> {
  const client = await open(stack, path);
  const closed = await client.expectClose(5_000);
  assert.equal(closed.code, 4400, `${path}: close code`);
  const messages = client.all();
  assert.equal(messages.length, 1, `${path}: exactly one message before the close, got ${JSON.stringify(messages)}`);
  assert.equal(messages[0]!.type, 'error');
  assert.equal(messages[0]!.code, code, `${path}: error code`);
  assert.equal(typeof messages[0]!.message, 'string');
}

async function candleCount(stack: GatewayStack, channel: string): Promise<number> {
  const snapshot = await stack.bus.readSnapshot(channel, 1000);
  return snapshot.subscription === 'candles' ? snapshot.candles.length : 0;
}

describe('gateway path endpoints', () => {
  it('/ws/candles/{symbol}/{tf}?limit=5: the exact subscribed message, at most 5 candles ending with the forming one, then updates', async (t) => {
    const stack = await startGatewayStack(t);
    const client = await open(stack, '/ws/candles/BTCUSDT/1?limit=5');
    const { first, snapshot } = await stream(client, 'candles:BTCUSDT:1');
    assert.deepEqual(first, {
      type: 'subscribed',
      success: true,
      message: 'Subscribed to BTCUSDT candles (1m)',
      subscription: 'candles',
      symbol: 'BTCUSDT',
      timeframe: '1',
    });
    assert.deepEqual(Object.keys(first).sort(), ['message', 'subscription', 'success', 'symbol', 'timeframe', 'type']);
    assert.equal(snapshot.channel, 'candles:BTCUSDT:1');
    assert.equal(snapshot.timeframe, '1');
    const candles = snapshot.candles as CandleData[];
    assert.ok(candles.length >= 1 && candles.length <= 5, `${candles.length} candles`);
    for (let i = 1; i < candles.length; i++) assert.equal(candles[i]!.timestamp - candles[i - 1]!.timestamp, 60_000, 'oldest first, one minute apart');
    for (const candle of candles.slice(0, -1)) assert.equal(candle.confirm, true, 'every candle but the last is closed');
    const last = candles.at(-1)!;
    // The forming candle: the market minute the snapshot was taken in (the simulator closes one per second,
    // so the snapshot may be a tick behind the clock, never a minute ahead).
    const minuteNow = Math.floor(stack.simulator.virtualTimeMs / 60_000) * 60_000;
    assert.ok(last.timestamp <= minuteNow && last.timestamp >= minuteNow - 2 * 60_000, `last candle ${last.timestamp} vs market minute ${minuteNow}`);
  });

  it('/ws/candles: the default snapshot holds 200 candles; lower-case symbols are accepted', async (t) => {
    const stack = await startGatewayStack(t);
    await waitFor('backfill of 5m candles', async () => (await candleCount(stack, 'candles:ETHUSDT:5')) > 200, 15_000);
    const client = await open(stack, '/ws/candles/ethusdt/5');
    const { first, snapshot } = await stream(client, 'candles:ETHUSDT:5', 1);
    assert.deepEqual(first, {
      type: 'subscribed',
      success: true,
      message: 'Subscribed to ETHUSDT candles (5m)',
      subscription: 'candles',
      symbol: 'ETHUSDT',
      timeframe: '5',
    });
    const candles = snapshot.candles as CandleData[];
    assert.equal(candles.length, 200);
    for (let i = 1; i < candles.length; i++) assert.equal(candles[i]!.timestamp - candles[i - 1]!.timestamp, 300_000);
  });

  it('/ws/trades, /ws/ticker, /ws/orderbook: subscribed, a snapshot of the current state, then updates continuing its seq', async (t) => {
    const stack = await startGatewayStack(t);
    const trades = await open(stack, '/ws/trades/BTCUSDT?limit=10');
    const ticker = await open(stack, '/ws/ticker/BTCUSDT');
    const book = await open(stack, '/ws/orderbook/ETHUSDT');

    const tradeStream = await stream(trades, 'trades:BTCUSDT');
    assert.deepEqual(tradeStream.first, { type: 'subscribed', success: true, message: 'Subscribed to BTCUSDT trades', subscription: 'trades', symbol: 'BTCUSDT' });
    const snapshotTrades = tradeStream.snapshot.trades as { id: string; timestamp: number }[];
    assert.ok(snapshotTrades.length >= 1 && snapshotTrades.length <= 10, `${snapshotTrades.length} trades`);
    for (let i = 1; i < snapshotTrades.length; i++) assert.ok(snapshotTrades[i]!.timestamp >= snapshotTrades[i - 1]!.timestamp, 'trades oldest first');
    for (const update of tradeStream.updates) assert.ok((update.trades as unknown[]).length >= 1);

    const tickerStream = await stream(ticker, 'ticker:BTCUSDT');
    assert.deepEqual(tickerStream.first, { type: 'subscribed', success: true, message: 'Subscribed to BTCUSDT ticker', subscription: 'ticker', symbol: 'BTCUSDT' });
    assert.equal((tickerStream.snapshot.ticker as { symbol: string }).symbol, 'BTCUSDT');

    const bookStream = await stream(book, 'orderbook:ETHUSDT');
    assert.deepEqual(bookStream.first, { type: 'subscribed', success: true, message: 'Subscribed to ETHUSDT orderbook', subscription: 'orderbook', symbol: 'ETHUSDT' });
    const snapshotBook = bookStream.snapshot.book as { bids: unknown[]; asks: unknown[] };
    assert.ok(snapshotBook.bids.length > 0 && snapshotBook.asks.length > 0, 'the book has both sides');
    for (const update of bookStream.updates) assert.ok(update.action === 'snapshot' || update.action === 'delta');

    for (const client of [trades, ticker, book]) {
      assert.deepEqual(client.all(isError()), []);
      assert.ok(client.isOpen);
    }
  });

  it('requests that cannot be served: the error, then close 4400', async (t) => {
    const stack = await startGatewayStack(t);
    await assertRefusedWith(stack, '/ws/ticker/DOGEUSDT', 'UNKNOWN_SYMBOL');
    await assertRefusedWith(stack, '/ws/trades/DOGEUSDT', 'UNKNOWN_SYMBOL');
    await assertRefusedWith(stack, '/ws/candles/DOGEUSDT/1', 'UNKNOWN_SYMBOL');
    await assertRefusedWith(stack, '/ws/candles/BTCUSDT/15', 'UNKNOWN_TIMEFRAME');
    await assertRefusedWith(stack, '/ws/candles/BTCUSDT/7', 'UNKNOWN_TIMEFRAME');
    await assertRefusedWith(stack, '/ws/ticker/BTC%24USDT', 'INVALID_SYMBOL');
    await assertRefusedWith(stack, '/ws/candles/BTCUSDT/1?limit=0', 'INVALID_PARAMETER');
    await assertRefusedWith(stack, '/ws/candles/BTCUSDT/1?limit=5000', 'INVALID_PARAMETER');
    await assertRefusedWith(stack, '/ws/trades/BTCUSDT?limit=1001', 'INVALID_PARAMETER');
    await assertRefusedWith(stack, '/ws/trades/BTCUSDT?limit=ten', 'INVALID_PARAMETER');
    await assertRefusedWith(stack, '/ws/ticker/BTCUSDT?since=-1', 'INVALID_PARAMETER');
    await assertRefusedWith(stack, '/ws/ticker/BTCUSDT?since=1.5', 'INVALID_PARAMETER');
    // The edges that are valid.
    const max = await open(stack, '/ws/candles/BTCUSDT/1?limit=1000');
    const { snapshot } = await stream(max, 'candles:BTCUSDT:1', 0);
    assert.ok((snapshot.candles as unknown[]).length <= 1000);
    const one = await open(stack, '/ws/trades/BTCUSDT?limit=1');
    const trades = await stream(one, 'trades:BTCUSDT', 0);
    assert.ok((trades.snapshot.trades as unknown[]).length <= 1);
  });

  it('paths that are no endpoint are refused with HTTP 404 before the upgrade', async (t) => {
    const stack = await startGatewayStack(t, { waitForData: false });
    const root = stack.ws.slice(0, -LIVE.length);
    for (const path of [
      `${root}/other`,
      `${root}/ws`,
      `${root}/api/v1/ws`,
      `${stack.ws}`,
      `${stack.ws}/other`,
      `${stack.ws}/ws/`,
      `${stack.ws}/ws/candles/BTCUSDT`,
      `${stack.ws}/ws/ticker/BTCUSDT/1`,
      `${stack.ws}/ws/candles/BTCUSDT/1/extra`,
      `${stack.ws}/ws//BTCUSDT`,
    ]) {
      assert.equal(await refusedUpgradeStatus(path), 404, path);
    }
  });

  it('an unknown stream type in the path is no endpoint: HTTP 404', async (t) => {
    const stack = await startGatewayStack(t, { waitForData: false });
    // Regression: an unknown stream type in the path was once upgraded, then closed with 4400, instead of a 404.
    assert.equal(await refusedUpgradeStatus(`${stack.ws}/ws/nope/BTCUSDT`).catch((error: Error) => error.message), 404, '/ws/nope/BTCUSDT');
  });

  it('a path that only starts with /ws is no endpoint: HTTP 404', async (t) => {
    const stack = await startGatewayStack(t, { waitForData: false });
    // Regression: /api/v1/live/wsx was once served as the multiplexed /ws endpoint.
    assert.equal(await refusedUpgradeStatus(`${stack.ws}/wsx`).catch((error: Error) => error.message), 404, '/wsx');
  });

  it('a malformed percent-escape in the path is refused and does not bring the gateway process down', async (t) => {
    // In a child process (`tickstream gateway`): an exception escaping the upgrade handler is fatal there.
    const defer = deferCleanups(t);
    const redis = await TestRedisServer.start();
    defer(() => redis.stop());
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'gateway'], {
      env: { ...process.env, PORT: '0', REDIS_URL: redis.url, SYMBOLS: 'BTCUSDT', TIMEFRAMES: '1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    defer(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    });
    await waitFor('the gateway listening', () => /listening on http:\/\/[\d.]+:\d+\/api\/v1\/live/.test(output) || child.exitCode !== null, 20_000);
    const base = /listening on (http:\/\/[\d.]+:\d+)\/api\/v1\/live/.exec(output)?.[1];
    assert.ok(base, `no listening line in:\n${output.slice(-2000)}`);
    const ws = `${base.replace('http:', 'ws:')}${LIVE}`;

    const status = await refusedUpgradeStatus(`${ws}/ws/trades/%E0%A4%A`, 3_000).catch((error: Error) => error.message);
    const health = await fetch(`${base}${LIVE}/health`).then(
      (response) => response.status,
      (error: Error) => error.message,
    );
    const exitCode = await Promise.race([exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 200))]);
    // Regression: a malformed percent-escape in the path once threw inside the upgrade handler and killed the process.
    assert.deepEqual(
      { refused: status === 400 || status === 404, healthAnswers: typeof health === 'number', process: exitCode },
      { refused: true, healthAnswers: true, process: 'running' },
      `upgrade answer: ${status}, health: ${health}\n${output.slice(-1500)}`,
    );
  });
});
