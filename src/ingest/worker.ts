/**
 * The ingest worker: one Bybit connection for every symbol and stream,
 * validated and normalized updates onto the bus, upstream health onto the
 * `status` channel, a status line on a timer, and a clean stop.
 * It owns neither the bus nor the process: the CLI creates both.
 * @module
 */
import type { MarketBus } from '../bus/market-bus.js';
import type { WorkerConfig } from '../config/worker-config.js';
import { bybitWsEndpoint } from '../config/worker-config.js';
import { BybitConnection, type BybitConnectionStats } from '../exchanges/bybit/bybit-connection.js';
import { assertSymbolsTradable, BybitRestClient, BybitRestError, UnknownSymbolError } from '../exchanges/bybit/bybit-rest-client.js';
import { Backoff } from '../shared/backoff.js';
import type { Logger } from '../shared/logger.js';
import { sleep } from '../shared/time.js';
import { ChannelPublisher } from './channel-publisher.js';
import { IngestCounters, type IngestCountersSnapshot } from './ingest-counters.js';
import type { IngestContext } from './ingest-context.js';
import { MarketIngest } from './market-ingest.js';
import { StatusReporter } from './status-reporter.js';

export interface WorkerDeps {
  readonly bus: MarketBus;
  readonly logger: Logger;
  /** True when the upstream is the tickstream simulator (announced in status messages). */
  readonly simulated?: boolean;
  /**
   * The exchange's clock, for candle decisions (which REST candle is still
   * open, how far back a cold start reaches). Default Date.now; tests pass a
   * simulator's accelerated clock.
   */
  readonly marketNow?: () => number;
}

export interface WorkerStats extends IngestCountersSnapshot {
  readonly connection: BybitConnectionStats;
  readonly reconnects: number;
  readonly rejectedTopics: Record<string, string>;
  readonly channels: Record<string, { lastMessageAgeMs: number | null }>;
}

/** A book resync that has not produced a snapshot in this long escalates to a reconnect. */
const BOOK_RESYNC_TIMEOUT_MS = 10_000;
const WATCHDOG_INTERVAL_MS = 500;

export class Worker {
  private readonly counters = new IngestCounters();
  private readonly publisher: ChannelPublisher;
  private readonly status: StatusReporter;
  private readonly ingest: MarketIngest;
  private readonly rest: BybitRestClient;
  private readonly connection: BybitConnection;
  private readonly logger: Logger;
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
    this.publisher = new ChannelPublisher(deps.bus, this.counters, this.logger.child({ component: 'publisher' }), () => this.onBusRecovered());
    this.status = new StatusReporter(deps.bus, `bybit:${config.category}`, deps.simulated ?? false, this.logger.child({ component: 'status' }));
    const context: IngestContext = {
      publisher: this.publisher,
      counters: this.counters,
      status: this.status,
      logger: this.logger.child({ component: 'ingest' }),
      now: deps.marketNow ?? Date.now,
    };
    this.rest = new BybitRestClient({ baseUrl: config.bybitRestUrl, category: config.category, logger: this.logger.child({ component: 'rest' }) });
    this.connection = new BybitConnection(
      { url: bybitWsEndpoint(config), timings: config.link, logger: this.logger.child({ component: 'bybit' }) },
      {
        onOpen: () => this.onSocketOpen(),
        onClose: ({ code, reason, reconnectInMs }) => {
          this.backfillController?.abort();
          if (reconnectInMs !== undefined) this.status.link('disconnected', `socket closed (${code}${reason ? ` ${reason}` : ''}); reconnecting in ${reconnectInMs} ms`);
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
      {
        symbols: config.symbols,
        timeframes: config.timeframes,
        orderBookDepth: config.orderBookDepth,
        candleHistorySize: config.limits.candleHistorySize,
      },
      (topic) => this.connection.resync(topic),
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
    await worker.ingest.seedFromBus(deps.bus);
    worker.status.link('connecting');
    worker.connection.setTopics(worker.ingest.topics());
    worker.connection.start();
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
    };
  }

  /** Unsubscribes, closes the exchange socket, announces `stopped`. Idempotent. */
  stop(): Promise<WorkerStats> {
    this.stopped ??= (async () => {
      this.stopController.abort();
      this.backfillController?.abort();
      clearInterval(this.watchdogTimer);
      clearInterval(this.statusTimer);
      clearInterval(this.repairTimer);
      await this.connection.stop();
      this.status.link('stopped', 'worker shutting down');
      await this.status.flush();
      return this.stats();
    })();
    return this.stopped;
  }

  private async validateSymbols(): Promise<void> {
    const backoff = new Backoff({ baseMs: 1_000, maxMs: 30_000, minMs: 500 });
    for (;;) {
      try {
        const instruments = await this.rest.listInstruments();
        assertSymbolsTradable(instruments, this.config.symbols, this.config.category);
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

  private onSocketOpen(): void {
    this.openedAtMs = Date.now();
    this.liveOnThisSocket = false;
    const generation = ++this.generation;
    this.ingest.onConnectionOpened(generation);
    this.backfillController?.abort();
    const controller = new AbortController();
    this.backfillController = controller;
    this.ingest.backfill(this.rest, generation, controller.signal).catch((error: unknown) => {
      this.logger.warn({ err: (error as Error).message }, 'backfill failed');
    });
  }

  private onData(topic: string, frame: Record<string, unknown>, receivedAtMs: number): void {
    if (!this.liveOnThisSocket) {
      this.liveOnThisSocket = true;
      this.status.link('live');
    }
    const channel = this.ingest.channelOf(topic);
    if (channel && this.status.channelState(channel) === 'stale') this.status.channel(channel, 'live');
    this.ingest.onFrame(topic, frame, receivedAtMs);
  }

  /** The bus takes publishes again after an outage; it may have lost everything it stored. */
  private onBusRecovered(): void {
    this.status.reannounce();
    void this.ingest.restoreCandles(this.deps.bus);
  }

  /** Candle holes a failed backfill left open are retried until REST answers. */
  private repairCandleHoles(): void {
    if (this.repairing || this.connection.state !== 'open') return;
    this.repairing = true;
    this.ingest
      .repairCandles(this.rest, this.stopController.signal)
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
    if (this.ingest.books.some((book) => book.resyncOverdue(now, BOOK_RESYNC_TIMEOUT_MS))) {
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
