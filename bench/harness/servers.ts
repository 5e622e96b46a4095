/**
 * The servers under test and how to start, pin and watch them: shared by the
 * fan-out runs (run-bench.ts) and the idle-memory fit (idle-rss.ts).
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { canConnect } from '../../test/helpers/redis-server.js';
import { benchSymbols } from './bench-common.js';
import type { ServerKind } from './bench-clients.js';

export interface ServerSpec {
  readonly name: string;
  readonly kind: ServerKind;
  /**
   * The clients may use the bare client (no permessage-deflate offered): true where the server would not
   * compress anyway; false for the Python defaults row, whose cost is compressing for every client that offers it.
   */
  readonly bareClients: boolean;
  /** Stopped with SIGTERM (and a few seconds) before SIGKILL: a server that writes something on exit (a CPU profile). */
  readonly stopGracefully?: boolean;
  /** Where the server writes V8 CPU profiles: the runner puts each row's measurement window beside them. */
  readonly cpuProfileDir?: string;
  /** `symbols`: how many bench symbols the feed publishes (a server that needs them configured gets them). */
  command(port: number, redisUrl: string, symbols?: number): { cmd: string; args: string[]; cwd?: string; env?: Record<string, string> };
}

const CPU_PROFILE_DIR = 'bench/results/cpuprof';

