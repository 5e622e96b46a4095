/**
 * The benchmark's client processes (PROTOCOL.md): N cheap WebSocket clients on
 * one server under test, each on one symbol's four channels (symbols by
 * Zipf popularity; on a split feed, the four channels of each of the symbols
 * standing for its pick). Every client counts frames and checks seq per channel
 * (loss = a jump, reordering = a step back); a sample of them also reads
 * every message's `bench_t` and `bench_sent` and records latency.
 *
 * One run has one `sampler` process (the sampled clients and the Redis
 * probe, at the feed's priority, so the latency it records is the server's,
 * not a busy client process's) and one or more `load` processes (the other
 * clients, below it in priority). Every process derives the same client list
 * from the config and opens only its share.
 * Driven over IPC by bench-run.ts: `ready` once connected; `subscribe` (sent
 * once every process is connected: upgrades are not starved by a flow that
 * has already started) → `subscribed`; `start` resets the counters; `stop` →
 * a `report`.
 * @module
 */
import { setPriority } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient } from 'redis';
import WebSocket from 'ws';
import { RawWsClient } from './raw-ws-client.js';
import { benchSymbols, inBurst, LatencyHistogram, monotonicMicros, REFERENCE_SYMBOLS, splitSymbols, updateFields, zipfAssignment } from './bench-common.js';

export type ServerKind = 'tickstream' | 'python' | 'socketio';

export interface ClientsConfig {
  readonly kind: ServerKind;
  /** ws://host:port of each server process (the path is the kind's); client i connects to bases[i % bases.length]. */
  readonly bases: readonly string[];
  readonly clients: number;
  readonly symbols: number;
  readonly sampled: number;
  /** All clients on BTCUSDT (the worst case) instead of Zipf. */
  readonly oneChannel: boolean;
  /** Clients use the bare client (raw-ws-client.ts) rather than `ws`, which offers permessage-deflate. */
  readonly bareClients: boolean;
  /** Clients that stop reading once connected (never sampled): the gateway must not let them hurt the others. */
  readonly stalled: number;
  /** The feed's Redis: a direct Pub/Sub subscriber there measures the harness's own floor (feed → Redis → a client). */
  readonly redisUrl: string;
  /** `sampler`: the sampled clients and the Redis probe; `load`: a share of the others. */
  readonly role: 'sampler' | 'load';
  /** Load processes split the unsampled clients: this one opens those whose index % loadProcesses is loadIndex. */
  readonly loadIndex: number;
  readonly loadProcesses: number;
  /** The feed's epoch: sampled latency is also split by whether the message was scheduled in a trade burst. */
  readonly feedEpochUs: number;
  /** Load processes lower their priority to this once subscribed (servers.ts, LOAD_NICE); the sampler keeps its own. */
  readonly niceOnceConnected: number;
}

export interface ClientsReport {
  readonly role: ClientsConfig['role'];
  readonly connected: number;
  readonly failed: number;
  readonly frames: number;
  readonly updates: number;
  readonly lost: number;
  readonly reordered: number;
  readonly closedDuringRun: number;
  /** Error messages from the server (tickstream): a refused subscription must not pass for a quiet channel. */
  readonly errors: number;
  /** Updates all healthy clients of the run should have received (the feed's messages on their channels, seen by the probe); sampler only. */
  readonly offered: number;
  /** Scheduled send (`bench_t`) → a sampled client. */
  readonly latency: ReturnType<LatencyHistogram['toJSON']>;
  /** The feed's publish call (`bench_sent`) → a sampled client: the same without the feed's own lateness. */
  readonly latencyFromSend: ReturnType<LatencyHistogram['toJSON']>;
  /** Scheduled send → a sampled client, for messages scheduled outside the trade bursts, and in them. */
  readonly latencyCalm: ReturnType<LatencyHistogram['toJSON']>;
  readonly latencyBurst: ReturnType<LatencyHistogram['toJSON']>;
  /** The feed's publish call → Redis → a plain subscriber in the sampler, every channel: the receipt hop. */
  readonly redisHop: ReturnType<LatencyHistogram['toJSON']>;
  /** CPU of this process during the run, share of one core. */
  readonly cpuShare: number;
  /** p99 event-loop delay of this process during the run, ms: high means the clients, not the server, were behind. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  readonly seconds: number;
}

const CONNECT_CONCURRENCY = 100;

/** What a bench client needs of its connection, from `ws` or from the bare client. */
interface Transport {
  sendText(text: string): void;
  pause(): void;
  terminate(): void;
}

class BenchClient {
  private readonly lastSeq = new Map<string, number>();
  transport: Transport | undefined;

