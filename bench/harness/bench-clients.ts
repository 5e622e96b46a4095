/**
 * The benchmark's client process (PROTOCOL.md): N cheap WebSocket clients on
 * one server under test, each on one symbol's four channels (symbols by
 * Zipf popularity). Every client counts frames and checks seq per channel
 * (loss = a jump, reordering = a step back); a sample of them parses every
 * message and records exchange-to-client latency from `bench_t`.
 * Driven over IPC by run-bench.ts: `connect` → `ready`; `start` resets the
 * counters; `stop` → a `report`.
 * @module
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient } from 'redis';
import WebSocket from 'ws';
import { RawWsClient } from './raw-ws-client.js';
import { benchSymbols, LatencyHistogram, monotonicMicros, zipfAssignment } from './bench-common.js';

export type ServerKind = 'tickstream' | 'python' | 'socketio';

export interface ClientsConfig {
  readonly kind: ServerKind;
  /** ws://host:port (the path is the kind's). */
  readonly base: string;
  readonly clients: number;
  readonly symbols: number;
  readonly sampled: number;
  /** All clients on BTCUSDT (the worst case) instead of Zipf. */
  readonly oneChannel: boolean;
  /** Unsampled clients use the bare client (raw-ws-client.ts) rather than `ws`, which offers permessage-deflate. */
  readonly bareUnsampled: boolean;
  /** Clients that stop reading once connected (never sampled): the gateway must not let them hurt the others. */
  readonly stalled: number;
  /** The feed's Redis: a direct Pub/Sub subscriber there measures the harness's own floor (feed → Redis → a client). */
  readonly redisUrl: string;
}