export const SERVERS: Record<string, ServerSpec> = {
  tickstream: {
    name: 'tickstream',
    kind: 'tickstream',
    bareClients: true,
    command: (port, redisUrl, symbols = 100) => ({
      cmd: process.execPath,
      args: ['dist/cli/main.js', 'gateway', '--port', String(port)],
      // The gateway serves the symbols it is configured with (plus a few requested ones): the feed's, here.
      env: { SYMBOLS: benchSymbols(symbols).join(','), REDIS_URL: redisUrl, LOG_LEVEL: 'warn', MAX_CONNECTIONS_PER_IP: '100000', NEW_CONNECTIONS_PER_IP_PER_MINUTE: '1000000', SNAPSHOT_DEFAULT_LIMIT: '1' },
    }),
  },
  'tickstream-perf': tickstreamWith('tickstream (perf)', { NODE_OPTIONS: '--perf-basic-prof-only-functions' }),
  // V8's sampling profiler, written on exit to bench/results/cpuprof/ (summed by cpuprof-top.ts): where the gateway's
  // user-space time goes, where `perf` is not available.
  'tickstream-cpuprof': {
    name: 'tickstream (--cpu-prof)',
    kind: 'tickstream',
    bareClients: true,
    stopGracefully: true,
    cpuProfileDir: CPU_PROFILE_DIR,
    command: (port, redisUrl, symbols) => {
      const base = SERVERS.tickstream!.command(port, redisUrl, symbols);
      // Not allowed in NODE_OPTIONS: a flag of the node command itself.
      return { ...base, args: ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`, ...base.args] };
    },
  },
  'tickstream-coalesced': tickstreamWith('tickstream (FANOUT_FLUSH_MS=2)', { FANOUT_FLUSH_MS: '2' }),
  // Windows near a Zipf client's message interval (~20 ms): where coalescing starts to pay, for that much latency.
  'tickstream-window10': tickstreamWith('tickstream (FANOUT_FLUSH_MS=10)', { FANOUT_FLUSH_MS: '10' }),
  'tickstream-window25': tickstreamWith('tickstream (FANOUT_FLUSH_MS=25)', { FANOUT_FLUSH_MS: '25' }),
  // V8's young generation defaults to two 16 MB semi-spaces, resident once touched: ~24 MB of RSS at rest.
  'tickstream-semi4': tickstreamWith('tickstream (--max-semi-space-size=4)', { NODE_OPTIONS: '--max-semi-space-size=4' }),
  // Compression on, for clients that offer it (as browsers do): the clients here offer permessage-deflate.
  'tickstream-deflate': { ...tickstreamWith('tickstream (WS_PERMESSAGE_DEFLATE=true)', { WS_PERMESSAGE_DEFLATE: 'true' }), bareClients: false },
  'tickstream-other-deflate': {
    name: `tickstream (${process.env.BENCH_OTHER_TREE ?? 'BENCH_OTHER_TREE unset'}, WS_PERMESSAGE_DEFLATE=true)`,
    kind: 'tickstream',
    bareClients: false,
    command: (port, redisUrl, symbols) => {
      const other = SERVERS['tickstream-other']!.command(port, redisUrl, symbols);
      return { ...other, env: { ...other.env, WS_PERMESSAGE_DEFLATE: 'true' } };
    },
  },
  // Another build of tickstream (a `git worktree` at another commit, built): an A/B across commits, same run.
  'tickstream-other': {
    name: `tickstream (${process.env.BENCH_OTHER_TREE ?? 'BENCH_OTHER_TREE unset'})`,
    kind: 'tickstream',
    bareClients: true,
    command: (port, redisUrl, symbols) => {
      const tree = process.env.BENCH_OTHER_TREE;
      if (!tree) throw new Error('tickstream-other runs the build in BENCH_OTHER_TREE: a checkout of another commit, after npm ci and npm run build there');
      return { ...SERVERS.tickstream!.command(port, redisUrl, symbols), cwd: tree };
    },
  },
  python: {
    name: 'python (FastAPI, defaults)',
    kind: 'python',
    bareClients: false,
    command: (port, redisUrl) => ({ cmd: '/usr/bin/python3', args: ['-m', 'uvicorn', 'server:app', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning'], cwd: 'bench/baselines/python-original', env: { REDIS_URL: redisUrl } }),
  },
  'python-nodeflate': {
    name: 'python (FastAPI, deflate off)',
    kind: 'python',
    bareClients: true,
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
    bareClients: true,
    command: (port, redisUrl) => ({ cmd: process.execPath, args: ['--import', 'tsx', 'bench/baselines/socketio/server.ts'], env: { PORT: String(port), REDIS_URL: redisUrl } }),
  },
};

/** tickstream with extra environment: an A/B row against the defaults. */
function tickstreamWith(name: string, env: Record<string, string>): ServerSpec {
  return {
    name,
    kind: 'tickstream',
    bareClients: true,
    command: (port, redisUrl, symbols) => {
      const base = SERVERS.tickstream!.command(port, redisUrl, symbols);
      return { ...base, env: { ...base.env, ...env } };
    },
  };
}

export const pinned = availableParallelism() >= 2;

/**
 * The server under test owns CPU 0 (taskset) and preempts anything else there (nice -10), so its latency and
 * CPU are its own. Feed, Redis and clients are not pinned: on a two-core machine they need more than the other
 * core, and may use what the server leaves of CPU 0.
 */
export function asServer(cmd: string, args: string[], cpu = 0): [string, string[]] {
  return pinned ? ['nice', ['-n', '-10', 'taskset', '-c', String(cpu), cmd, ...args]] : [cmd, args];
}

/** A helper process on one CPU (taskset), where the machine has two. */
export function pin(cpu: number, cmd: string, args: string[]): [string, string[]] {
  return pinned ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
}

/** Feed, Redis and the sampler come before the load clients (nice -5): a busy load process then delays only itself. */
export function asFeed(cmd: string, args: string[]): [string, string[]] {
  return ['nice', ['-n', String(FEED_NICE), cmd, ...args]];
}

/**
 * Load clients take what is left once connected (nice 19: CFS weight 15 against 3121 at -5). At nice 0 they took a
 * third of the CPU the feed and Redis needed during the trade bursts, and the hops' p99 went from 2 ms to 10-200
 * ms. If they fall behind, delivered/s falls short of offered and the row is not carried. They connect at nice 0
 * and lower themselves after (bench-clients.ts): at nice 19 on a busy machine, 2500 connections took minutes.
 */
export const LOAD_NICE = 19;

/** The feed's priority (asFeed), for a process started elsewhere (Redis). */
export const FEED_NICE = -5;

/** Sets a running process's priority; raising one needs root, and without it the process keeps its own. */
export function renice(pid: number, niceness: number): void {
  spawnSync('renice', ['-n', String(niceness), '-p', String(pid)], { stdio: 'ignore' });
}

/** A process's CPU time so far, in user space and in the kernel (its syscalls: for a WebSocket server, mostly socket writes). */
export function cpuTimes(pid: number): { userS: number; systemS: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { userS: Number(fields[11]) / 100, systemS: Number(fields[12]) / 100 };
}

export function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

/**
 * Starts a server under test and resolves once its port accepts TCP (the Socket.IO baseline answers no plain
 * HTTP request, so nothing more is asked). The pid is the server's own: nice and taskset exec it in place.
 */
export async function startServer(spec: ServerSpec, port: number, redisUrl: string, symbols?: number, extraEnv: Record<string, string> = {}, cpu = 0): Promise<ChildProcess> {
  const { cmd, args, cwd, env } = spec.command(port, redisUrl, symbols);
  const [command, argv] = asServer(cmd, args, cpu);
  const child = spawn(command, argv, { cwd, env: { ...process.env, ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (await canConnect(port)) return child;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${spec.name} did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
