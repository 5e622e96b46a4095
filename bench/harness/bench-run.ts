/**
 * One row of the bench: a fresh server process, client processes with N
 * connections on it, a warm-up, then a measured window. The server owns CPU 0
 * (servers.ts). The sampled clients and the Redis probe share one process at
 * the feed's priority, so the latency they record is the server's; the other
 * clients run in load processes below them, where a busy process delays only
 * its own clients (the row is then marked).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/redis-server.js';
import { LatencyHistogram, monotonicMicros } from './bench-common.js';
import type { ClientsConfig, ClientsReport } from './bench-clients.js';
import type { FeedProcess } from './feed-process.js';
import { asFeed, cpuTimes, LOAD_NICE, renice, rssKb, startServer, type ServerSpec } from './servers.js';

export interface Scenario {
  /** `zipf`, `one-channel`, `stalled-1%`, `zipf-1000-symbols`, `zipf-2-processes`. */
  readonly label: string;
  readonly connections: number;
  readonly symbols: number;
  readonly oneChannel: boolean;
  /** Share of the connections that stop reading. */
  readonly stalledShare: number;
  /**
   * Server processes, one per CPU from CPU 0 (`taskset`), on ports of their own (Node 20 has no reusePort);
   * clients alternate between them. Their CPU, RSS and counters are summed.
   */
  readonly serverProcesses: number;
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
  /** The same latency counted from the feed's publish call (`bench_sent`): what the Redis hops and the server add. */
  readonly fromSendP50Ms: number;
  readonly fromSendP99Ms: number;
  /** Latency from the schedule of messages scheduled outside the 1 s trade bursts (every 10 s), and in them. */
  readonly calmP50Ms: number;
  readonly calmP99Ms: number;
  readonly burstP50Ms: number;
  readonly burstP99Ms: number;
  /** The share of sampled messages scheduled in a burst. */
  readonly burstShare: number;
  readonly cpuSecondsPer100k: number;
  /** The part of the server's CPU spent in the kernel (its syscalls, mostly socket writes), 0..1; 10 ms ticks. */
  readonly kernelCpuShare: number;
  readonly serverCpuShare: number;
  readonly serverRssMb: number;
  readonly lost: number;
  readonly reordered: number;
  /** Connections the server closed during the window (stalled clients cut off at its send-buffer bound). */
  readonly closedDuringRun: number;
  /** Error messages the clients got (a refused subscription): such a row is not a valid measurement. */
  readonly errors: number;
  /** The feed's lateness: scheduled send → its publish call, p99 ms. */
  readonly feedLagP99Ms: number;
  /** Worker publish hop: the feed's publish call → Redis confirmed its MULTI, ms. */
  readonly publishHopP50Ms: number;
  readonly publishHopP99Ms: number;
  /** Receipt hop: the feed's publish call → Redis → a plain subscriber at the sampler's priority, ms. */
  readonly redisHopP50Ms: number;
  readonly redisHopP99Ms: number;
  /** CPU of the sampler process (sampled clients and probe), share of one core. */
  readonly clientCpuShare: number;
  readonly clientLoopDelayP99Ms: number;
  /** CPU of the busiest load process, share of one core. */
  readonly loadCpuShare: number;
  /** tickstream only: the gateway's own event-loop delay over the window (its /metrics), ms; NaN for the baselines. */
  readonly serverLoopDelayP99Ms: number;
  readonly serverLoopDelayMaxMs: number;
  /** tickstream only: error messages it sent, by code, over the server's life (a refused subscription at connect counts). */
  readonly errorCodes: Readonly<Record<string, number>>;
  /** tickstream only: messages sent per socket write in the window (its /metrics): the batching the per-turn cork got. */
  readonly messagesPerWrite: number;
  /** The sampler's event-loop delay at worst, ms: a stall there shows as latency. */
  readonly clientLoopDelayMaxMs: number;
  /** The sampler could not keep up: its latency is its own, not the server's. */
  readonly clientBound: boolean;
  /** A load process used a whole core: its clients read late, so the server saw slow readers and delivered/s is theirs. */
  readonly loadBound: boolean;
  /** The measurement window on the monotonic clock, µs (profiles are cut to it). */
  readonly windowStartUs: number;
  readonly windowEndUs: number;
}

/**
 * A run that has not finished in this long is abandoned (its processes killed) rather than hanging the bench;
 * connecting takes longer with more connections. The Python defaults row at 1k once needed more than 210 s (its
 * clients connect while its saturated server already sends to the others).
 */
