/**
 * `npm run bench [-- --profile quick|full] [--servers tickstream,python,python-nodeflate,socketio] [--scenarios zipf,…] [--connections 1000,5000] [--repeats N]`
 *
 * The reference feed on a private Redis; each server under test owns CPU 0
 * (pinned, and first in priority there); feed, Redis and clients share the
 * rest, feed and Redis before the clients (servers.ts). Servers are
 * interleaved within each repeat (A, B, C, A, B, C, …) so a slow minute of
 * the machine hits them alike; each row reports the median of the repeats with
 * min–max. Prints markdown and writes bench/results/<time>.json.
 * See docs/benchmarks.md.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { TestRedisServer } from '../../test/helpers/redis-server.js';
import { BURST_PERIOD_US, type LatencyHistogram } from './bench-common.js';
import { knees, summarize, table } from './bench-report.js';
import { measureHopsAtRest, runOne, type RunResult, type Scenario, type Timing } from './bench-run.js';
import { FeedProcess } from './feed-process.js';
import { measureHop, type HopPair } from './bare-hop.js';
import { describeFloor, measureMachineFloor, type MachineFloor } from './machine-floor.js';
import { describeWriteFloor, measureWriteFloor } from './write-floor.js';
import { FEED_NICE, pinned, renice, SERVERS, type ServerSpec } from './servers.js';

interface Profile extends Timing {
  readonly connections: readonly number[];
  /** Extra tickstream-only scenarios, at these connection counts. */
  readonly extrasAt: readonly number[];
  /** With the zipf-2-processes rows: one vs two gateway processes. */
  readonly scaleOut: boolean;
  readonly repeats: number;
}

/**
 * Windows are whole trade-burst periods (BURST_PERIOD_US): every window then holds the same share of burst time.
 * With 8 s windows a row held one burst or none, by chance (a third of the deliveries, or none, in a burst), and
 * rows of one run were not comparable.
 */
const BURST_PERIOD_S = BURST_PERIOD_US / 1_000_000;
/**
 * quick takes about 5 minutes on 2 vCPUs: 14 rows of ~16 s (a 10 s window, 3 s of warm-up, connecting and
 * stopping) plus the floors and the hops at rest. Two repeats give a median and a spread; the two-process rows,
 * which have shown no gain on two vCPUs in every run so far, are left to the full profile.
 */
const PROFILES: Record<string, Profile> = {
  quick: { connections: [1000], extrasAt: [1000], scaleOut: false, repeats: 2, warmupS: 3, measureS: BURST_PERIOD_S },
  full: { connections: [1000, 5000, 10000], extrasAt: [1000, 5000], scaleOut: true, repeats: 3, warmupS: 5, measureS: 2 * BURST_PERIOD_S },
};

/** A feed configuration; each gets its own feed process (and rows are grouped by it). */
interface FeedPlan {
  readonly symbols: number;
  /** Rate multiplier: 1000 symbols at 0.1 offer what 100 symbols offer at 1. */
  readonly rate: number;
  readonly rows: readonly { spec: ServerSpec; scenario: Scenario }[];
}

const SCENARIOS = ['zipf', 'one-channel', 'stalled-1%', 'zipf-1000-symbols', 'zipf-2-processes'] as const;

/**
 * One feed plan per repeat and feed: the 100-symbol rows of a repeat, then its 1000-symbol row, then the next
 * repeat. The 1000-symbol row is read against the 100-symbol zipf row (the < 5% target), and run after all of
 * them it took the drift of the machine over the whole run (the write floor has moved 5% within one quick run).
 */
