#!/usr/bin/env node
// First figure only, not a benchmark: VmRSS of the baseline server process (/proc/PID/status) with 0 idle
// clients (fresh start) and with N idle clients on /ws/{SYMBOL} (no message published), deflate on and off.
// Clients offer permessage-deflate as browsers do. Each row uses a fresh redis-server and server.
// Usage (from the repo root): node bench/baselines/python-original/idle-rss.mjs [clients=100] [settle_ms=3000]
import { close, connect, redisClients, rssKiB, sleep, startRedis, startServer, stop, stopAll, waitFor } from './fixture.mjs';

const N = Number(process.argv[2] ?? 100);
const SETTLE_MS = Number(process.argv[3] ?? 3000);
const mb = (kib) => (kib / 1024).toFixed(1);

async function row(deflate) {
  const redis = await startRedis();
  const server = await startServer(redis.port, { deflate });
  try {
    await sleep(SETTLE_MS);
    const idle0 = rssKiB(server.pid);
    const clients = [];
    // The symbols the feed uses: BTCUSDT, ETHUSDT, S003USDT ... (one client per symbol while N <= 100).
    for (let i = 0; i < N; i += 1) {
      const rank = i % 100;
      const symbol = rank === 0 ? 'BTCUSDT' : rank === 1 ? 'ETHUSDT' : `S${String(rank + 1).padStart(3, '0')}USDT`;
      clients.push(await connect(server.url(symbol)));
    }
    if (!(await waitFor(() => redisClients(redis.port) === N, 30000))) throw new Error(`expected ${N} Redis connections, have ${redisClients(redis.port)}`);
    const negotiated = clients[0].ws.extensions || '(none)';
    await sleep(SETTLE_MS);
    const idleN = rssKiB(server.pid);
    await Promise.all(clients.map((c) => close(c.ws)));
    await waitFor(() => redisClients(redis.port) === 0, 30000);
    await sleep(SETTLE_MS);
    const after = rssKiB(server.pid);
    return { deflate, negotiated, idle0, idleN, after };
  } finally {
    await stop(server.child);
    await stop(redis.child);
  }
}

try {
  console.log(`| server deflate | negotiated | RSS 0 clients MB | RSS ${N} idle clients MB | per client KB | RSS after they left MB |`);
  console.log('|---|---|---|---|---|---|');
  for (const deflate of [true, false]) {
    const r = await row(deflate);
    console.log(
      `| ${deflate ? 'on (default)' : 'off'} | ${r.negotiated} | ${mb(r.idle0)} | ${mb(r.idleN)} | ${((r.idleN - r.idle0) / N).toFixed(0)} | ${mb(r.after)} |`,
    );
  }
} finally {
  await stopAll();
}