  constructor(
    private readonly config: ClientsConfig,
    private readonly base: string,
    /** One symbol, or on a split feed the symbols standing for one reference symbol (splitSymbols). */
    readonly symbols: readonly string[],
    private readonly sampled: boolean,
    private readonly counters: Counters,
  ) {}

  async connect(): Promise<void> {
    const { kind } = this.config;
    const base = this.base;
    const symbol = this.symbols[0]!;
    if (kind !== 'tickstream' && this.symbols.length > 1) throw new Error(`the ${kind} baseline serves one symbol per connection`);
    const url = kind === 'tickstream' ? `${base}/api/v1/live/ws` : kind === 'python' ? `${base}/ws/${symbol}` : `${base}/socket.io/?EIO=4&transport=websocket&symbol=${symbol}`;
    // The transport is set before the handshake ends: Socket.IO's open packet can arrive with the upgrade
    // response, and must be answered at once (`40`) or the server never joins the client to anything.
    await (this.config.bareClients ? this.openBare(url) : this.openWs(url));
  }

  /** tickstream: the subscriptions, sent once every client of the run is connected (the baselines subscribe by URL). */
  subscribe(): void {
    if (this.config.kind === 'tickstream') {
      for (const symbol of this.symbols) {
        for (const subscription of ['candles', 'trades', 'ticker', 'orderbook']) {
          this.transport?.sendText(JSON.stringify({ type: 'subscribe', subscription, symbol, ...(subscription === 'candles' ? { timeframe: '1', limit: 1 } : { limit: 1 }) }));
        }
      }
    }
  }

  private openBare(url: string): Promise<void> {
    const client = new RawWsClient({
      onText: (chunk, start, end) => this.onFrame(chunk.subarray(start, end)),
      onClose: () => this.counters.closed++,
    });
    this.transport = { sendText: (text) => client.sendText(text), pause: () => client.pause(), terminate: () => client.destroy() };
    return client.open(url);
  }

  private openWs(url: string): Promise<void> {
    // Browsers offer permessage-deflate; whether it is used is the server's choice.
    const socket = new WebSocket(url, { perMessageDeflate: true, skipUTF8Validation: true });
    this.transport = { sendText: (text) => socket.send(text), pause: () => socket.pause(), terminate: () => socket.terminate() };
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.on('message', (data: Buffer) => this.onFrame(data));
      socket.on('close', () => this.counters.closed++);
    });
  }

  private onFrame(data: Buffer): void {
    const counters = this.counters;
    if (!counters.running) return;
    counters.frames++;
    if (this.config.kind === 'socketio') {
      const text = data.toString();
      if (text === '2') return this.transport?.sendText('3');
      if (text.startsWith('0')) return this.transport?.sendText('40');
      if (!text.startsWith('42')) return;
      return this.onPayload(Buffer.from((JSON.parse(text.slice(2)) as [string, string])[1]));
    }
    this.onPayload(data);
  }

  private onPayload(payload: Buffer): void {
    const counters = this.counters;
    if (!payload.subarray(0, UPDATE_PREFIX.length).equals(UPDATE_PREFIX)) {
      // tickstream: subscribed / heartbeat / status / error, and the snapshot that sets where seq continues.
      if (payload.subarray(0, ERROR_PREFIX.length).equals(ERROR_PREFIX)) counters.errors++;
      else if (payload.subarray(0, SNAPSHOT_PREFIX.length).equals(SNAPSHOT_PREFIX)) {
        const message = JSON.parse(payload.toString()) as { channel: string; seq: number };
        this.lastSeq.set(message.channel, message.seq);
      }
      return;
    }
    counters.updates++;
    const { channel, seq, scheduledUs, sentUs } = updateFields(payload);
    if (this.sampled) {
      const now = monotonicMicros();
      if (!Number.isNaN(scheduledUs)) {
        counters.latency.record(now - scheduledUs);
        (inBurst(scheduledUs, this.config.feedEpochUs) ? counters.latencyBurst : counters.latencyCalm).record(now - scheduledUs);
      }
      if (!Number.isNaN(sentUs)) counters.latencyFromSend.record(now - sentUs);
    }
    const last = this.lastSeq.get(channel);
    if (last !== undefined) {
      if (seq > last + 1) counters.lost += seq - last - 1;
      else if (seq <= last) counters.reordered++;
    }
    if (last === undefined || seq > last) this.lastSeq.set(channel, seq);
  }
}