function plan(profile: Profile, specs: readonly ServerSpec[], scenarios: ReadonlySet<string>): FeedPlan[] {
  const tickstream = specs.find((spec) => spec.kind === 'tickstream');
  const zipf = (connections: number, symbols = 100, label = 'zipf'): Scenario => ({ label, connections, symbols, oneChannel: false, stalledShare: 0, serverProcesses: 1 });
  const chosen = (rows: { spec: ServerSpec; scenario: Scenario }[]) => rows.filter((row) => scenarios.has(row.scenario.label));
  const feeds: FeedPlan[] = [];
  for (let repeat = 0; repeat < profile.repeats; repeat++) {
    const main: { spec: ServerSpec; scenario: Scenario }[] = [];
    const wide: { spec: ServerSpec; scenario: Scenario }[] = [];
    for (const connections of profile.connections) {
      for (const spec of specs) main.push({ spec, scenario: zipf(connections) });
    }
    for (const connections of profile.extrasAt) {
      const spec = tickstream;
      if (!spec) break;
      // Before one-channel, the heaviest row: stalled-1% is read against zipf, and should not follow a heavier load.
      main.push({ spec, scenario: { ...zipf(connections), label: 'stalled-1%', stalledShare: 0.01 } });
      main.push({ spec, scenario: { ...zipf(connections), label: 'one-channel', oneChannel: true } });
      // A second gateway process on CPU 1, where feed, Redis and clients also run: what scaling out costs here.
      if (pinned && profile.scaleOut) main.push({ spec, scenario: { ...zipf(connections), label: 'zipf-2-processes', serverProcesses: 2 } });
      wide.push({ spec, scenario: zipf(connections, 1000, 'zipf-1000-symbols') });
    }
    feeds.push({ symbols: 100, rate: 1, rows: chosen(main) }, { symbols: 1000, rate: 0.1, rows: chosen(wide) });
  }
  return feeds.filter((feed) => feed.rows.length > 0);
}

function pythonBaselineInstalled(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import fastapi, uvicorn, redis, websockets'], { stdio: 'ignore' }).status === 0;
}

/** The reference feed's average rate: the bare hop runs at it. */
const BARE_HOP_PER_SECOND = 1_800;
/** The probes beside the feed: a tenth of its rate each adds little load. */
const PROBE_PER_SECOND = 200;

interface HopsAtRest {
  readonly symbols: number;
  /** A bare PUBLISH → SUBSCRIBE between two processes, no feed: the machine's floor (bare-hop.ts). */
  readonly barePublishP50Ms: number;
  readonly barePublishP99Ms: number;
  readonly bareReceiptP50Ms: number;
  readonly bareReceiptP99Ms: number;
  /** A bare PUBLISH beside the feed, 200/s: what the feed's load does to any hop. */
  readonly bareBesidePublishP99Ms: number;
  readonly bareBesideReceiptP99Ms: number;
  /** tickstream's bus publish (its MULTI) from a publisher doing nothing else, beside the feed (bare-hop.ts `bus`). */
  readonly busPublishP50Ms: number;
  readonly busPublishP99Ms: number;
  readonly busReceiptP50Ms: number;
  readonly busReceiptP99Ms: number;
  /** The feed's own publishes: the hop plus the feed process's event-loop delays (it builds the whole mix). */
  readonly publishP50Ms: number;
  readonly publishP99Ms: number;
  readonly receiptP50Ms: number;
  readonly receiptP99Ms: number;
  readonly feedLagP50Ms: number;
  readonly feedLagP99Ms: number;
}

async function runPlan(feeds: readonly FeedPlan[], timing: Timing): Promise<{ results: RunResult[]; hops: HopsAtRest[] }> {
  const results: RunResult[] = [];
  const hops: HopsAtRest[] = [];
  let bare: HopPair | undefined;
  for (const feedPlan of feeds) {
    const redis = await TestRedisServer.start();
    renice(redis.pid!, FEED_NICE); // Redis at the feed's priority
    // The machine's floor does not depend on the feed: measured once, before the first.
    bare ??= await measureHop('bare', redis.url, BARE_HOP_PER_SECOND, timing.measureS);
    const feed = FeedProcess.start(redis.url, feedPlan.symbols, feedPlan.rate);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      // Once per feed: its hops do not change from one repeat to the next.
      if (!hops.some((hop) => hop.symbols === feedPlan.symbols)) {
        const hop = await measureHopsBesideFeed(redis.url, feedPlan.symbols, bare, timing, feed);
        hops.push(hop);
        process.stderr.write(`bench: Redis hops at rest, ${feedPlan.symbols} symbols: ${describeHops(hop)}\n`);
      }
      for (const { spec, scenario } of feedPlan.rows) {
        process.stderr.write(`bench: ${spec.name}, ${scenario.label}, ${scenario.connections} connections, ${feedPlan.symbols} symbols\n`);
        try {
          await redisSettled(redis.url);
          const result = await runOne(spec, scenario, redis.url, timing, feed);
          results.push(result);
          if (result.errors > 0) process.stderr.write(`  error messages by code: ${JSON.stringify(result.errorCodes)}\n`);
          process.stderr.write(
            `  ${result.connected} connected, delivered ${result.deliveredPerS}/s of ${result.offeredPerS}, p50 ${result.p50Ms.toFixed(1)} p99 ${result.p99Ms.toFixed(1)} ms (from send ${result.fromSendP50Ms.toFixed(1)} / ${result.fromSendP99Ms.toFixed(1)}), ${result.cpuSecondsPer100k.toFixed(2)} CPU-s/100k (${(result.kernelCpuShare * 100).toFixed(0)}% kernel), ` +
              `hops p99 publish ${result.publishHopP99Ms.toFixed(2)} receipt ${result.redisHopP99Ms.toFixed(2)} ms, sampler ${(result.clientCpuShare * 100).toFixed(0)}% load ${(result.loadCpuShare * 100).toFixed(0)}%, ` +
              `loop delay max: server ${result.serverLoopDelayMaxMs.toFixed(0)} ms, sampler ${result.clientLoopDelayMaxMs.toFixed(0)} ms\n`,
          );
        } catch (error) {
          process.stderr.write(`bench: ${(error as Error).message}; row left out\n`);
        }
      }
    } finally {
      feed.stop();
      await redis.stop();
    }
  }
  return { results, hops };
}

