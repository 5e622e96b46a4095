/**
 * The ingest worker: one Bybit connection for every symbol it holds the lease
 * of, validated and normalized updates onto the bus, upstream health onto the
 * `status` channel, a status line on a timer, and a clean stop.
 * Several workers may run on one bus: each symbol is streamed by exactly one
 * of them (symbol-ownership.ts); a symbol taken over is seeded from the bus
 * and backfilled from REST, so its candles have no hole.
 * It owns neither the bus nor the process: the CLI creates both.
 * @module
 */
import type { MarketBus } from '../bus/market-bus.js';
import type { WorkerConfig } from '../config/worker-config.js';
import { bybitWsEndpoint } from '../config/worker-config.js';
import { BybitConnection, type BybitConnectionStats } from '../exchanges/bybit/bybit-connection.js';
import { ExchangeClock } from '../exchanges/bybit/exchange-clock.js';
import { assertSymbolsTradable, BybitRestClient, BybitRestError, UnknownSymbolError } from '../exchanges/bybit/bybit-rest-client.js';
import { Backoff } from '../shared/backoff.js';
import type { Logger } from '../shared/logger.js';
import { sleep, withinMs } from '../shared/time.js';
import { ChannelPublisher } from './channel-publisher.js';
import { IngestCounters, type IngestCountersSnapshot } from './ingest-counters.js';
import type { IngestContext } from './ingest-context.js';
import { MarketIngest } from './market-ingest.js';
import { SharedInstruments } from './shared-instruments.js';
import { StatusReporter } from './status-reporter.js';
import { SymbolOwnership, type ReleaseReason } from './symbol-ownership.js';

export interface WorkerDeps {
  readonly bus: MarketBus;
  readonly logger: Logger;
  /** True when the upstream is the tickstream simulator (announced in status messages). */
  readonly simulated?: boolean;
  /**
   * The exchange's clock, for candle decisions (which REST candle is still
   * open, how far back a cold start reaches). Default: the exchange's own
   * timestamps (exchange-clock.ts); tests may pass a simulator's clock.
   */
  readonly marketNow?: () => number;
}

export interface WorkerStats extends IngestCountersSnapshot {
  readonly connection: BybitConnectionStats;
  readonly reconnects: number;
  readonly rejectedTopics: Record<string, string>;
  readonly channels: Record<string, { lastMessageAgeMs: number | null }>;
  /** Symbols this worker streams now (leases held). */
  readonly symbols: readonly string[];
}

/** A book resync that has not produced a snapshot in this long escalates to a reconnect. */
const BOOK_RESYNC_TIMEOUT_MS = 10_000;
const WATCHDOG_INTERVAL_MS = 500;
/** Bound on each step of stop() that needs Redis (the CLI gives the whole stop 8 s). */
const STOP_STEP_MS = 1_500;

export class Worker {
  private readonly counters = new IngestCounters();
  /** The exchange's time, from REST answers and frame timestamps: candle decisions follow it, not the local clock. */
  private readonly clock = new ExchangeClock();
  private readonly publisher: ChannelPublisher;
  private readonly status: StatusReporter;
  private readonly ingest: MarketIngest;
  private readonly rest: BybitRestClient;
  private readonly connection: BybitConnection;
  private readonly ownership: SymbolOwnership;
  private readonly upstream: string;
  private readonly logger: Logger;
  /** Trading symbols from instruments-info: what clients may request. */
  private readonly instruments: SharedInstruments;
  private stopping = false;
  private readonly stopController = new AbortController();
  private watchdogTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private backfillController: AbortController | undefined;
  private openedAtMs = 0;
  private generation = 0;
  private repairTimer: NodeJS.Timeout | undefined;
  private repairing = false;
  private liveOnThisSocket = false;
  private stopped: Promise<WorkerStats> | undefined;