export interface ClientsReport {
  readonly connected: number;
  readonly failed: number;
  readonly frames: number;
  readonly updates: number;
  readonly lost: number;
  readonly reordered: number;
  readonly closedDuringRun: number;
  /** Error messages from the server (tickstream): a refused subscription must not pass for a quiet channel. */
  readonly errors: number;
  /** Updates the healthy clients should have received (the feed's messages on their channels, seen by the probe). */
  readonly offered: number;
  readonly latency: ReturnType<LatencyHistogram['toJSON']>;
  /** feed → Redis → a plain subscriber in this process, every channel: the latency no server can beat here. */
  readonly redisHop: ReturnType<LatencyHistogram['toJSON']>;
  /** CPU of this process during the run, share of one core. */
  readonly cpuShare: number;
  /** p99 event-loop delay of this process during the run, ms: high means the clients, not the server, were behind. */
  readonly loopDelayP99Ms: number;
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
    readonly symbol: string,
    private readonly sampled: boolean,
    private readonly counters: Counters,
  ) {}

  async connect(): Promise<void> {
    const { kind, base } = this.config;
    const url =
      kind === 'tickstream' ? `${base}/api/v1/live/ws` : kind === 'python' ? `${base}/ws/${this.symbol}` : `${base}/socket.io/?EIO=4&transport=websocket&symbol=${this.symbol}`;
    // The transport is set before the handshake ends: Socket.IO's open packet can arrive with the upgrade
    // response, and must be answered at once (`40`) or the server never joins the client to anything.
    await (this.config.bareUnsampled && !this.sampled ? this.openBare(url) : this.openWs(url));
    if (kind === 'tickstream') {
      for (const subscription of ['candles', 'trades', 'ticker', 'orderbook']) {
        this.transport?.sendText(JSON.stringify({ type: 'subscribe', subscription, symbol: this.symbol, ...(subscription === 'candles' ? { timeframe: '1', limit: 1 } : { limit: 1 }) }));
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
    let channel: string;
    let seq: number;
    if (this.sampled) {
      const message = JSON.parse(payload.toString()) as { channel: string; seq: number; bench_t?: number };
      channel = message.channel;
      seq = message.seq;
      if (message.bench_t !== undefined) counters.latency.record(monotonicMicros() - message.bench_t);
    } else {
      // Unsampled clients only find channel and seq in the bytes: the client process must stay cheaper than the server.
      const at = payload.indexOf(CHANNEL_KEY) + CHANNEL_KEY.length;
      channel = payload.toString('latin1', at, payload.indexOf(QUOTE, at));
      const seqAt = payload.lastIndexOf(SEQ_KEY) + SEQ_KEY.length;
      seq = Number.parseInt(payload.toString('latin1', seqAt, seqAt + 16), 10);
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
const CHANNEL_KEY = Buffer.from('"channel":"');
const SEQ_KEY = Buffer.from('"seq":');
const QUOTE = 0x22;

interface Counters {
  running: boolean;
  frames: number;
  updates: number;
  lost: number;
  reordered: number;
  closed: number;
  errors: number;
  latency: LatencyHistogram;
  redisHop: LatencyHistogram;
  /** Messages per Redis channel during the run. */
  perChannel: Map<string, number>;
}

const FEED_CHANNEL = /^(candles|trades|ticker|orderbook):/;

/** Subscribes to every channel of the feed's Redis and records each message's hop latency. */
async function probeRedis(url: string, counters: Counters): Promise<() => Promise<void>> {
  const subscriber = createClient({ url });
  await subscriber.connect();
  await subscriber.pSubscribe('*', (message, channel) => {
    // Only the feed's channels: a server under test may use the same Redis for its own traffic (Socket.IO's adapter).
    if (!counters.running || !FEED_CHANNEL.test(channel)) return;
    counters.perChannel.set(channel, (counters.perChannel.get(channel) ?? 0) + 1);
    const at = message.lastIndexOf('"bench_t":');
    if (at >= 0) counters.redisHop.record(monotonicMicros() - Number.parseInt(message.slice(at + 10, at + 30), 10));
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

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_CLIENTS ?? '{}') as ClientsConfig;
  const counters: Counters = { running: true, frames: 0, updates: 0, lost: 0, reordered: 0, closed: 0, errors: 0, latency: new LatencyHistogram(), redisHop: new LatencyHistogram(), perChannel: new Map<string, number>() };
  const stopProbe = await probeRedis(config.redisUrl, counters);
  const symbols = benchSymbols(config.symbols);
  const assignment = config.oneChannel ? Array.from({ length: config.clients }, () => 0) : zipfAssignment(config.clients, config.symbols);
  const every = Math.max(1, Math.floor(config.clients / Math.max(1, config.sampled)));
  const clients = assignment.map((index, i) => new BenchClient(config, symbols[index]!, i % every === 0, counters));
  // Stalled clients are spread evenly over the unsampled ones (so over the symbols' popularity too).
  const unsampled = clients.filter((_, i) => i % every !== 0);
  const stalledEvery = config.stalled > 0 ? unsampled.length / config.stalled : Number.POSITIVE_INFINITY;
  const stalled = new Set(Array.from({ length: Math.min(config.stalled, unsampled.length) }, (_, k) => unsampled[Math.floor(k * stalledEvery)]!));
  const healthySymbols = clients.filter((client) => !stalled.has(client)).map((client) => client.symbol);
  let failed = 0;
  for (let i = 0; i < clients.length; i += CONNECT_CONCURRENCY) {
    const results = await Promise.allSettled(clients.slice(i, i + CONNECT_CONCURRENCY).map((client) => client.connect()));
    failed += results.filter((result) => result.status === 'rejected').length;
  }
  let startedAt = 0;
  let cpuAtStart = process.cpuUsage();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  process.on('message', (message: { cmd: string }) => {
    if (message.cmd === 'start') {
      Object.assign(counters, { frames: 0, updates: 0, lost: 0, reordered: 0, closed: 0, latency: new LatencyHistogram(), redisHop: new LatencyHistogram(), perChannel: new Map<string, number>() });
      for (const client of stalled) client.transport?.pause();
      startedAt = performance.now();
      cpuAtStart = process.cpuUsage();
      loopDelay.reset();
    } else if (message.cmd === 'stop') {
      const seconds = (performance.now() - startedAt) / 1000;
      const cpu = process.cpuUsage(cpuAtStart);
      counters.running = false;
      const report: ClientsReport = {
        connected: clients.length - failed,
        failed,
        frames: counters.frames,
        updates: counters.updates,
        lost: counters.lost,
        reordered: counters.reordered,
        closedDuringRun: counters.closed,
        errors: counters.errors,
        offered: offeredTo(healthySymbols, counters.perChannel),
        latency: counters.latency.toJSON(),
        redisHop: counters.redisHop.toJSON(),
        cpuShare: (cpu.user + cpu.system) / 1e6 / seconds,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        seconds,
      };
      void stopProbe();
      process.send?.({ cmd: 'report', report }, () => {
        for (const client of clients) client.transport?.terminate();
        process.exit(0);
      });
    }
  });
  process.send?.({ cmd: 'ready', connected: clients.length - failed, failed });
}

void main();