const UPDATE_PREFIX = Buffer.from('{"type":"update"');
const SNAPSHOT_PREFIX = Buffer.from('{"type":"snapshot"');
const ERROR_PREFIX = Buffer.from('{"type":"error"');

interface Counters {
  running: boolean;
  frames: number;
  updates: number;
  lost: number;
  reordered: number;
  closed: number;
  errors: number;
  latency: LatencyHistogram;
  latencyFromSend: LatencyHistogram;
  latencyCalm: LatencyHistogram;
  latencyBurst: LatencyHistogram;
  redisHop: LatencyHistogram;
  /** Messages per Redis channel during the run. */
  perChannel: Map<string, number>;
}

const FEED_CHANNEL = /^(candles|trades|ticker|orderbook):/;
const SENT_TEXT = '"bench_sent":';

/** Subscribes to every channel of the feed's Redis and records each message's hop latency. */
async function probeRedis(url: string, counters: Counters): Promise<() => Promise<void>> {
  const subscriber = createClient({ url });
  await subscriber.connect();
  await subscriber.pSubscribe('*', (message, channel) => {
    // Only the feed's channels: a server under test may use the same Redis for its own traffic (Socket.IO's adapter).
    if (!counters.running || !FEED_CHANNEL.test(channel)) return;
    counters.perChannel.set(channel, (counters.perChannel.get(channel) ?? 0) + 1);
    const at = message.lastIndexOf(SENT_TEXT);
    if (at >= 0) counters.redisHop.record(monotonicMicros() - Number.parseInt(message.slice(at + SENT_TEXT.length, at + SENT_TEXT.length + 20), 10));
  });
  return async () => {
    await subscriber.quit().catch(() => undefined);
  };
}

function offeredTo(symbols: readonly string[], perChannel: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const symbol of symbols) {
    for (const channel of [`candles:${symbol}:1`, `trades:${symbol}`, `ticker:${symbol}`, `orderbook:${symbol}`]) total += perChannel.get(channel) ?? 0;
  }
  return total;
}