  private constructor(
    private readonly config: WorkerConfig,
    private readonly deps: WorkerDeps,
  ) {
    this.logger = deps.logger;
    this.publisher = new ChannelPublisher(
      deps.bus,
      this.counters,
      this.logger.child({ component: 'publisher' }),
      () => this.onBusRecovered(),
      (symbol) => this.ownership.holds(symbol),
    );
    this.upstream = `bybit:${config.category}`;
    this.instruments = new SharedInstruments(deps.bus.coordination, this.upstream, this.logger.child({ component: 'instruments' }));
    this.status = new StatusReporter(
      deps.bus,
      { upstream: this.upstream, worker: config.workerId, simulated: deps.simulated ?? false },
      this.logger.child({ component: 'status' }),
      () => this.ownership.symbols().length > 0,
      () => (this.ownership.hasPeers() ? this.ownership.symbols().flatMap((symbol) => this.ingest.channelsOf(symbol)) : []),
    );
    const context: IngestContext = {
      publisher: this.publisher,
      counters: this.counters,
      status: this.status,
      logger: this.logger.child({ component: 'ingest' }),
      now: deps.marketNow ?? (() => this.clock.now()),
    };
    this.rest = new BybitRestClient({ baseUrl: config.bybitRestUrl, category: config.category, clock: this.clock, logger: this.logger.child({ component: 'rest' }) });
    this.connection = new BybitConnection(
      { url: bybitWsEndpoint(config), timings: config.link, logger: this.logger.child({ component: 'bybit' }) },
      {
        onOpen: () => this.onSocketOpen(),
        onClose: ({ code, reason, reconnectInMs }) => {
          this.backfillController?.abort();
          if (reconnectInMs !== undefined) {
            this.status.link('disconnected', `socket closed (${code}${reason ? ` ${reason}` : ''}); reconnecting in ${reconnectInMs} ms`);
            this.ownership.heartbeatSoon();
          }
        },
        onData: (topic, frame, receivedAtMs) => this.onData(topic, frame, receivedAtMs),
        onMalformed: (raw, reason) => this.publisher.reject('MALFORMED_FRAME', reason, { frame: raw }),
        onTopicActive: (topic) => this.logger.info({ topic, channel: this.ingest.channelOf(topic) }, 'subscription active'),
        onTopicRejected: (topic, reason) => {
          this.counters.reject('TOPIC_REJECTED');
          const channel = this.ingest.channelOf(topic);
          if (channel) this.status.channel(channel, 'stopped', `Bybit rejected ${topic}: ${reason}`);
        },
      },
    );
    this.ingest = new MarketIngest(
      context,
      { timeframes: config.timeframes, orderBookDepth: config.orderBookDepth, candleHistorySize: config.limits.candleHistorySize },
      (topic) => this.connection.resync(topic),
    );
    this.ownership = new SymbolOwnership(
      deps.bus.coordination,
      {
        workerId: config.workerId,
        upstream: this.upstream,
        configuredSymbols: config.symbols,
        leaseTtlMs: config.leaseTtlMs,
        maxSymbols: config.maxSymbols,
        maxDynamicSymbols: config.maxDynamicSymbols,
      },
      {
        acquired: (symbol, detail) => this.onSymbolAcquired(symbol, detail.previousHolder, detail.dynamic),
        released: (symbol, reason) => this.onSymbolReleased(symbol, reason),
        // A standby worker gets no data, so its link never reads "live": say the socket is open instead.
        linkState: () => (this.ownership.symbols().length === 0 && this.connection.state === 'open' ? 'open' : (this.status.linkState() ?? 'connecting')),
        isTradable: (symbol) => this.instruments.has(symbol),
        // Redis up after this worker, or restarted empty: the list gateways check requests against is gone.
        roundDone: () => this.instruments.shareIfLost(),
      },
      this.logger.child({ component: 'leases' }),
    );
  }

  /**
   * Validates the symbols against instruments-info (an unknown symbol rejects
   * with UnknownSymbolError naming it), then connects. REST being unreachable
   * at start is retried with backoff; it is not a reason to exit.
   */
  static async start(config: WorkerConfig, deps: WorkerDeps): Promise<Worker> {
    const worker = new Worker(config, deps);
    await worker.validateSymbols();
    worker.status.link('connecting');
    // Connected even with no symbol leased: a standby worker takes a symbol over on an open socket.
    worker.connection.start();
    await worker.ownership.start();
    worker.instruments.startRefreshing(worker.rest);
    worker.watchdogTimer = setInterval(() => worker.watchdog(), WATCHDOG_INTERVAL_MS);
    worker.statusTimer = setInterval(() => worker.logStatusLine(), config.statusIntervalS * 1000);
    worker.repairTimer = setInterval(() => worker.repairCandleHoles(), config.candleRepairIntervalMs);
    return worker;
  }

