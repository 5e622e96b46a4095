#!/usr/bin/env node
// Smoke check of the "Python original" baseline (server.py). A fixture check, not part of `npm test`.
// Starts its own redis-server and the server (uvicorn on Debian's /usr/bin/python3) on free loopback ports, then:
//   1. a client on /ws/BTCUSDT gets a message published (redis-cli PUBLISH) on each of the 4 channels, the text
//      unchanged, one text frame each, and nothing published for another symbol;
//   2. the server holds one Redis connection per client: the CLIENT LIST count grows by 3 with 3 clients and
//      comes back down when they close.
// Runs both rows: uvicorn's default (permessage-deflate on) and --ws-per-message-deflate false.
// Usage (from the repo root): node bench/baselines/python-original/smoke.mjs      exit 0 = pass
import { close, connect, numsub, redisCli, redisClients, sleep, startRedis, startServer, stop, stopAll, waitFor } from './fixture.mjs';

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures += 1;
}

const CHANNELS = ['candles:BTCUSDT:1', 'trades:BTCUSDT', 'ticker:BTCUSDT', 'orderbook:BTCUSDT'];

async function run(deflate) {
  console.log(`--- deflate ${deflate ? 'on (uvicorn default)' : 'off (--ws-per-message-deflate false)'}`);
  const redis = await startRedis();
  let server;
  try {
    server = await startServer(redis.port, { deflate });
    const url = server.url('BTCUSDT');
    const conns = () => redisClients(redis.port);
    const base = conns();

    // 1. Forwarding, unchanged.
    const { ws, frames } = await connect(url);
    check(deflate ? /^permessage-deflate/.test(ws.extensions) : ws.extensions === '', `negotiated extensions: "${ws.extensions}"`);
    check(await waitFor(() => CHANNELS.every((c) => numsub(redis.port, c) === 1)), 'subscribed to the 4 channels');
    const sent = CHANNELS.map((channel, i) =>
      JSON.stringify({ type: 'update', channel: channel.split(':')[0], symbol: 'BTCUSDT', seq: i + 1, note: 'Ünïcode €', bench_t: 123456789012 + i }),
    );
    redisCli(redis.port, 'PUBLISH', 'trades:ETHUSDT', '{"other":"symbol"}');
    CHANNELS.forEach((channel, i) => check(redisCli(redis.port, 'PUBLISH', channel, sent[i]) === '1', `PUBLISH ${channel} reached 1 subscriber`));
    await waitFor(() => frames.length >= 4, 5000);
    await sleep(200); // anything extra (the ETHUSDT message) would have arrived by now
    check(frames.length === 4, `client got ${frames.length} frames (want 4)`);
    check(frames.every((f) => !f.isBinary), 'all frames are text frames');
    check(sent.every((text, i) => frames[i]?.text === text), 'each frame is the published text, unchanged and in order');
    check(conns() === base + 1, `Redis connections with 1 client: ${conns()} (want ${base + 1})`);
    await close(ws);
    await waitFor(() => conns() === base);
    check(conns() === base, `Redis connections after it closed: ${conns()} (want ${base})`);

    // 2. One Redis connection per client.
    const three = await Promise.all([1, 2, 3].map(() => connect(url)));
    await waitFor(() => conns() === base + 3);
    check(conns() === base + 3, `Redis connections with 3 clients: ${conns()} (want ${base + 3})`);
    check(numsub(redis.port, 'trades:BTCUSDT') === 3, `PUBSUB NUMSUB trades:BTCUSDT = ${numsub(redis.port, 'trades:BTCUSDT')} (want 3)`);
    await Promise.all(three.map((c) => close(c.ws)));
    await waitFor(() => conns() === base);
    check(conns() === base, `Redis connections after the 3 closed: ${conns()} (want ${base})`);
    check(numsub(redis.port, 'trades:BTCUSDT') === 0, 'no subscriber left on trades:BTCUSDT');
    check(!/Traceback|ERROR/.test(server.log()), 'no error in the server log');
  } catch (err) {
    check(false, String(err));
  } finally {
    if (server) await stop(server.child);
    await stop(redis.child);
    if (failures > 0 && server) console.log(`server log:\n${server.log()}`);
  }
}

try {
  await run(true);
  await run(false);
} finally {
  await stopAll();
}
console.log(failures === 0 ? 'smoke: pass' : `smoke: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
