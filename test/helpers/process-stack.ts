/**
 * The whole system as separate `tickstream` processes for fault tests: a
 * private redis-server, `tickstream simulate` (faults over its HTTP control),
 * one or more `tickstream worker`s and any number of `tickstream gateway`s, with short link
 * timings from the same env vars an operator would set. Clients are the
 * browser-side GatewayClient (web/src) over Node's `ws`, recorded per channel.
 * Every process is killed (SIGKILL) in the test's `after` hook, also on failure.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { CandleData, MarketUpdate, StatusMessage, TradeData } from '../../src/schemas/index.js';
import { GatewayClient, channelOf, type ChannelRequest, type ChannelSnapshot, type GatewayClientOptions, type StateChange, type WebSocketConstructor } from '../../web/src/gateway-client.js';
import { killOnExit, runCli, startSimulatorProcess, type CliProcess } from './cli-process.js';
import { deferCleanups } from './deferred-cleanup.js';
import { TestRedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';
import { FAST_LINK_ENV } from './worker-stack.js';

export const SYMBOL = 'BTCUSDT';
/** Every kind of channel of one symbol, as the live page subscribes to them. */
export const ALL_CHANNELS: readonly ChannelRequest[] = [
  { subscription: 'candles', symbol: SYMBOL, timeframe: '1' },
  { subscription: 'candles', symbol: SYMBOL, timeframe: '5' },
  { subscription: 'trades', symbol: SYMBOL },
  { subscription: 'ticker', symbol: SYMBOL },
  { subscription: 'orderbook', symbol: SYMBOL },
];
const MINUTE_MS = 60_000;

export interface GatewayProcess {
  readonly process: CliProcess;
  /** e.g. http://127.0.0.1:1234/api/v1/live */
  readonly api: string;
  /** e.g. ws://127.0.0.1:1234/api/v1/live/ws */
  readonly ws: string;
}

export interface ProcessStack {
  readonly defer: (cleanup: () => unknown) => void;
  readonly redis: TestRedisServer;
  readonly simulator: CliProcess;
  /** The first worker (the only one unless `workers` was given). */
  readonly worker: CliProcess;
  /** Every worker, `WORKER_ID` worker-1, worker-2, ... in order. */
  readonly workers: readonly CliProcess[];
  readonly gateways: readonly GatewayProcess[];
  /** POST /__simulator/faults with `{action, ...body}`. */
  fault(action: string, body?: Record<string, unknown>): Promise<unknown>;
  /** The tickstream processes that have exited (none should, unless a test kills one). */
  exited(): CliProcess[];
  /** The workers' log lines matching `pattern` (the last 40 of each, prefixed with the worker id), for failure messages. */
  workerLines(pattern: RegExp): string;
}

export interface ProcessStackOptions {
  readonly gateways?: number;
  /** Worker processes (default 1), sharing the symbol through leases: only one streams it. */
  readonly workers?: number;
  readonly workerEnv?: Record<string, string>;
  readonly gatewayEnv?: Record<string, string>;
}