  stats(): WorkerStats {
    const now = Date.now();
    const publishTimes = this.publisher.publishTimes();
    const channels: WorkerStats['channels'] = {};
    for (const topic of this.ingest.topics()) {
      const channel = this.ingest.channelOf(topic);
      if (!channel) continue;
      const last = publishTimes.get(channel);
      channels[channel] = { lastMessageAgeMs: last === undefined ? null : now - last };
    }
    const connection = this.connection.stats();
    return {
      ...this.counters.snapshot(),
      connection,
      reconnects: connection.reconnects,
      rejectedTopics: Object.fromEntries(this.connection.rejectedTopics()),
      channels,
      symbols: this.ownership.symbols(),
    };
  }

  /**
   * Stops publishing, unsubscribes, closes the exchange socket, then gives its
   * leases up so another worker takes its symbols over at once. Announces
   * `stopped`: for the whole link when it was the last worker, else for its
   * channels only. Idempotent.
   */
  stop(): Promise<WorkerStats> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.stopController.abort();
      this.backfillController?.abort();
      clearInterval(this.watchdogTimer);
      clearInterval(this.statusTimer);
      clearInterval(this.repairTimer);
      this.instruments.stop();
      await this.connection.stop();
      const stats = this.stats();
      const channels = stats.symbols.flatMap((symbol) => this.ingest.channelsOf(symbol));
      // A hung Redis must not hold the stop past the process's shutdown deadline: each step is bounded.
      const peers = await withinMs(this.ownership.peers(), STOP_STEP_MS, []);
      if (peers.length > 0) {
        if (channels.length > 0) this.status.channels(channels, 'stopped', `worker ${this.config.workerId} shutting down; another worker takes these channels over`);
      } else {
        this.status.link('stopped', 'worker shutting down');
      }
      await withinMs(this.ownership.stop(), STOP_STEP_MS, undefined);
      await withinMs(this.status.flush(), STOP_STEP_MS, undefined);
      return stats;
    })();
    return this.stopped;
  }

  private async validateSymbols(): Promise<void> {
    const backoff = new Backoff({ baseMs: 1_000, maxMs: 30_000, minMs: 500 });
    for (;;) {
      try {
        const instruments = await this.rest.listInstruments();
        assertSymbolsTradable(instruments, this.config.symbols, this.config.category);
        await this.instruments.adopt(instruments);
        this.logger.info({ symbols: this.config.symbols, instruments: instruments.size }, 'symbols validated against instruments-info');
        return;
      } catch (error) {
        if (error instanceof UnknownSymbolError) throw error;
        if (error instanceof BybitRestError && error.code === 'BYBIT_REST_API') throw error;
        const delayMs = error instanceof BybitRestError && error.code === 'BYBIT_REST_FORBIDDEN' ? 600_000 : backoff.next();
        this.logger.warn({ err: (error as Error).message, retryInMs: delayMs }, 'instruments-info unreachable; retrying');
        await sleep(delayMs, this.stopController.signal);
        if (this.stopController.signal.aborted) throw new Error('stopped before the symbols could be validated');
      }
    }
  }

  /** A symbol's lease is ours: seed it from the bus, subscribe it, and backfill it if the socket is already open. */
  private async onSymbolAcquired(symbol: string, previousHolder: string | null, dynamic: boolean): Promise<void> {
    await this.ingest.addSymbol(symbol, this.deps.bus);
    const channels = this.ingest.channelsOf(symbol);
    // Another worker may have continued these channels since this one last published them.
    for (const channel of channels) this.deps.bus.forgetChannel(channel);
    if (previousHolder !== null) {
      this.status.channels(channels, 'connecting', `worker ${previousHolder} stopped streaming ${symbol}; worker ${this.config.workerId} takes it over`);
    } else if (dynamic) {
      this.status.channels(channels, 'connecting', `a client asked for ${symbol}; worker ${this.config.workerId} subscribes it upstream`);
    }
    this.connection.setTopics(this.ingest.topics());
    if (this.connection.state !== 'open' || !this.backfillController) return;
    const generation = this.generation;
    this.ingest.prepareSymbol(symbol, generation);
    const signal = this.backfillController.signal;
    this.syncClock()
      .then(() => this.ingest.backfillSymbol(symbol, this.rest, generation, signal))
      .catch((error: unknown) => {
        this.logger.warn({ symbol, err: (error as Error).message }, 'backfill failed');
      });
  }

  private onSymbolReleased(symbol: string, reason: ReleaseReason): void {
    const channels = this.ingest.removeSymbol(symbol);
    this.connection.setTopics(this.ingest.topics());
    for (const channel of channels) this.deps.bus.forgetChannel(channel);
    this.status.forget(channels);
    if (reason === 'unwanted') this.status.channels(channels, 'stopped', `no client wanted ${symbol} for the linger period; upstream subscription released`);
  }

  private onSocketOpen(): void {
    this.openedAtMs = Date.now();
    this.liveOnThisSocket = false;
    const generation = ++this.generation;
    this.ingest.onConnectionOpened(generation);
    this.backfillController?.abort();
    const controller = new AbortController();
    this.backfillController = controller;
    this.syncClock()
      .then(() => this.ingest.backfill(this.rest, generation, controller.signal))
      .catch((error: unknown) => {
        this.logger.warn({ err: (error as Error).message }, 'backfill failed');
      });
  }

  private onData(topic: string, frame: Record<string, unknown>, receivedAtMs: number): void {
    if (this.stopping) return;
    this.clock.observe(frame.ts, receivedAtMs);
    if (!this.liveOnThisSocket) {
      this.liveOnThisSocket = true;
      this.status.link('live');
      this.ownership.heartbeatSoon();
    }
    const channel = this.ingest.channelOf(topic);
    const channelState = channel ? this.status.channelState(channel) : 'live';
    if (channel && (channelState === 'stale' || channelState === 'connecting')) this.status.channel(channel, 'live');
    this.ingest.onFrame(topic, frame, receivedAtMs);
  }

  /** The bus takes publishes again after an outage; it may have lost everything it stored. */
  private onBusRecovered(): void {
    this.status.reannounce();
    void this.instruments.share();
    void this.ingest.restoreCandles(this.deps.bus);
  }

  /** Reads the exchange's time right before a backfill decides where its window ends (best effort: the last sample else). */
  private async syncClock(): Promise<void> {
    await this.rest.syncClock().catch((error: unknown) => {
      this.logger.debug({ err: (error as Error).message }, 'exchange time unavailable; using the last known offset');
    });
  }

  /** Candle holes a failed backfill left open are retried until REST answers. */
  private repairCandleHoles(): void {
    if (this.repairing || this.connection.state !== 'open') return;
    this.repairing = true;
    this.syncClock()
      .then(() => this.ingest.repairCandles(this.rest, this.stopController.signal))
      .finally(() => (this.repairing = false))
      .catch(() => undefined);
  }

  /** Per-channel staleness (trades excluded: a quiet market is not a broken feed) and stuck book resyncs. */
  private watchdog(): void {
    if (this.connection.state !== 'open') return;
    const now = Date.now();
    for (const topic of this.connection.activeTopics()) {
      const channel = this.ingest.channelOf(topic);
      if (!channel || channel.startsWith('trades:')) continue;
      const last = this.ingest.lastFrameAt.get(topic) ?? this.openedAtMs;
      if (now - last > this.config.channelStaleMs && this.status.channelState(channel) !== 'stale') {
        this.status.channel(channel, 'stale', `no data for ${now - last} ms`);
        if (channel.startsWith('orderbook:')) this.connection.resync(topic);
      }
    }
    if (this.ingest.resyncOverdue(now, BOOK_RESYNC_TIMEOUT_MS)) {
      this.logger.warn('order book resync produced no snapshot in time; reconnecting');
      this.connection.reconnect('resync-failed');
    }
  }

  private logStatusLine(): void {
    const stats = this.stats();
    const ages = Object.entries(stats.channels)
      .map(([channel, { lastMessageAgeMs }]) => `${channel}=${lastMessageAgeMs === null ? '-' : `${(lastMessageAgeMs / 1000).toFixed(1)}s`}`)
      .join(' ');
    this.logger.info(
      {
        received: stats.framesReceived,
        published: stats.published,
        rejected: stats.rejected,
        publishFailures: stats.publishFailures,
        reconnects: stats.reconnects,
        bus: this.deps.bus.connectionState(),
      },
      `status: received ${stats.framesReceived}, published ${stats.published}, rejected ${stats.rejected}, ` +
        `unpublished ${stats.publishFailures}, reconnects ${stats.reconnects}; last message age: ${ages}`,
    );
  }
}