/** What `start` resets. Errors are kept: a refused subscription is answered at connect, before the window. */
function windowCounts(): Omit<Counters, 'running' | 'errors'> {
  return { frames: 0, updates: 0, lost: 0, reordered: 0, closed: 0, latency: new LatencyHistogram(), latencyFromSend: new LatencyHistogram(),
    latencyCalm: new LatencyHistogram(),
    latencyBurst: new LatencyHistogram(),
    redisHop: new LatencyHistogram(), perChannel: new Map() };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_CLIENTS ?? '{}') as ClientsConfig;
  const sampler = config.role === 'sampler';
  const counters: Counters = { running: true, errors: 0, ...windowCounts() };
  const stopProbe = sampler ? await probeRedis(config.redisUrl, counters) : () => Promise.resolve();
  const symbols = benchSymbols(config.symbols);
  // Zipf over the reference symbols; on a split feed a client takes every symbol standing for its pick.
  const references = Math.min(config.symbols, REFERENCE_SYMBOLS);
  const assignment = config.oneChannel ? Array.from({ length: config.clients }, () => 0) : zipfAssignment(config.clients, references);
  const every = Math.max(1, Math.floor(config.clients / Math.max(1, config.sampled)));
  const clients = assignment.map(
    (reference, i) => new BenchClient(config, config.bases[i % config.bases.length]!, splitSymbols(reference, config.symbols).map((index) => symbols[index]!), i % every === 0, counters),
  );
  // Stalled clients are spread evenly over the unsampled ones (so over the symbols' popularity too).
  const unsampled = clients.filter((_, i) => i % every !== 0);
  const stalledEvery = config.stalled > 0 ? unsampled.length / config.stalled : Number.POSITIVE_INFINITY;
  const stalled = new Set(Array.from({ length: Math.min(config.stalled, unsampled.length) }, (_, k) => unsampled[Math.floor(k * stalledEvery)]!));
  const healthySymbols = clients.filter((client) => !stalled.has(client)).flatMap((client) => client.symbols);
  const mine = sampler ? clients.filter((_, i) => i % every === 0) : unsampled.filter((_, k) => k % config.loadProcesses === config.loadIndex);
  let failed = 0;
  for (let i = 0; i < mine.length; i += CONNECT_CONCURRENCY) {
    const results = await Promise.allSettled(mine.slice(i, i + CONNECT_CONCURRENCY).map((client) => client.connect()));
    for (const result of results) {
      if (result.status === 'fulfilled') continue;
      // The first refusal says why (a status line, a reset): a row with failures must not pass silently.
      if (failed++ === 0) process.stderr.write(`bench-clients (${config.role}): a connection failed: ${String((result.reason as Error).message).split('\r\n')[0]}\n`);
    }
  }
  let startedAt = 0;
  let cpuAtStart = process.cpuUsage();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  process.on('message', (message: { cmd: string }) => {
    if (message.cmd === 'subscribe') {
      for (const client of mine) client.subscribe();
      if (!sampler) setPriority(config.niceOnceConnected);
      process.send?.({ cmd: 'subscribed' });
    } else if (message.cmd === 'start') {
      Object.assign(counters, windowCounts());
      for (const client of mine) if (stalled.has(client)) client.transport?.pause();
      startedAt = performance.now();
      cpuAtStart = process.cpuUsage();
      loopDelay.reset();
    } else if (message.cmd === 'stop') {
      const seconds = (performance.now() - startedAt) / 1000;
      const cpu = process.cpuUsage(cpuAtStart);
      counters.running = false;
      const report: ClientsReport = {
        role: config.role,
        connected: mine.length - failed,
        failed,
        frames: counters.frames,
        updates: counters.updates,
        lost: counters.lost,
        reordered: counters.reordered,
        closedDuringRun: counters.closed,
        errors: counters.errors,
        offered: sampler ? offeredTo(healthySymbols, counters.perChannel) : 0,
        latency: counters.latency.toJSON(),
        latencyFromSend: counters.latencyFromSend.toJSON(),
        latencyCalm: counters.latencyCalm.toJSON(),
        latencyBurst: counters.latencyBurst.toJSON(),
        redisHop: counters.redisHop.toJSON(),
        cpuShare: (cpu.user + cpu.system) / 1e6 / seconds,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
        seconds,
      };
      void stopProbe();
      process.send?.({ cmd: 'report', report }, () => {
        for (const client of mine) client.transport?.terminate();
        process.exit(0);
      });
    }
  });
  process.send?.({ cmd: 'ready', connected: mine.length - failed, failed });
}

void main();