/** simulate (60x market clock: a 1 m candle per second) + workers + gateways on a private Redis. */
export async function startProcessStack(t: TestContext, options: ProcessStackOptions = {}): Promise<ProcessStack> {
  const defer = deferCleanups(t);
  const redis = await TestRedisServer.start();
  defer(() => redis.stop());
  const { process: simulator, wsUrl, restUrl } = await startSimulatorProcess(['--time-scale', '60', '--symbols', SYMBOL]);
  defer(killOnExit(simulator));
  const workers = Array.from({ length: options.workers ?? 1 }, (_, index) =>
    runCli(['worker', '--symbols', SYMBOL, '--timeframes', '1,5'], {
      ...FAST_LINK_ENV,
      LOG_LEVEL: 'info',
      BYBIT_WS_URL: wsUrl,
      BYBIT_REST_URL: restUrl,
      REDIS_URL: redis.url,
      TICKSTREAM_SIMULATED: '1',
      WORKER_ID: `worker-${index + 1}`,
      ...options.workerEnv,
    }),
  );
  for (const worker of workers) defer(killOnExit(worker));
  const gatewayProcesses = Array.from({ length: options.gateways ?? 1 }, () =>
    runCli(['gateway', '--port', '0', '--symbols', SYMBOL, '--timeframes', '1,5'], {
      LOG_LEVEL: 'info',
      REDIS_URL: redis.url,
      HEARTBEAT_INTERVAL_MS: '1000',
      CHANNEL_STALE_MS: FAST_LINK_ENV.CHANNEL_STALE_MS,
      ...options.gatewayEnv,
    }),
  );
  for (const gateway of gatewayProcesses) defer(killOnExit(gateway));
  const gateways = await Promise.all(
    gatewayProcesses.map(async (process) => {
      const base = (await process.waitForOutput(/tickstream gateway listening on (http:\/\/\S+?)\/api\/v1\/live/, 20_000))[1]!;
      return { process, api: `${base}/api/v1/live`, ws: `${base.replace('http', 'ws')}/api/v1/live/ws` };
    }),
  );
  // Only the lease holder subscribes the symbol upstream: whichever worker that is.
  const subscribed = /"topic":"orderbook\.50\.BTCUSDT".*subscription active/;
  await waitFor('a worker has the symbol subscribed upstream', () => workers.some((worker) => subscribed.test(worker.output())), 20_000).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${workers.map((worker, index) => `worker-${index + 1}:\n${worker.output().slice(-2000)}`).join('\n')}`);
  });
  const all = [simulator, ...workers, ...gatewayProcesses];
  return {
    defer,
    redis,
    simulator,
    worker: workers[0]!,
    workers,
    gateways,
    async fault(action, body = {}) {
      const response = await fetch(`${restUrl}/__simulator/faults`, { method: 'POST', body: JSON.stringify({ action, ...body }), signal: AbortSignal.timeout(5_000) });
      assert.equal(response.status, 200, `fault ${action}: HTTP ${response.status}`);
      return response.json();
    },
    exited: () => all.filter((process) => process.child.exitCode !== null || process.child.signalCode !== null),
    workerLines: (pattern) =>
      workers
        .flatMap((worker, index) =>
          worker
            .output()
            .split('\n')
            .filter((line) => pattern.test(line))
            .slice(-40)
            .map((line) => `${workers.length > 1 ? `[worker-${index + 1}] ` : ''}${line.slice(0, 400)}`),
        )
        .join('\n'),
  };
}

/** GET with a deadline; the body parsed as JSON ({} if it is not). */
export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return { status: response.status, body };
}

/** What the client handed one channel's handlers, in order. */
export interface ChannelLog {
  readonly snapshots: ChannelSnapshot[];
  readonly updates: MarketUpdate[];
  /** Snapshots and updates interleaved, in delivery order. */
  readonly events: ({ kind: 'snapshot'; snapshot: ChannelSnapshot } | { kind: 'update'; update: MarketUpdate })[];
  /** Status messages concerning the channel (its own or the link's), each with how many updates came before it. */
  readonly statuses: { status: StatusMessage; afterUpdates: number }[];
}

/** A GatewayClient (Node's `ws` as the browser WebSocket) subscribed to `channels`, recording all it delivers. */
export class RecordingClient {
  readonly client: GatewayClient;
  readonly logs = new Map<string, ChannelLog>();
  /** Every status message, once (the client hands one message to each channel it concerns). */
  readonly statuses: StatusMessage[] = [];
  readonly states: StateChange[] = [];
  readonly errors: unknown[] = [];

  constructor(options: Omit<GatewayClientOptions, 'WebSocket'>, channels: readonly ChannelRequest[] = ALL_CHANNELS) {
    this.client = new GatewayClient({ reconnectBaseMs: 100, reconnectMaxMs: 400, silenceTimeoutMs: 3_000, ...options, WebSocket: WebSocket as unknown as WebSocketConstructor });
    this.client.onStateChange((change) => this.states.push(change));
    for (const request of channels) {
      const log: ChannelLog = { snapshots: [], updates: [], events: [], statuses: [] };
      this.logs.set(channelOf(request), log);
      this.client.subscribe(request, {
        onSnapshot: (snapshot) => {
          log.snapshots.push(snapshot);
          log.events.push({ kind: 'snapshot', snapshot });
        },
        onUpdate: (update) => {
          log.updates.push(update);
          log.events.push({ kind: 'update', update });
        },
        onStatus: (status) => {
          log.statuses.push({ status, afterUpdates: log.updates.length });
          if (!this.statuses.includes(status)) this.statuses.push(status);
        },
        onError: (error) => this.errors.push(error),
      });
    }
  }

  log(channel: string): ChannelLog {
    const log = this.logs.get(channel);
    if (!log) throw new Error(`not subscribed to ${channel}`);
    return log;
  }

  /** Updates delivered on every channel so far. */
  counts(): Map<string, number> {
    return new Map([...this.logs].map(([channel, log]) => [channel, log.updates.length]));
  }

  /** Waits until every channel got at least `count` more updates than in `since` (default: from the start). */
  async updatesOnEveryChannel(description: string, count: number, timeoutMs: number, since = new Map<string, number>()): Promise<void> {
    const missing = () => [...this.logs].filter(([channel, log]) => log.updates.length < (since.get(channel) ?? 0) + count).map(([channel]) => channel);
    await this.waitFor(`${description} (still waiting on ${missing().join(', ')})`, () => missing().length === 0, timeoutMs);
  }

  /**
   * Waits until every candles channel has had a candle confirmed by a live
   * update, and returns, per channel, the start of the newest one: a point from
   * which the candles held must have no hole (the checks start there: what
   * happened before the test's fault is not its subject).
   */
  async liveConfirmedCandles(timeoutMs: number): Promise<Map<string, number>> {
    const channels = [...this.logs.keys()].filter((channel) => channel.startsWith('candles:'));
    const newest = (channel: string) => Math.max(0, ...this.log(channel).updates.flatMap((u) => (u.subscription === 'candles' && u.candle.confirm && u.source === 'stream' ? [u.candle.timestamp] : [])));
    await this.waitFor('a candle confirmed live on every candles channel', () => channels.every((channel) => newest(channel) > 0), timeoutMs);
    return new Map(channels.map((channel) => [channel, newest(channel)]));
  }

  /** Per channel: snapshots (seq, reset) and the last update seqs; then errors, statuses, states (for failure messages). */
  describe(): string {
    const lines = [...this.logs].map(([channel, log]) => {
      const snapshots = log.snapshots.map((s) => `${s.seq}${s.reset ? 'R' : ''}`).join(',');
      return `${channel}: snapshots [${snapshots}], ${log.updates.length} updates, last seqs ${log.updates.slice(-3).map((u) => u.seq).join(',')}`;
    });
    lines.push(`errors: ${JSON.stringify(this.errors)}`, `statuses: ${JSON.stringify(this.statuses.map((s) => [s.state, s.channels, s.reason]))}`);
    lines.push(`states: ${JSON.stringify(this.states.map((s) => [s.state, s.url]))}`);
    return lines.join('\n');
  }

  /** waitFor, with what the client holds in the failure message. */
  async waitFor(description: string, condition: () => boolean, timeoutMs: number): Promise<void> {
    try {
      await waitFor(description, condition, timeoutMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${this.describe()}`);
    }
  }

  close(): void {
    this.client.close();
  }
}

