/**
 * Redis hops measured by publishers that do nothing else, one process publishing and a subscriber in another, at
 * the feed's priority and cadence (a 1 ms timer):
 * - `bare`: a bare PUBLISH of a trade-sized payload, before the feed starts: the machine's floor for any hop. A hop
 *   target below it is the machine's, not the code's;
 * - `bus`: a ticker update through tickstream's own Redis bus (its publish MULTI: state, seq, history, registry,
 *   PUBLISH), at a low rate while the feed runs. The feed's own publish hop also holds the feed's event-loop delays
 *   (it builds every message and order book of the mix); this one is what Redis and the MULTI take under the
 *   feed's load.
 *
 *   npx tsx bench/harness/bare-hop.ts bare|bus pub|sub REDIS_URL [perSecond=1800] [seconds=8]
 *
 * Each prints one JSON line: `{ "publish": histogram }` (publish call → reply)
 * or `{ "receipt": histogram }` (publish call → the subscriber).
 * @module
 */
import { spawn } from 'node:child_process';
import { createClient } from 'redis';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import { DEFAULT_BUS_LIMITS } from '../../src/bus/market-bus.js';
import { LatencyHistogram, monotonicMicros } from './bench-common.js';
import { tickerUpdate } from './reference-feed.js';
import { asFeed } from './servers.js';

export type HopKind = 'bare' | 'bus';

/** A hop's two ends: publish call → reply, and publish call → the subscriber, µs. */
export interface HopPair {
  readonly publish: LatencyHistogram;
  readonly receipt: LatencyHistogram;
}

const BARE_CHANNEL = 'bench:bare-hop';
/** Not a symbol of the feed: the probe's channel is its own. */
const PROBE_SYMBOL = 'HOPPROBEUSDT';
const BUS_CHANNEL = `ticker:${PROBE_SYMBOL}`;
/** About the size of a trade update. */
const PADDING = 'x'.repeat(300);

interface Publisher {
  /** Publishes one message stamped with `sentUs`; resolves when Redis confirmed it. */
  send(sentUs: number): Promise<unknown>;
  close(): Promise<unknown>;
}

async function publisher(kind: HopKind, url: string): Promise<Publisher> {
  if (kind === 'bare') {
    const client = createClient({ url });
    await client.connect();
    return { send: (sentUs) => client.publish(BARE_CHANNEL, `${sentUs} ${PADDING}`), close: () => client.quit() };
  }
  const bus = createRedisBus({ url, prefix: '', limits: DEFAULT_BUS_LIMITS });
  return {
    send: (sentUs) => bus.publish(Object.assign(tickerUpdate(PROBE_SYMBOL, '100.00', Date.now()), { bench_sent: sentUs })),
    close: () => bus.close(),
  };
}

async function publish(kind: HopKind, url: string, perSecond: number, seconds: number): Promise<LatencyHistogram> {
  const target = await publisher(kind, url);
  const histogram = new LatencyHistogram();
  const perTick = perSecond / 1000;
  const endAt = performance.now() + seconds * 1000;
  let due = 0;
  // The feed's cadence: a 1 ms timer, publishing what fell due since the last tick.
  while (performance.now() < endAt) {
    for (due += perTick; due >= 1; due--) {
      const sentUs = monotonicMicros();
      void target.send(sentUs).then(() => histogram.record(monotonicMicros() - sentUs));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await target.close();
  return histogram;
}

async function subscribe(kind: HopKind, url: string, seconds: number): Promise<LatencyHistogram> {
  const client = createClient({ url });
  await client.connect();
  const histogram = new LatencyHistogram();
  if (kind === 'bare') {
    await client.subscribe(BARE_CHANNEL, (message) => histogram.record(monotonicMicros() - Number.parseInt(message, 10)));
  } else {
    await client.subscribe(BUS_CHANNEL, (message) => histogram.record(monotonicMicros() - (JSON.parse(message) as { bench_sent: number }).bench_sent));
  }
  process.send?.('subscribed');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await client.quit();
  return histogram;
}

/** Runs both ends as child processes at the feed's priority (asFeed), the subscriber first. */
export async function measureHop(kind: HopKind, url: string, perSecond: number, seconds: number): Promise<HopPair> {
  let subscribed!: () => void;
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  const receipt = runEnd(kind, 'sub', [url, String(perSecond), String(seconds)], subscribed);
  await ready;
  const publish = await runEnd(kind, 'pub', [url, String(perSecond), String(seconds)]);
  return { publish, receipt: await receipt };
}

function runEnd(kind: HopKind, role: 'pub' | 'sub', args: string[], onSubscribed?: () => void): Promise<LatencyHistogram> {
  const [command, argv] = asFeed(process.execPath, ['--import', 'tsx', 'bench/harness/bare-hop.ts', kind, role, ...args]);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  child.on('message', () => onSubscribed?.());
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', () => {
      try {
        const line = JSON.parse(output) as { publish?: ReturnType<LatencyHistogram['toJSON']>; receipt?: ReturnType<LatencyHistogram['toJSON']> };
        const histogram = new LatencyHistogram();
        histogram.merge((line.publish ?? line.receipt)!);
        resolve(histogram);
      } catch {
        reject(new Error(`bare-hop ${kind} ${role}: no result (${output.slice(0, 200)})`));
      }
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [kind = 'bare', role, url = 'redis://127.0.0.1:6379', perSecond = '1800', seconds = '8'] = process.argv.slice(2);
  if (kind !== 'bare' && kind !== 'bus') throw new Error('usage: bare-hop.ts bare|bus pub|sub REDIS_URL [perSecond] [seconds]');
  const done =
    role === 'pub'
      ? publish(kind, url, Number(perSecond), Number(seconds)).then((histogram) => ({ publish: histogram.toJSON() }))
      : subscribe(kind, url, Number(seconds) + 1).then((histogram) => ({ receipt: histogram.toJSON() }));
  void done.then((result) => process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0)));
}
