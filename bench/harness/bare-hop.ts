/**
 * The machine's floor for a Redis hop: a bare PUBLISH from one process to a
 * subscriber in another, at the reference feed's message rate, with nothing
 * else running. tickstream's publish (a MULTI) and receipt hops are compared
 * against it: a hop target below this floor is the machine's, not the code's.
 *
 *   npx tsx bench/harness/bare-hop.ts pub|sub REDIS_URL [perSecond=1800] [seconds=8]
 *
 * Each prints one JSON line: `{ "publish": histogram }` (PUBLISH call → reply)
 * or `{ "receipt": histogram }` (PUBLISH call → the subscriber).
 * @module
 */
import { spawn } from 'node:child_process';
import { createClient } from 'redis';
import { LatencyHistogram, monotonicMicros } from './bench-common.js';
import { asFeed } from './servers.js';

const CHANNEL = 'bench:bare-hop';
/** About the size of a trade update. */
const PADDING = 'x'.repeat(300);

async function publish(url: string, perSecond: number, seconds: number): Promise<LatencyHistogram> {
  const client = createClient({ url });
  await client.connect();
  const histogram = new LatencyHistogram();
  const perTick = perSecond / 1000;
  const endAt = performance.now() + seconds * 1000;
  let due = 0;
  // The feed's cadence: a 1 ms timer, publishing what fell due since the last tick.
  while (performance.now() < endAt) {
    for (due += perTick; due >= 1; due--) {
      const sentUs = monotonicMicros();
      void client.publish(CHANNEL, `${sentUs} ${PADDING}`).then(() => histogram.record(monotonicMicros() - sentUs));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await client.quit();
  return histogram;
}

async function subscribe(url: string, seconds: number): Promise<LatencyHistogram> {
  const client = createClient({ url });
  await client.connect();
  const histogram = new LatencyHistogram();
  await client.subscribe(CHANNEL, (message) => histogram.record(monotonicMicros() - Number.parseInt(message, 10)));
  process.send?.('subscribed');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await client.quit();
  return histogram;
}

/** Runs both ends as child processes at the feed's priority (asFeed), the subscriber first. */
export async function measureBareHop(url: string, perSecond: number, seconds: number): Promise<{ publish: LatencyHistogram; receipt: LatencyHistogram }> {
  let subscribed!: () => void;
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  const receipt = runEnd('sub', [url, String(perSecond), String(seconds)], subscribed);
  await ready;
  const publish = await runEnd('pub', [url, String(perSecond), String(seconds)]);
  return { publish, receipt: await receipt };
}

function runEnd(role: 'pub' | 'sub', args: string[], onSubscribed?: () => void): Promise<LatencyHistogram> {
  const [command, argv] = asFeed(process.execPath, ['--import', 'tsx', 'bench/harness/bare-hop.ts', role, ...args]);
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
        reject(new Error(`bare-hop ${role}: no result (${output.slice(0, 200)})`));
      }
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [role, url = 'redis://127.0.0.1:6379', perSecond = '1800', seconds = '8'] = process.argv.slice(2);
  const done =
    role === 'pub'
      ? publish(url, Number(perSecond), Number(seconds)).then((histogram) => ({ publish: histogram.toJSON() }))
      : subscribe(url, Number(seconds) + 1).then((histogram) => ({ receipt: histogram.toJSON() }));
  void done.then((result) => process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0)));
}