/** Start times of the confirmed candles a client holds for one channel: from snapshots (confirmed ones) and updates. */
export function confirmedCandleStarts(log: ChannelLog): number[] {
  const starts = new Set<number>();
  for (const event of log.events) {
    const candles = event.kind === 'snapshot' ? ((event.snapshot.candles as CandleData[] | undefined) ?? []) : event.update.subscription === 'candles' ? [event.update.candle] : [];
    for (const candle of candles) if (candle.confirm) starts.add(candle.timestamp);
  }
  return [...starts].sort((a, b) => a - b);
}

/** Start times with no gap between `fromMs` and `toMs` (inclusive) for a timeframe of `minutes`. */
export function assertNoCandleHole(channel: string, starts: readonly number[], minutes: number, fromMs: number, toMs: number): void {
  const have = new Set(starts);
  const missing: string[] = [];
  for (let start = fromMs; start <= toMs; start += minutes * MINUTE_MS) if (!have.has(start)) missing.push(new Date(start).toISOString());
  assert.deepEqual(missing, [], `${channel}: confirmed candles missing between ${new Date(fromMs).toISOString()} and ${new Date(toMs).toISOString()}`);
}

/** The start of the newest confirmed candle the client holds on a channel (0: none). */
export function latestConfirmed(client: RecordingClient, channel: string): number {
  return confirmedCandleStarts(client.log(channel)).at(-1) ?? 0;
}

