/**
 * `npm run bench [-- --profile quick|full] [--servers tickstream,python,python-nodeflate,socketio] [--repeats N]`
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
import { TestRedisServer } from '../../test/helpers/redis-server.js';
import { knees, summarize, table } from './bench-report.js';
import { measureHopsAtRest, runOne, type RunResult, type Scenario, type Timing } from './bench-run.js';
import { FeedProcess } from './feed-process.js';
import { measureBareHop } from './bare-hop.js';
import { describeFloor, measureMachineFloor, type MachineFloor } from './machine-floor.js';
import { pinned, SERVERS, type ServerSpec } from './servers.js';

interface Profile extends Timing {
  readonly connections: readonly number[];
  /** Extra tickstream-only scenarios, at these connection counts. */
  readonly extrasAt: readonly number[];
  readonly repeats: number;
}

const PROFILES: Record<string, Profile> = {
  quick: { connections: [1000], extrasAt: [1000], repeats: 3, warmupS: 3, measureS: 8 },
  full: { connections: [1000, 5000, 10000], extrasAt: [1000, 5000], repeats: 3, warmupS: 5, measureS: 15 },
};

/** A feed configuration; each gets its own feed process (and rows are grouped by it). */
interface FeedPlan {
  readonly symbols: number;
  /** Rate multiplier: 1000 symbols at 0.1 offer what 100 symbols offer at 1. */
  readonly rate: number;
  readonly rows: readonly { spec: ServerSpec; scenario: Scenario }[];
}

function plan(profile: Profile, specs: readonly ServerSpec[]): FeedPlan[] {
  const tickstream = specs.find((spec) => spec.kind === 'tickstream');
  const zipf = (connections: number, symbols = 100, label = 'zipf'): Scenario => ({ label, connections, symbols, oneChannel: false, stalledShare: 0 });
  const main: { spec: ServerSpec; scenario: Scenario }[] = [];
  const wide: { spec: ServerSpec; scenario: Scenario }[] = [];
  for (let repeat = 0; repeat < profile.repeats; repeat++) {
    for (const connections of profile.connections) {
      for (const spec of specs) main.push({ spec, scenario: zipf(connections) });
    }
    if (!tickstream) continue;
    for (const connections of profile.extrasAt) {
      main.push({ spec: tickstream, scenario: { ...zipf(connections), label: 'one-channel', oneChannel: true } });
      main.push({ spec: tickstream, scenario: { ...zipf(connections), label: 'stalled-1%', stalledShare: 0.01 } });
      wide.push({ spec: tickstream, scenario: zipf(connections, 1000, 'zipf-1000-symbols') });
    }
  }
  return [
    { symbols: 100, rate: 1, rows: main },
    ...(wide.length > 0 ? [{ symbols: 1000, rate: 0.1, rows: wide }] : []),
  ];
}

/** Redis gets the feed's priority (asFeed). */
function favour(pid: number): void {
  spawnSync('renice', ['-n', '-5', '-p', String(pid)], { stdio: 'ignore' });
}

function pythonBaselineInstalled(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import fastapi, uvicorn, redis, websockets'], { stdio: 'ignore' }).status === 0;
}

/** The reference feed's average rate: the bare hop runs at it. */
const BARE_HOP_PER_SECOND = 1_800;

