/**
 * `npm run bench [-- --profile quick|full] [--servers tickstream,python,python-nodeflate,socketio]`:
 * the reference feed on a private Redis, each server under test pinned to CPU 0
 * and everything else (feed, Redis, clients) to CPU 1 where the machine has two,
 * then per connection count: connect, warm up, measure. Prints a markdown table
 * and writes bench/results/<time>.json. See docs/benchmarks.md.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { TestRedisServer } from '../../test/helpers/redis-server.js';
import { LatencyHistogram } from './bench-common.js';
import type { ClientsConfig, ClientsReport, ServerKind } from './bench-clients.js';

interface ServerSpec {
  readonly name: string;
  readonly kind: ServerKind;
  command(port: number, redisUrl: string): { cmd: string; args: string[]; cwd?: string; env?: Record<string, string> };
}

const SERVERS: Record<string, ServerSpec> = {
  tickstream: {
    name: 'tickstream',
    kind: 'tickstream',
    command: (port, redisUrl) => ({
      cmd: process.execPath,
      args: ['dist/cli/main.js', 'gateway', '--port', String(port)],
      env: { REDIS_URL: redisUrl, LOG_LEVEL: 'warn', MAX_CONNECTIONS_PER_IP: '100000', NEW_CONNECTIONS_PER_IP_PER_MINUTE: '1000000', SNAPSHOT_DEFAULT_LIMIT: '1' },
    }),
  },
  python: {
    name: 'python (FastAPI, defaults)',
    kind: 'python',
    command: (port, redisUrl) => ({ cmd: '/usr/bin/python3', args: ['-m', 'uvicorn', 'server:app', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning'], cwd: 'bench/baselines/python-original', env: { REDIS_URL: redisUrl } }),
  },
  'python-nodeflate': {
    name: 'python (FastAPI, deflate off)',
    kind: 'python',
    command: (port, redisUrl) => ({
      cmd: '/usr/bin/python3',
      args: ['-m', 'uvicorn', 'server:app', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning', '--ws-per-message-deflate', 'false'],
      cwd: 'bench/baselines/python-original',
      env: { REDIS_URL: redisUrl },
    }),
  },
  socketio: {
    name: 'Socket.IO + redis-adapter',
    kind: 'socketio',
    command: (port, redisUrl) => ({ cmd: process.execPath, args: ['--import', 'tsx', 'bench/baselines/socketio/server.ts'], env: { PORT: String(port), REDIS_URL: redisUrl } }),
  },
};

const PROFILES = {
  quick: { connections: [1000], warmupS: 3, measureS: 8 },
  full: { connections: [1000, 5000, 10000], warmupS: 5, measureS: 20 },
} as const;

const pinned = availableParallelism() >= 2;
function pin(cpu: number, cmd: string, args: string[]): [string, string[]] {
  return pinned ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
}

/** utime + stime of a process, seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

/** The process whose CPU counts: through taskset, the exec'd child keeps the pid. */
async function startServer(spec: ServerSpec, port: number, redisUrl: string): Promise<ChildProcess> {
  const { cmd, args, cwd, env } = spec.command(port, redisUrl);
  const [command, argv] = pin(0, cmd, args);
  const child = spawn(command, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (up) return child;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${spec.name} did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function startClients(config: ClientsConfig): { child: ChildProcess; ready: Promise<{ connected: number; failed: number }>; report: () => Promise<ClientsReport> } {
  const [command, argv] = pin(1, process.execPath, ['--import', 'tsx', 'bench/harness/bench-clients.ts']);
  const child = spawn(command, argv, { env: { ...process.env, BENCH_CLIENTS: JSON.stringify(config) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise<{ connected: number; failed: number }>((resolve) => {
    child.on('message', (message: { cmd: string; connected: number; failed: number }) => {
      if (message.cmd === 'ready') resolve(message);
    });
  });
  const report = () =>
    new Promise<ClientsReport>((resolve) => {
      child.on('message', (message: { cmd: string; report: ClientsReport }) => {
        if (message.cmd === 'report') resolve(message.report);
      });
      child.send({ cmd: 'stop' });
    });
  return { child, ready, report };
}

function pythonBaselineInstalled(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import fastapi, uvicorn, redis, websockets'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface RunResult {
  readonly server: string;
  readonly connections: number;
  readonly connected: number;
  readonly deliveredPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly cpuSecondsPer100k: number;
  readonly serverCpuShare: number;
  readonly serverRssMb: number;
  readonly lost: number;
  readonly reordered: number;
  readonly clientBound: boolean;
}

/** A run that has not finished in this long is abandoned (its processes killed) rather than hanging the bench. */
const RUN_TIMEOUT_MS = 120_000;

async function runOne(spec: ServerSpec, connections: number, redisUrl: string, profile: (typeof PROFILES)[keyof typeof PROFILES]): Promise<RunResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${spec.name}, ${connections} connections: no result within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
  });
  const children: ChildProcess[] = [];
  try {
    return await Promise.race([measure(spec, connections, redisUrl, profile, children), timeout]);
  } finally {
    clearTimeout(timer);
    for (const child of children) child.kill('SIGKILL');
  }
}

async function measure(spec: ServerSpec, connections: number, redisUrl: string, profile: (typeof PROFILES)[keyof typeof PROFILES], children: ChildProcess[]): Promise<RunResult> {
  const port = await freePort();
  const server = await startServer(spec, port, redisUrl);
  children.push(server);
  try {
    const clients = startClients({ kind: spec.kind, base: `ws://127.0.0.1:${port}`, clients: connections, symbols: 100, sampled: 200, oneChannel: false });
    process.stderr.write(`bench: server up on ${port}, connecting clients\n`);
    children.push(clients.child);
    const { connected } = await clients.ready;
    process.stderr.write(`bench: ${connected} connected\n`);
    await new Promise((resolve) => setTimeout(resolve, profile.warmupS * 1000));
    const cpuBefore = cpuSeconds(server.pid!);
    clients.child.send({ cmd: 'start' });
    await new Promise((resolve) => setTimeout(resolve, profile.measureS * 1000));
    const cpu = cpuSeconds(server.pid!) - cpuBefore;
    const rss = rssKb(server.pid!);
    const report = await clients.report();
    const latency = new LatencyHistogram();
    latency.merge(report.latency);
    const deliveredPerS = report.updates / report.seconds;
    return {
      server: spec.name,
      connections,
      connected,
      deliveredPerS: Math.round(deliveredPerS),
      p50Ms: latency.quantile(0.5) / 1000,
      p99Ms: latency.quantile(0.99) / 1000,
      p999Ms: latency.quantile(0.999) / 1000,
      cpuSecondsPer100k: report.updates > 0 ? (cpu / report.updates) * 100_000 : Number.NaN,
      serverCpuShare: cpu / report.seconds,
      serverRssMb: rss / 1024,
      lost: report.lost,
      reordered: report.reordered,
      // A client process that could not keep up measures itself, not the server: such a run is marked and not used.
      clientBound: report.cpuShare > 0.9 || report.loopDelayP99Ms > 50,
    };
  } finally {
    server.kill('SIGKILL');
  }
}

function table(results: readonly RunResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.server} | ${r.connections} | ${r.deliveredPerS} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.p999Ms.toFixed(1)} | ${r.cpuSecondsPer100k.toFixed(2)} | ${(r.serverCpuShare * 100).toFixed(0)}% | ${r.serverRssMb.toFixed(0)} | ${r.lost}/${r.reordered} |${r.clientBound ? ' client-bound |' : ' |'}`,
  );
  return [
    '| server | conns | delivered/s | p50 ms | p99 ms | p99.9 ms | CPU-s / 100k msgs | server CPU | RSS MB | lost/reordered | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { profile: { type: 'string', default: 'quick' }, servers: { type: 'string', default: 'tickstream,python,python-nodeflate,socketio' } } });
  const profile = PROFILES[values.profile as keyof typeof PROFILES];
  if (!profile) throw new Error(`--profile quick|full`);
  const specs = values.servers.split(',').map((name) => {
    const spec = SERVERS[name];
    if (!spec) throw new Error(`unknown server ${name}: one of ${Object.keys(SERVERS).join(', ')}`);
    return spec;
  });
  if (specs.some((spec) => spec.kind === 'python') && !pythonBaselineInstalled()) {
    throw new Error('the Python baseline needs Debian packages: apt-get install -y python3-fastapi python3-uvicorn python3-websockets python3-redis (or leave it out with --servers)');
  }
  const redis = await TestRedisServer.start();
  const [feedCmd, feedArgs] = pin(1, process.execPath, ['--import', 'tsx', 'bench/harness/reference-feed.ts', redis.url, '100', '0', '1']);
  const feed = spawn(feedCmd, feedArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
  const results: RunResult[] = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const connections of profile.connections) {
      for (const spec of specs) {
        process.stderr.write(`bench: ${spec.name}, ${connections} connections\n`);
        try {
          results.push(await runOne(spec, connections, redis.url, profile));
          process.stderr.write(`${table(results.slice(-1))}\n`);
        } catch (error) {
          process.stderr.write(`bench: ${(error as Error).message}; row left out\n`);
        }
      }
    }
  } finally {
    feed.kill('SIGTERM');
    await redis.stop();
  }
  const out = table(results);
  process.stdout.write(`${out}\n`);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ profile: values.profile, pinned, node: process.version, results }, null, 2));
  process.stderr.write(`wrote ${file}\n`);
}

void main();