const runTimeoutMs = (connections: number) => 300_000 + 30 * connections;
const SAMPLED_CLIENTS = 200;
/** Connections per load process: past ~2500 a second process lets the clients use both cores. */
const CONNECTIONS_PER_LOAD_PROCESS = 2_500;

export async function runOne(spec: ServerSpec, scenario: Scenario, redisUrl: string, timing: Timing, feed: FeedProcess): Promise<RunResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const ms = runTimeoutMs(scenario.connections);
    timer = setTimeout(() => reject(new Error(`${spec.name}, ${scenario.label} ${scenario.connections}: no result within ${ms} ms`)), ms);
  });
  const children: ChildProcess[] = [];
  let result: RunResult | undefined;
  try {
    result = await Promise.race([measure(spec, scenario, redisUrl, timing, feed, children), timeout]);
    return result;
  } finally {
    clearTimeout(timer);
    const servers = children.slice(0, scenario.serverProcesses);
    if (spec.stopGracefully) await stopGracefully(servers);
    for (const child of children) child.kill('SIGKILL');
    if (spec.cpuProfileDir && result) writeProfileWindows(spec.cpuProfileDir, servers, result);
  }
}

/**
 * Beside each profile a server wrote (node names them CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile), the
 * row's measurement window, so that cpuprof-top.ts counts only what the server did while it was measured.
 */
function writeProfileWindows(dir: string, servers: readonly ChildProcess[], result: RunResult): void {
  const pids = new Set(servers.map((server) => String(server.pid)));
  const label = `${result.server}, ${result.scenario}, ${result.connections} connections`;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.cpuprofile') || !pids.has(file.split('.')[3] ?? '')) continue;
    writeFileSync(join(dir, `${file}.window.json`), JSON.stringify({ label, startUs: result.windowStartUs, endUs: result.windowEndUs }));
    process.stderr.write(`  CPU profile: ${join(dir, file)} (measurement window beside it)\n`);
  }
}

