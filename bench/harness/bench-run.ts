/**
 * One row of the bench: a fresh server process, a client process with N
 * connections on it, a warm-up, then a measured window. The server owns CPU 0
 * (servers.ts); the clients run below the feed and Redis in priority, so a
 * busy client process delays only itself (and is then marked client-bound).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../test/helpers/redis-server.js';
import { LatencyHistogram } from './bench-common.js';
import type { ClientsConfig, ClientsReport } from './bench-clients.js';
import { cpuSeconds, rssKb, startServer, type ServerSpec } from './servers.js';

export interface Scenario {
  /** `zipf`, `one-channel`, `stalled-1%`, `zipf-1000-symbols`. */
  readonly label: string;
  readonly connections: number;
  readonly symbols: number;
  readonly oneChannel: boolean;
  /** Share of the connections that stop reading. */
  readonly stalledShare: number;
}

export interface Timing {
  readonly warmupS: number;
  readonly measureS: number;
}

export interface RunResult {
  readonly server: string;
  readonly scenario: string;
  readonly connections: number;
  readonly connected: number;
  readonly offeredPerS: number;
  readonly deliveredPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly cpuSecondsPer100k: number;
  readonly serverCpuShare: number;
  readonly serverRssMb: number;
  readonly lost: number;
  readonly reordered: number;
  /** Connections the server closed during the window (stalled clients cut off at its send-buffer bound). */
  readonly closedDuringRun: number;
  /** Error messages the clients got (a refused subscription): such a row is not a valid measurement. */
  readonly errors: number;
  /** The harness's floor: feed → Redis → a plain subscriber, ms. */
  readonly redisHopP50Ms: number;
  readonly redisHopP99Ms: number;
  readonly clientCpuShare: number;
  readonly clientLoopDelayP99Ms: number;
  /** The client process could not keep up: the row measures the clients, not the server. */
  readonly clientBound: boolean;
}

/** A run that has not finished in this long is abandoned (its processes killed) rather than hanging the bench. */
const RUN_TIMEOUT_MS = 180_000;
const SAMPLED_CLIENTS = 200;

export async function runOne(spec: ServerSpec, scenario: Scenario, redisUrl: string, timing: Timing): Promise<RunResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${spec.name}, ${scenario.label} ${scenario.connections}: no result within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
  });
  const children: ChildProcess[] = [];
  try {
    return await Promise.race([measure(spec, scenario, redisUrl, timing, children), timeout]);
  } finally {
    clearTimeout(timer);
    for (const child of children) child.kill('SIGKILL');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(spec: ServerSpec, scenario: Scenario, redisUrl: string, timing: Timing, children: ChildProcess[]): Promise<RunResult> {
  const port = await freePort();
  const server = await startServer(spec, port, redisUrl, scenario.symbols);
  children.push(server);
  const clients = startClients({
    kind: spec.kind,
    base: `ws://127.0.0.1:${port}`,
    clients: scenario.connections,
    symbols: scenario.symbols,
    sampled: SAMPLED_CLIENTS,
    oneChannel: scenario.oneChannel,
    bareUnsampled: spec.bareClients,
    stalled: Math.round(scenario.connections * scenario.stalledShare),
    redisUrl,
  });
  children.push(clients.child);
  const { connected } = await clients.ready;
  await sleep(timing.warmupS * 1000);
  const cpuBefore = cpuSeconds(server.pid!);
  clients.child.send({ cmd: 'start' });
  await sleep(timing.measureS * 1000);
  const cpu = cpuSeconds(server.pid!) - cpuBefore;
  const rss = rssKb(server.pid!);
  const report = await clients.report();
  const latency = histogram(report.latency);
  const redisHop = histogram(report.redisHop);
  return {
    server: spec.name,
    scenario: scenario.label,
    connections: scenario.connections,
    connected,
    offeredPerS: Math.round(report.offered / report.seconds),
    deliveredPerS: Math.round(report.updates / report.seconds),
    p50Ms: latency.quantile(0.5) / 1000,
    p99Ms: latency.quantile(0.99) / 1000,
    p999Ms: latency.quantile(0.999) / 1000,
    cpuSecondsPer100k: report.updates > 0 ? (cpu / report.updates) * 100_000 : Number.NaN,
    serverCpuShare: cpu / report.seconds,
    serverRssMb: rss / 1024,
    lost: report.lost,
    reordered: report.reordered,
    closedDuringRun: report.closedDuringRun,
    errors: report.errors,
    redisHopP50Ms: redisHop.quantile(0.5) / 1000,
    redisHopP99Ms: redisHop.quantile(0.99) / 1000,
    clientCpuShare: report.cpuShare,
    clientLoopDelayP99Ms: report.loopDelayP99Ms,
    clientBound: report.cpuShare > 0.9 || report.loopDelayP99Ms > 50,
  };
}

function histogram(json: ClientsReport['latency']): LatencyHistogram {
  const result = new LatencyHistogram();
  result.merge(json);
  return result;
}

function startClients(config: ClientsConfig): { child: ChildProcess; ready: Promise<{ connected: number; failed: number }>; report: () => Promise<ClientsReport> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/harness/bench-clients.ts'], { env: { ...process.env, BENCH_CLIENTS: JSON.stringify(config) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise<{ connected: number; failed: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the client process exited (${code}) before it was ready`)));
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
