/**
 * Fan-out benchmark: one gateway, N clients on one channel (in a separate
 * process), updates published on the bus at a fixed rate. Measures the delay
 * from publish to arrival at the clients (p50/p90/p99/max), delivered
 * messages per second, and the gateway process's CPU time and memory.
 *
 *   npx tsx bench/fanout-latency.ts [clients=500] [rate=50] [seconds=10] [bus=memory|redis]
 *
 * With bus=redis it uses REDIS_URL (default redis://127.0.0.1:6379) and a
 * throwaway channel prefix. Results go to stdout as one Markdown table row.
 */
import { fork } from 'node:child_process';
import { DEFAULT_BUS_LIMITS, type MarketBus } from '../src/bus/market-bus.js';
import { createMemoryBus } from '../src/bus/memory-bus.js';
import { createRedisBus } from '../src/bus/redis-bus.js';
import { loadGatewayConfig } from '../src/config/gateway-config.js';
import { Gateway } from '../src/gateway/gateway.js';
import type { TickerUpdate, UnsequencedUpdate } from '../src/schemas/index.js';
import { silentLogger } from '../src/shared/logger.js';

const clients = Number(process.argv[2] ?? 500);
const rate = Number(process.argv[3] ?? 50);
const seconds = Number(process.argv[4] ?? 10);
const busKind = process.argv[5] ?? 'memory';

const prefix = `bench${process.pid}:`;
const bus: MarketBus =
  busKind === 'redis'
    ? createRedisBus({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix, limits: DEFAULT_BUS_LIMITS })
    : createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS });
const gateway = new Gateway(
  loadGatewayConfig({}, { PORT: '0', SYMBOLS: 'BTCUSDT', TIMEFRAMES: '1', LOG_LEVEL: 'silent', MAX_CONNECTIONS_PER_IP: String(clients + 10), NEW_CONNECTIONS_PER_IP_PER_MINUTE: String(clients + 10), REDIS_CHANNEL_PREFIX: prefix }, busKind !== 'redis'),
  { bus, logger: silentLogger() },
);
const { port } = await gateway.listen();

function ticker(seq: number): UnsequencedUpdate<TickerUpdate> {
  const now = Date.now();
  const price = (60_000 + (seq % 1000) / 10).toFixed(2);
  return {
    type: 'update',
    subscription: 'ticker',
    channel: 'ticker:BTCUSDT',
    symbol: 'BTCUSDT',
    ticker: { symbol: 'BTCUSDT', lastPrice: price, markPrice: price, indexPrice: price, bid1Price: price, ask1Price: price, volume24h: '12345.678', turnover24h: '740000000.12', price24hPcnt: '0.0123', fundingRate: '0.0001' },
    received_at: new Date(now).toISOString(),
    exchange_ts: now,
  };
}

await bus.publish(ticker(0));
const child = fork(new URL('./fanout-clients.ts', import.meta.url).pathname, [`ws://127.0.0.1:${port}/api/v1/live/ws/ticker/BTCUSDT`, String(clients), String(seconds)], {
  execArgv: ['--import', 'tsx'],
});
await new Promise<void>((resolve, reject) => {
  child.on('message', (message: { type: string; message?: string }) => {
    if (message.type === 'ready') resolve();
    if (message.type === 'error') reject(new Error(message.message));
  });
});

const cpuBefore = process.cpuUsage();
const startedAt = Date.now();
let sent = 0;
const timer = setInterval(() => {
  const due = Math.floor(((Date.now() - startedAt) / 1000) * rate);
  while (sent < due) {
    sent++;
    void bus.publish(ticker(sent));
  }
}, 5);
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
clearInterval(timer);
// The timer fires late when the event loop is saturated: measure, don't assume.
const publishedForMs = Date.now() - startedAt;
await new Promise((resolve) => setTimeout(resolve, 500));
const elapsedMs = Date.now() - startedAt;
const cpu = process.cpuUsage(cpuBefore);
const rssMb = process.memoryUsage().rss / 1024 / 1024;

const report = await new Promise<{ received: number; outOfOrder: number; p50: number; p90: number; p99: number; max: number }>((resolve) => {
  child.on('message', (message: { type: string }) => {
    if (message.type === 'report') resolve(message as never);
  });
  child.send({ type: 'report' });
});
const cpuPercent = ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100;
console.log('| bus | clients | updates/s | delivered/s | p50 ms | p90 ms | p99 ms | max ms | gateway CPU % | gateway RSS MB |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
console.log(
  `| ${busKind} | ${clients} | ${Math.round((sent / publishedForMs) * 1000)} | ${Math.round((report.received / elapsedMs) * 1000)} | ${report.p50} | ${report.p90} | ${report.p99} | ${report.max} | ${cpuPercent.toFixed(0)} | ${rssMb.toFixed(0)} |`,
);
console.log(`sent ${sent} updates; delivered ${report.received} of ${sent * clients} (the rest conflated for clients that fell behind); out of order: ${report.outOfOrder}`);
await gateway.stop();
await bus.close();
process.exit(0);