interface HopsAtRest {
  readonly symbols: number;
  /** A bare PUBLISH → SUBSCRIBE between two processes, no feed: the machine's floor (bare-hop.ts). */
  readonly barePublishP50Ms: number;
  readonly barePublishP99Ms: number;
  readonly bareReceiptP50Ms: number;
  readonly bareReceiptP99Ms: number;
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
  for (const feedPlan of feeds) {
    const redis = await TestRedisServer.start();
    favour(redis.pid!);
    const bare = await measureBareHop(redis.url, BARE_HOP_PER_SECOND, timing.measureS);
    const feed = FeedProcess.start(redis.url, feedPlan.symbols, feedPlan.rate);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const atRest = await measureHopsAtRest(redis.url, timing, feed);
      const hop: HopsAtRest = {
        symbols: feedPlan.symbols,
        barePublishP50Ms: bare.publish.quantile(0.5) / 1000,
        barePublishP99Ms: bare.publish.quantile(0.99) / 1000,
        bareReceiptP50Ms: bare.receipt.quantile(0.5) / 1000,
        bareReceiptP99Ms: bare.receipt.quantile(0.99) / 1000,
        publishP50Ms: atRest.publish.quantile(0.5) / 1000,
        publishP99Ms: atRest.publish.quantile(0.99) / 1000,
        receiptP50Ms: atRest.receipt.quantile(0.5) / 1000,
        receiptP99Ms: atRest.receipt.quantile(0.99) / 1000,
        feedLagP50Ms: atRest.feedLag.quantile(0.5) / 1000,
        feedLagP99Ms: atRest.feedLag.quantile(0.99) / 1000,
      };
      hops.push(hop);
      process.stderr.write(`bench: Redis hops at rest, ${feedPlan.symbols} symbols: ${describeHops(hop)}\n`);
      for (const { spec, scenario } of feedPlan.rows) {
        process.stderr.write(`bench: ${spec.name}, ${scenario.label}, ${scenario.connections} connections, ${feedPlan.symbols} symbols\n`);
        try {
          const result = await runOne(spec, scenario, redis.url, timing, feed);
          results.push(result);
          process.stderr.write(
            `  delivered ${result.deliveredPerS}/s of ${result.offeredPerS}, p50 ${result.p50Ms.toFixed(1)} p99 ${result.p99Ms.toFixed(1)} ms (from send ${result.fromSendP50Ms.toFixed(1)} / ${result.fromSendP99Ms.toFixed(1)}), ${result.cpuSecondsPer100k.toFixed(2)} CPU-s/100k, ` +
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

function describeHops(hop: HopsAtRest): string {
  return (
    `bare PUBLISH (no feed) p50/p99 ${hop.barePublishP50Ms.toFixed(2)}/${hop.barePublishP99Ms.toFixed(2)} ms, its receipt ${hop.bareReceiptP50Ms.toFixed(2)}/${hop.bareReceiptP99Ms.toFixed(2)} ms; ` +
    `tickstream publish (publish call → MULTI confirmed) p50 ${hop.publishP50Ms.toFixed(2)} p99 ${hop.publishP99Ms.toFixed(2)} ms; ` +
    `receipt (publish call → a subscriber) p50 ${hop.receiptP50Ms.toFixed(2)} p99 ${hop.receiptP99Ms.toFixed(2)} ms; ` +
    `the feed's own lateness (schedule → publish call) p50 ${hop.feedLagP50Ms.toFixed(2)} p99 ${hop.feedLagP99Ms.toFixed(2)} ms`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { profile: { type: 'string', default: 'quick' }, servers: { type: 'string', default: 'tickstream,python,python-nodeflate,socketio' }, repeats: { type: 'string' } },
  });
  const base = PROFILES[values.profile];
  if (!base) throw new Error(`--profile ${Object.keys(PROFILES).join('|')}`);
  const profile: Profile = values.repeats ? { ...base, repeats: Number(values.repeats) } : base;
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
  const { results, hops } = await runPlan(plan(profile, specs), profile);
  const summaries = summarize(results);
  const kneeLines = knees(summaries);
  const report = [
    `Machine floor (a busy loop, before the runs): ${floors.map(describeFloor).join('; ')}.`,
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
  writeFileSync(file, JSON.stringify({ profile: values.profile, repeats: profile.repeats, pinned, node: process.version, floors, hops, summaries, knees: kneeLines, results }, null, 2));
  process.stderr.write(`wrote ${file}\n`);
}

void main();
