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
import WebSocket from 'ws';
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
}

export interface ClientsReport {
  readonly connected: number;
  readonly failed: number;
  readonly frames: number;
  readonly updates: number;
  readonly lost: number;
  readonly reordered: number;
  readonly closedDuringRun: number;
  readonly latency: ReturnType<LatencyHistogram['toJSON']>;
  /** CPU of this process during the run, share of one core. */
  readonly cpuShare: number;
  /** p99 event-loop delay of this process during the run, ms: high means the clients, not the server, were behind. */
  readonly loopDelayP99Ms: number;
  readonly seconds: number;
}

const CONNECT_CONCURRENCY = 100;

class BenchClient {
  private readonly lastSeq = new Map<string, number>();
  socket: WebSocket | undefined;

  constructor(
    private readonly config: ClientsConfig,
    private readonly symbol: string,
    private readonly sampled: boolean,
    private readonly counters: Counters,
  ) {}

  connect(): Promise<void> {
    const { kind, base } = this.config;
    const url =
      kind === 'tickstream' ? `${base}/api/v1/live/ws` : kind === 'python' ? `${base}/ws/${this.symbol}` : `${base}/socket.io/?EIO=4&transport=websocket&symbol=${this.symbol}`;
    // Browsers offer permessage-deflate; whether it is used is the server's choice.
    const socket = new WebSocket(url, { perMessageDeflate: true });
    this.socket = socket;
    return new Promise((resolve, reject) => {
      socket.once('open', () => {
        if (kind === 'tickstream') {
          for (const subscription of ['candles', 'trades', 'ticker', 'orderbook']) {
            socket.send(JSON.stringify({ type: 'subscribe', subscription, symbol: this.symbol, ...(subscription === 'candles' ? { timeframe: '1', limit: 1 } : { limit: 1 }) }));
          }
        }
        resolve();
      });
      socket.once('error', reject);
      socket.on('message', (data: Buffer) => this.onFrame(data.toString()));
      socket.on('close', () => this.counters.closed++);
    });
  }

  private onFrame(text: string): void {
    const counters = this.counters;
    if (!counters.running) return;
    counters.frames++;
    let payload = text;
    if (this.config.kind === 'socketio') {
      if (text === '2') return this.socket?.send('3');
      if (text.startsWith('0')) return this.socket?.send('40');
      if (!text.startsWith('42')) return;
      payload = (JSON.parse(text.slice(2)) as [string, string])[1];
    }
    if (!payload.startsWith('{"type":"update"')) {
      // tickstream: subscribed / heartbeat / status, and the snapshot that sets where seq continues.
      if (payload.startsWith('{"type":"snapshot"')) {
        const message = JSON.parse(payload) as { channel: string; seq: number };
        this.lastSeq.set(message.channel, message.seq);
      }
      return;
    }
    counters.updates++;
    let channel: string;
    let seq: number;
    if (this.sampled) {
      const message = JSON.parse(payload) as { channel: string; seq: number; bench_t?: number };
      channel = message.channel;
      seq = message.seq;
      if (message.bench_t !== undefined) counters.latency.record(monotonicMicros() - message.bench_t);
    } else {
      const at = payload.indexOf('"channel":"') + 11;
      channel = payload.slice(at, payload.indexOf('"', at));
      const seqAt = payload.lastIndexOf('"seq":') + 6;
      seq = Number.parseInt(payload.slice(seqAt, seqAt + 16), 10);
    }
    const last = this.lastSeq.get(channel);
    if (last !== undefined) {
      if (seq > last + 1) counters.lost += seq - last - 1;
      else if (seq <= last) counters.reordered++;
    }
    if (last === undefined || seq > last) this.lastSeq.set(channel, seq);
  }
}

interface Counters {
  running: boolean;
  frames: number;
  updates: number;
  lost: number;
  reordered: number;
  closed: number;
  latency: LatencyHistogram;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_CLIENTS ?? '{}') as ClientsConfig;
  const counters: Counters = { running: true, frames: 0, updates: 0, lost: 0, reordered: 0, closed: 0, latency: new LatencyHistogram() };
  const symbols = benchSymbols(config.symbols);
  const assignment = config.oneChannel ? Array.from({ length: config.clients }, () => 0) : zipfAssignment(config.clients, config.symbols);
  const every = Math.max(1, Math.floor(config.clients / Math.max(1, config.sampled)));
  const clients = assignment.map((index, i) => new BenchClient(config, symbols[index]!, i % every === 0, counters));
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
      Object.assign(counters, { frames: 0, updates: 0, lost: 0, reordered: 0, closed: 0, latency: new LatencyHistogram() });
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
        latency: counters.latency.toJSON(),
        cpuShare: (cpu.user + cpu.system) / 1e6 / seconds,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        seconds,
      };
      process.send?.({ cmd: 'report', report }, () => {
        for (const client of clients) client.socket?.terminate();
        process.exit(0);
      });
    }
  });
  process.send?.({ cmd: 'ready', connected: clients.length - failed, failed });
}

void main();