/** No silent hole: after the first snapshot each update is +1 from the one before; a later snapshot only as a reset. */
export function assertNoSilentHole(channel: string, log: ChannelLog): void {
  assert.equal(log.events[0]?.kind, 'snapshot', `${channel}: a snapshot first`);
  let seq = log.snapshots[0]!.seq;
  for (const event of log.events.slice(1)) {
    if (event.kind === 'snapshot') {
      assert.equal(event.snapshot.reset, true, `${channel}: a later snapshot (seq ${event.snapshot.seq}) is marked reset`);
      seq = event.snapshot.seq;
    } else {
      assert.equal(event.update.seq, seq + 1, `${channel}: update seq ${event.update.seq} after ${seq}`);
      seq = event.update.seq;
    }
  }
}

/**
 * Confirmed candle starts per candles channel in `from`, from what the client
 * received (plus, given `api`, the gateway's REST history read now), with no
 * hole from `from` to the newest confirmed candle the client holds.
 */
export async function assertCandlesHeldWithoutHole(client: RecordingClient, api: string | undefined, from: ReadonlyMap<string, number>): Promise<void> {
  for (const [channel, fromMs] of from) {
    const timeframe = channel.split(':')[2]!;
    let restConfirmed: number[] = [];
    if (api !== undefined) {
      const rest = await getJson(`${api}/candles/${SYMBOL}/${timeframe}?limit=200`);
      assert.equal(rest.status, 200, `REST candles ${timeframe}: HTTP ${rest.status}`);
      restConfirmed = (rest.body.candles as CandleData[]).filter((candle) => candle.confirm).map((candle) => candle.timestamp);
    }
    const held = [...new Set([...confirmedCandleStarts(client.log(channel)), ...restConfirmed])].sort((a, b) => a - b);
    try {
      assertNoCandleHole(channel, held, Number(timeframe), fromMs, latestConfirmed(client, channel));
    } catch (error) {
      const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
      const updates = client
        .log(channel)
        .updates.flatMap((update) => (update.subscription === 'candles' ? [`${update.seq}:${hhmm(update.candle.timestamp)}${update.candle.confirm ? 'C' : ''}${update.source === 'stream' ? '' : `(${update.source})`}`] : []))
        .filter((entry, index, all) => entry.endsWith('C') || entry.includes('(') || all[index + 1]?.split(':')[1] !== entry.split(':')[1]);
      throw new Error(`${(error as Error).message}\nupdates received (seq:start, C = confirmed; the last of each start): ${updates.slice(-40).join(' ')}\nREST confirmed: ${restConfirmed.slice(-20).map(hhmm).join(' ')}`);
    }
  }
}

/** Trade ids in delivery order from a trades channel log (snapshots included). */
export function tradeIds(log: ChannelLog): string[] {
  const ids: string[] = [];
  for (const event of log.events) {
    const trades = event.kind === 'snapshot' ? ((event.snapshot.trades as TradeData[] | undefined) ?? []) : event.update.subscription === 'trades' ? event.update.trades : [];
    ids.push(...trades.map((trade) => trade.id));
  }
  return ids;
}