/**
 * The hops with the feed running and no server under test: the feed's own publishes and their receipt by the
 * sampler's subscriber, and beside them idle publishers: tickstream's bus publish (what Redis and the MULTI take
 * under the feed's load) and a bare PUBLISH (what the feed's load alone does to any hop).
 */
async function measureHopsBesideFeed(redisUrl: string, symbols: number, bare: HopPair, timing: Timing, feed: FeedProcess): Promise<HopsAtRest> {
  const [atRest, bus, bareBeside] = await Promise.all([
    measureHopsAtRest(redisUrl, timing, feed),
    measureHop('bus', redisUrl, PROBE_PER_SECOND, timing.measureS),
    measureHop('bare', redisUrl, PROBE_PER_SECOND, timing.measureS),
  ]);
  const ms = (histogram: LatencyHistogram, quantile: number) => histogram.quantile(quantile) / 1000;
  return {
    symbols,
    barePublishP50Ms: ms(bare.publish, 0.5),
    barePublishP99Ms: ms(bare.publish, 0.99),
    bareReceiptP50Ms: ms(bare.receipt, 0.5),
    bareReceiptP99Ms: ms(bare.receipt, 0.99),
    bareBesidePublishP99Ms: ms(bareBeside.publish, 0.99),
    bareBesideReceiptP99Ms: ms(bareBeside.receipt, 0.99),
    busPublishP50Ms: ms(bus.publish, 0.5),
    busPublishP99Ms: ms(bus.publish, 0.99),
    busReceiptP50Ms: ms(bus.receipt, 0.5),
    busReceiptP99Ms: ms(bus.receipt, 0.99),
    publishP50Ms: ms(atRest.publish, 0.5),
    publishP99Ms: ms(atRest.publish, 0.99),
    receiptP50Ms: ms(atRest.receipt, 0.5),
    receiptP99Ms: ms(atRest.receipt, 0.99),
    feedLagP50Ms: ms(atRest.feedLag, 0.5),
    feedLagP99Ms: ms(atRest.feedLag, 0.99),
  };
}

/**
 * Waits (up to 60 s) until the previous row's server has left Redis: its clients gone (the feed, the probe and
 * this check remain) and no Pub/Sub output still queued. A Python row leaves 1000 lagging subscribers with
 * megabytes queued each, and the next row's offered count and hops were read while Redis drained them.
 */
async function redisSettled(url: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const info = await client.info('clients');
      const connected = Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? 0);
      const queued = Number(/client_recent_max_output_buffer:(\d+)/.exec(info)?.[1] ?? 0);
      if (connected <= SETTLED_CLIENTS && queued < 1_000_000) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    process.stderr.write('bench: Redis did not settle within 60 s after the previous row\n');
  } finally {
    await client.quit();
  }
}

/** The feed's bus connections, the hop probe between rows and this check. */
const SETTLED_CLIENTS = 6;

