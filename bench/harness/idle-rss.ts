/**
 * `npx tsx bench/harness/idle-rss.ts [--servers tickstream,python,python-nodeflate,socketio] [--counts 0,1000,5000,10000]`:
 * the memory an *idle* subscribed WebSocket costs each server under test. One
 * server process per spec (pinned to CPU 0), grown 0 → 1000 → 5000 → 10000
 * idle clients held by a child process on CPU 1 (idle-clients.ts), server RSS
 * read after each step; a least-squares line through the points gives
 * KB per idle connection (slope) and the base MB (intercept). No feed runs,
 * so the clients stay idle. Prints a markdown table, then JSON.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { freePort, TestRedisServer } from '../../test/helpers/redis-server.js';
import type { GrowReply, GrowRequest } from './idle-clients.js';
import { pin, rssKb, SERVERS, startServer, type ServerSpec } from './servers.js';

export interface IdleRssResult {
  readonly server: string;
  readonly points: readonly { readonly connections: number; readonly rssKb: number }[];
  readonly kbPerConnection: number;
  readonly baseMb: number;
  /** RSS measured at the largest count (10k by default), MB. */
  readonly rssAt10kMb: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FD_LIMIT = 65_536;
const GC_PRELOAD = new URL('gc-on-signal.mjs', import.meta.url).href;

function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3] ?? 0);
}

/**
 * Raise our own open-files limit (prlimit: root with CAP_SYS_RESOURCE) so every child spawned afterwards,
 * Redis included, inherits it. Best effort: checkFdLimit says what is missing.
 */
function raiseFdLimit(): void {
  spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${FD_LIMIT}:${FD_LIMIT}`], { stdio: 'ignore' });
}

/** The python baseline holds 2 fds per client (its socket and its own Redis connection); the others 1. */
function checkFdLimit(spec: ServerSpec, largestCount: number): void {
  const needed = (spec.kind === 'python' ? 2 : 1) * largestCount + 500;
  if (openFilesLimit() >= needed) return;
  throw new Error(
    `${largestCount} idle clients need ${needed} open files in the server, the limit is ${openFilesLimit()} and prlimit could not raise it: ` +
      `as root with CAP_SYS_RESOURCE run \`ulimit -Hn ${FD_LIMIT}; ulimit -n ${FD_LIMIT}\` (or set nofile in /etc/security/limits.conf) and rerun, or use fewer --counts`,
  );
}

/** Redis refuses clients beyond maxclients (10000 by default): too few for the python baseline's Redis connection per client. */
async function raiseRedisMaxClients(redisUrl: string, largestCount: number): Promise<void> {
  const client = createClient({ url: redisUrl });
  await client.connect();
  await client.configSet('maxclients', String(largestCount + 1_000));
  await client.close();
}

const isNode = (spec: ServerSpec) => spec.kind === 'tickstream' || spec.kind === 'socketio';

/** What this bench adds to a spec's env: the GC preload for Node servers. */
function extraEnv(spec: ServerSpec): Record<string, string> {
  const extra: Record<string, string> = {};
  // Added to the spec's own NODE_OPTIONS (tickstream-semi4 sets one), not in place of them.
  const own = spec.command(0, '').env?.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '';
  if (isNode(spec)) extra.NODE_OPTIONS = `${own} --expose-gc --import ${GC_PRELOAD}`.trim();
  // SYMBOLS comes with the spec; one timeframe is all these clients use.
  if (spec.kind === 'tickstream') extra.TIMEFRAMES = '1';
  return extra;
}

/**
 * Settle 2 s, then (Node servers) full GC via SIGUSR2 and 1 s more, then the
 * median of 3 reads 500 ms apart. Python gets no GC signal: CPython frees by
 * reference counting as it goes, so settling is all it needs.
 */
async function settledRssKb(pid: number, node: boolean): Promise<number> {
  await sleep(2_000);
  if (node) {
    process.kill(pid, 'SIGUSR2');
    await sleep(1_000);
  }
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(500);
    samples.push(rssKb(pid));
  }
  return samples.sort((a, b) => a - b)[1]!;
}

function startIdleClients(): { child: ChildProcess; grow: (request: GrowRequest) => Promise<GrowReply> } {
  const script = fileURLToPath(new URL('idle-clients.ts', import.meta.url));
  const [command, argv] = pin(1, process.execPath, ['--import', 'tsx', script]);
  const child = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const grow = (request: GrowRequest) =>
    new Promise<GrowReply>((resolve, reject) => {
      child.once('message', (reply: GrowReply) => resolve(reply));
      child.once('exit', (code) => reject(new Error(`idle clients exited with ${code}`)));
      child.send(request);
    });
  return { child, grow };
}