/** SIGTERM, then up to 10 s for each process to exit (the servers are started first, so they lead `children`). */
async function stopGracefully(servers: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    servers.map((server) => {
      if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
      const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
      server.kill('SIGTERM');
      return Promise.race([exited, sleep(10_000)]);
    }),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(spec: ServerSpec, scenario: Scenario, redisUrl: string, timing: Timing, feed: FeedProcess, children: ChildProcess[]): Promise<RunResult> {
  const ports: number[] = [];
  const servers: ChildProcess[] = [];
  for (let cpu = 0; cpu < scenario.serverProcesses; cpu++) {
    const port = await freePort();
    const server = await startServer(spec, port, redisUrl, scenario.symbols, {}, cpu);
    children.push(server);
    ports.push(port);
    servers.push(server);
  }
  const base: Omit<ClientsConfig, 'role' | 'loadIndex'> = {
    kind: spec.kind,
    bases: ports.map((port) => `ws://127.0.0.1:${port}`),
    clients: scenario.connections,
    symbols: scenario.symbols,
    sampled: SAMPLED_CLIENTS,
    oneChannel: scenario.oneChannel,
    bareClients: spec.bareClients,
    stalled: Math.round(scenario.connections * scenario.stalledShare),
    redisUrl,
    loadProcesses: Math.max(1, Math.ceil(scenario.connections / CONNECTIONS_PER_LOAD_PROCESS)),
    feedEpochUs: await feed.epochUs,
    niceOnceConnected: LOAD_NICE,
  };
  const processes = [
    startClients({ ...base, role: 'sampler', loadIndex: 0 }),
    ...Array.from({ length: base.loadProcesses }, (_, loadIndex) => startClients({ ...base, role: 'load', loadIndex })),
  ];
  children.push(...processes.map((clients) => clients.child));
  const readies = await Promise.all(processes.map((clients) => clients.ready));
  await Promise.all(processes.map((clients) => clients.subscribe()));
  const connected = readies.reduce((sum, ready) => sum + ready.connected, 0);
  const failed = readies.reduce((sum, ready) => sum + ready.failed, 0);
  if (failed > 0) process.stderr.write(`  ${failed} of ${scenario.connections} connections failed\n`);
  await sleep(timing.warmupS * 1000);
  const cpuBefore = serversCpu(servers);
  for (const clients of processes) clients.child.send({ cmd: 'start' });
  const metricsBefore = await serversMetrics(spec, ports); // also resets the gateway's loop-delay histogram: the next read covers the window
  await feed.window();
  const windowStartUs = monotonicMicros(); // the clock of V8's profile timestamps too
  await sleep(timing.measureS * 1000);
  const windowEndUs = monotonicMicros();
  const cpuAfter = serversCpu(servers);
  const kernelCpu = cpuAfter.systemS - cpuBefore.systemS;
  const cpu = cpuAfter.userS - cpuBefore.userS + kernelCpu;
  const rss = servers.reduce((sum, server) => sum + rssKb(server.pid!), 0);
  const published = await feed.window();
  const metricsAfter = await serversMetrics(spec, ports);
  // A load process at nice 19 on a saturated machine can take minutes to read `stop`: back to 0 first (root).
  for (const clients of processes.slice(1)) renice(clients.child.pid!, 0);
  const reports = await Promise.all(processes.map((clients) => clients.report()));
  const sampler = reports[0]!;
  const loads = reports.slice(1);
  const sum = (pick: (report: ClientsReport) => number) => reports.reduce((total, report) => total + pick(report), 0);
  const latency = histogram(sampler.latency);
  const fromSend = histogram(sampler.latencyFromSend);
  const calm = histogram(sampler.latencyCalm);
  const burst = histogram(sampler.latencyBurst);
  const redisHop = histogram(sampler.redisHop);
  const publishHop = histogram(published.publishHop);
  const updates = sum((r) => r.updates);
  const loadCpuShare = Math.max(...loads.map((r) => r.cpuShare));
  return {
    server: spec.name,
    scenario: scenario.label,
    connections: scenario.connections,
    connected,
    offeredPerS: Math.round(sampler.offered / sampler.seconds),
    deliveredPerS: Math.round(updates / sampler.seconds),
    p50Ms: latency.quantile(0.5) / 1000,
    p99Ms: latency.quantile(0.99) / 1000,
    p999Ms: latency.quantile(0.999) / 1000,
    fromSendP50Ms: fromSend.quantile(0.5) / 1000,
    fromSendP99Ms: fromSend.quantile(0.99) / 1000,
    calmP50Ms: calm.quantile(0.5) / 1000,
    calmP99Ms: calm.quantile(0.99) / 1000,
    burstP50Ms: burst.quantile(0.5) / 1000,
    burstP99Ms: burst.quantile(0.99) / 1000,
    burstShare: latency.total > 0 ? burst.total / latency.total : Number.NaN,
    cpuSecondsPer100k: updates > 0 ? (cpu / updates) * 100_000 : Number.NaN,
    kernelCpuShare: cpu > 0 ? kernelCpu / cpu : Number.NaN,
    serverCpuShare: cpu / sampler.seconds,
    serverRssMb: rss / 1024,
    lost: sum((r) => r.lost),
    reordered: sum((r) => r.reordered),
    closedDuringRun: sum((r) => r.closedDuringRun),
    errors: sum((r) => r.errors),
    feedLagP99Ms: histogram(published.feedLag).quantile(0.99) / 1000,
    publishHopP50Ms: publishHop.quantile(0.5) / 1000,
    publishHopP99Ms: publishHop.quantile(0.99) / 1000,
    redisHopP50Ms: redisHop.quantile(0.5) / 1000,
    redisHopP99Ms: redisHop.quantile(0.99) / 1000,
    clientCpuShare: sampler.cpuShare,
    clientLoopDelayP99Ms: sampler.loopDelayP99Ms,
    clientLoopDelayMaxMs: sampler.loopDelayMaxMs,
    serverLoopDelayP99Ms: metricsAfter.loopDelayP99Ms,
    serverLoopDelayMaxMs: metricsAfter.loopDelayMaxMs,
    errorCodes: metricsAfter.errorCodes,
    messagesPerWrite: (metricsAfter.messagesOut - metricsBefore.messagesOut) / (metricsAfter.socketWrites - metricsBefore.socketWrites),
    loadCpuShare,
    clientBound: sampler.cpuShare > 0.9 || sampler.loopDelayP99Ms > 50,
    loadBound: loadCpuShare > 0.9,
    windowStartUs,
    windowEndUs,
  };
}

interface ServerMetrics {
  /** The event-loop delay since the last read (prom-client resets its histogram on every scrape). */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** Counters so far: messages written to clients, and the socket writes that carried them. */
  readonly messagesOut: number;
  readonly socketWrites: number;
  /** Error messages sent to clients so far, by code. */
  readonly errorCodes: Readonly<Record<string, number>>;
}

/** CPU time of the server processes together. */
function serversCpu(servers: readonly ChildProcess[]): { userS: number; systemS: number } {
  const times = servers.map((server) => cpuTimes(server.pid!));
  return { userS: times.reduce((sum, t) => sum + t.userS, 0), systemS: times.reduce((sum, t) => sum + t.systemS, 0) };
}

/** The processes' counters summed, their loop delays at worst. */
async function serversMetrics(spec: ServerSpec, ports: readonly number[]): Promise<ServerMetrics> {
  const all = await Promise.all(ports.map((port) => serverMetrics(spec, port)));
  return {
    loopDelayP99Ms: Math.max(...all.map((m) => m.loopDelayP99Ms)),
    loopDelayMaxMs: Math.max(...all.map((m) => m.loopDelayMaxMs)),
    messagesOut: all.reduce((sum, m) => sum + m.messagesOut, 0),
    socketWrites: all.reduce((sum, m) => sum + m.socketWrites, 0),
    errorCodes: Object.assign({}, ...all.map((m) => m.errorCodes)) as Record<string, number>,
  };
}

/** tickstream's /metrics; NaN for the baselines. */
async function serverMetrics(spec: ServerSpec, port: number): Promise<ServerMetrics> {
  if (spec.kind !== 'tickstream') return { loopDelayP99Ms: Number.NaN, loopDelayMaxMs: Number.NaN, messagesOut: Number.NaN, socketWrites: Number.NaN, errorCodes: {} };
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text());
  const value = (name: string) => Number(new RegExp(`^tickstream_gateway_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    loopDelayP99Ms: value('nodejs_eventloop_lag_p99_seconds') * 1000,
    loopDelayMaxMs: value('nodejs_eventloop_lag_max_seconds') * 1000,
    messagesOut: value('messages_out_total'),
    socketWrites: value('socket_writes_total'),
    errorCodes: Object.fromEntries([...text.matchAll(/^tickstream_gateway_client_errors_total\{code="(\w+)"\} (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])])),
  };
}

/** The hops with no server under test and no clients: the sampler alone, for one window. */
export async function measureHopsAtRest(redisUrl: string, timing: Timing, feed: FeedProcess): Promise<{ publish: LatencyHistogram; receipt: LatencyHistogram; feedLag: LatencyHistogram }> {
  const probe = startClients({ kind: 'tickstream', bases: [], feedEpochUs: await feed.epochUs, niceOnceConnected: LOAD_NICE, clients: 0, symbols: 0, sampled: 0, oneChannel: false, bareClients: true, stalled: 0, redisUrl, role: 'sampler', loadIndex: 0, loadProcesses: 1 });
  try {
    await probe.ready;
    probe.child.send({ cmd: 'start' });
    await feed.window();
    await sleep(timing.measureS * 1000);
    const published = await feed.window();
    const report = await probe.report();
    return { publish: histogram(published.publishHop), receipt: histogram(report.redisHop), feedLag: histogram(published.feedLag) };
  } finally {
    probe.child.kill('SIGKILL');
  }
}

function histogram(json: ClientsReport['latency']): LatencyHistogram {
  const result = new LatencyHistogram();
  result.merge(json);
  return result;
}

/** The sampler runs at the feed's priority (asFeed); load processes connect at nice 0, then go below everything (LOAD_NICE). */
interface ClientsProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<{ connected: number; failed: number }>;
  subscribe(): Promise<void>;
  report(): Promise<ClientsReport>;
}

function startClients(config: ClientsConfig): ClientsProcess {
  const args = ['--import', 'tsx', 'bench/harness/bench-clients.ts'];
  const [command, argv] = config.role === 'sampler' ? asFeed(process.execPath, args) : [process.execPath, args];
  const child = spawn(command, argv, { env: { ...process.env, BENCH_CLIENTS: JSON.stringify(config) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise<{ connected: number; failed: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the client process exited (${code}) before it was ready`)));
    child.on('message', (message: { cmd: string; connected: number; failed: number }) => {
      if (message.cmd === 'ready') resolve(message);
    });
  });
  const subscribe = () =>
    new Promise<void>((resolve) => {
      child.on('message', (message: { cmd: string }) => {
        if (message.cmd === 'subscribed') resolve();
      });
      child.send({ cmd: 'subscribe' });
    });
  const report = () =>
    new Promise<ClientsReport>((resolve) => {
      child.on('message', (message: { cmd: string; report: ClientsReport }) => {
        if (message.cmd === 'report') resolve(message.report);
      });
      child.send({ cmd: 'stop' });
    });
  return { child, ready, subscribe, report };
}