function describeHops(hop: HopsAtRest): string {
  return (
    `bare PUBLISH (no feed) p50/p99 ${hop.barePublishP50Ms.toFixed(2)}/${hop.barePublishP99Ms.toFixed(2)} ms, its receipt ${hop.bareReceiptP50Ms.toFixed(2)}/${hop.bareReceiptP99Ms.toFixed(2)} ms; ` +
    `beside the feed: bare PUBLISH p99 ${hop.bareBesidePublishP99Ms.toFixed(2)} ms, its receipt p99 ${hop.bareBesideReceiptP99Ms.toFixed(2)} ms; ` +
    `tickstream bus publish from an idle publisher beside the feed (call → MULTI confirmed) p50/p99 ${hop.busPublishP50Ms.toFixed(2)}/${hop.busPublishP99Ms.toFixed(2)} ms, its receipt ${hop.busReceiptP50Ms.toFixed(2)}/${hop.busReceiptP99Ms.toFixed(2)} ms; ` +
    `the feed's own publishes (call → MULTI confirmed) p50 ${hop.publishP50Ms.toFixed(2)} p99 ${hop.publishP99Ms.toFixed(2)} ms; ` +
    `their receipt (publish call → a subscriber) p50 ${hop.receiptP50Ms.toFixed(2)} p99 ${hop.receiptP99Ms.toFixed(2)} ms; ` +
    `the feed's own lateness (schedule → publish call) p50 ${hop.feedLagP50Ms.toFixed(2)} p99 ${hop.feedLagP99Ms.toFixed(2)} ms`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'quick' },
      servers: { type: 'string', default: 'tickstream,python,python-nodeflate,socketio' },
      scenarios: { type: 'string' },
      repeats: { type: 'string' },
      connections: { type: 'string' },
    },
  });
  const scenarios = new Set((values.scenarios ?? SCENARIOS.join(',')).split(','));
  for (const scenario of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new Error(`unknown scenario ${scenario}: one of ${SCENARIOS.join(', ')}`);
  }
  const base = PROFILES[values.profile];
  if (!base) throw new Error(`--profile ${Object.keys(PROFILES).join('|')}`);
  const connections = values.connections?.split(',').map(Number);
  const profile: Profile = {
    ...base,
    ...(values.repeats ? { repeats: Number(values.repeats) } : {}),
    ...(connections ? { connections, extrasAt: connections } : {}),
    // Asked for by name, the two-process rows run in any profile.
    ...(values.scenarios?.split(',').includes('zipf-2-processes') ? { scaleOut: true } : {}),
  };
  const specs = values.servers.split(',').map((name) => {
    const spec = SERVERS[name];
    if (!spec) throw new Error(`unknown server ${name}: one of ${Object.keys(SERVERS).join(', ')}`);
    return spec;
  });
  if (specs.some((spec) => spec.kind === 'python') && !pythonBaselineInstalled()) {
    throw new Error('the Python baseline needs Debian packages: apt-get install -y python3-fastapi python3-uvicorn python3-websockets python3-redis (or leave it out with --servers)');
  }
  const floors: MachineFloor[] = pinned ? [measureMachineFloor(0), measureMachineFloor(1)] : [measureMachineFloor(0)];
  for (const floor of floors) process.stderr.write(`machine floor: ${describeFloor(floor)}\n`);
  // Before and after the rows: this VM's write cost has moved by half within half an hour.
  const writeFloor = await measureWriteFloor();
  process.stderr.write(`write floor: ${describeWriteFloor(writeFloor)}\n`);
  const { results, hops } = await runPlan(plan(profile, specs, scenarios), profile);
  const writeFloorAfter = await measureWriteFloor();
  const summaries = summarize(results);
  const kneeLines = knees(summaries);
  const report = [
    `Machine floor (a busy loop, before the runs): ${floors.map(describeFloor).join('; ')}.`,
    `Write floor (write-floor.ts, placed as the server), before the rows: ${describeWriteFloor(writeFloor)}; after: ${describeWriteFloor(writeFloorAfter)}.`,
    '',
    ...hops.map((hop) => `Redis hops at rest (feed, Redis and a subscriber; no server under test), ${hop.symbols} symbols: ${describeHops(hop)}.`),
    '',
    table(summaries),
    '',
    ...kneeLines.map((line) => `- ${line}`),
  ].join('\n');
  process.stdout.write(`${report}\n`);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ profile: values.profile, repeats: profile.repeats, pinned, node: process.version, floors, writeFloor, writeFloorAfter, hops, summaries, knees: kneeLines, results }, null, 2));
  process.stderr.write(`wrote ${file}\n`);
}

void main();