/** Least squares: slope and intercept of y over x. */
export function fitLine(points: readonly { x: number; y: number }[]): { slope: number; intercept: number } {
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  const sxx = points.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  const sxy = points.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: meanY - slope * meanX };
}

function checkGrow(spec: ServerSpec, total: number, reply: GrowReply): void {
  if (reply.failed === 0 && reply.refused === 0 && reply.dropped === 0 && reply.open === total) return;
  throw new Error(
    `${spec.name} at ${total}: ${reply.open} open, ${reply.failed} failed, ${reply.refused} subscriptions refused, ${reply.dropped} dropped` +
      ` (first error: ${reply.firstError ?? 'none'}); check the open files limit (ulimit -n) of this shell and the server's log above`,
  );
}

export async function measureIdleRss(spec: ServerSpec, redisUrl: string, counts: readonly number[]): Promise<IdleRssResult> {
  const steps = [...counts].sort((a, b) => a - b);
  const largest = steps.at(-1) ?? 0;
  raiseFdLimit();
  checkFdLimit(spec, largest);
  await raiseRedisMaxClients(redisUrl, largest);
  const port = await freePort();
  const server = await startServer(spec, port, redisUrl, 100, extraEnv(spec));
  const clients = startIdleClients();
  try {
    const points: { connections: number; rssKb: number }[] = [];
    for (const connections of steps) {
      checkGrow(spec, connections, await clients.grow({ cmd: 'grow', kind: spec.kind, port, total: connections }));
      points.push({ connections, rssKb: await settledRssKb(server.pid!, isNode(spec)) });
    }
    // Asking for no more than are held reports drops during the last measurement.
    checkGrow(spec, largest, await clients.grow({ cmd: 'grow', kind: spec.kind, port, total: largest }));
    const { slope, intercept } = fitLine(points.map((p) => ({ x: p.connections, y: p.rssKb })));
    const round = (value: number, digits: number) => Number(value.toFixed(digits));
    return { server: spec.name, points, kbPerConnection: round(slope, 2), baseMb: round(intercept / 1024, 1), rssAt10kMb: round((points.at(-1)?.rssKb ?? 0) / 1024, 1) };
  } finally {
    clients.child.kill('SIGKILL');
    server.kill('SIGKILL');
  }
}

function table(results: readonly IdleRssResult[], counts: readonly number[]): string {
  const header = `| server | ${counts.map((c) => `RSS @ ${c} MB`).join(' | ')} | KB per idle connection | base MB (fit) |`;
  const rows = results.map((r) => `| ${r.server} | ${r.points.map((p) => (p.rssKb / 1024).toFixed(1)).join(' | ')} | ${r.kbPerConnection.toFixed(1)} | ${r.baseMb.toFixed(1)} |`);
  return [header, `|${'---|'.repeat(counts.length + 3)}`, ...rows].join('\n');
}

function specNamed(name: string): ServerSpec {
  const spec = SERVERS[name];
  if (!spec) throw new Error(`unknown server ${name}; one of ${Object.keys(SERVERS).join(', ')}`);
  return spec;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { servers: { type: 'string', default: 'tickstream,python,python-nodeflate,socketio' }, counts: { type: 'string', default: '0,1000,5000,10000' } } });
  const specs = values.servers.split(',').map(specNamed);
  const counts = values.counts.split(',').map(Number).sort((a, b) => a - b);
  if (specs.some((spec) => spec.kind === 'tickstream') && !existsSync('dist/cli/main.js')) throw new Error('dist/cli/main.js missing: run npm run build first');
  raiseFdLimit(); // before Redis starts, so it inherits the limit too
  const redis = await TestRedisServer.start();
  const results: IdleRssResult[] = [];
  let failed = false;
  try {
    for (const spec of specs) {
      // One server failing (e.g. connections refused) should not hide the figures of the others.
      await measureIdleRss(spec, redis.url, counts).then(
        (result) => results.push(result),
        (error: unknown) => {
          failed = true;
          console.error(`${spec.name}: ${(error as Error).message}`);
        },
      );
    }
  } finally {
    await redis.stop();
  }
  console.log(table(results, counts));
  console.log(JSON.stringify(results, null, 2));
  if (failed) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
