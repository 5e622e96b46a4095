/**
 * The client side of the fan-out benchmark, run as its own process so the
 * clients' CPU is not the gateway's: opens N WebSockets to one channel and
 * reports, per received update, the delay from its exchange_ts (set by the
 * publisher to the publish time, same machine clock) to arrival.
 */
import WebSocket from 'ws';

const [url, countText, durationText] = process.argv.slice(2);
const count = Number(countText);
const durationMs = Number(durationText) * 1000;
const latencies: number[] = [];
let opened = 0;
let received = 0;
/** Updates whose seq did not increase on their socket: must stay 0. */
let outOfOrder = 0;

for (let i = 0; i < count; i++) {
  const socket = new WebSocket(url!);
  let lastSeq = 0;
  socket.on('open', () => {
    if (++opened === count) process.send?.({ type: 'ready' });
  });
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as { type: string; exchange_ts?: number; seq?: number };
    if (message.type !== 'update' || message.exchange_ts === undefined) return;
    if ((message.seq ?? 0) <= lastSeq) outOfOrder++;
    lastSeq = message.seq ?? lastSeq;
    received++;
    latencies.push(Date.now() - message.exchange_ts);
  });
  socket.on('error', (error) => {
    process.send?.({ type: 'error', message: error.message });
  });
}

process.on('message', (message: { type: string }) => {
  if (message.type !== 'report') return;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  process.send?.({ type: 'report', received, outOfOrder, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: latencies.at(-1) ?? Number.NaN });
  setTimeout(() => process.exit(0), 100);
});
setTimeout(() => undefined, durationMs + 60_000);
