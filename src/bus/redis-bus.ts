/**
 * MarketBus over Redis: Pub/Sub for fan-out, plus the state a late joiner
 * needs (candles, trades, ticker, book, history by seq), written in the same
 * MULTI/EXEC as the PUBLISH so a snapshot always names the exact seq it holds.
 * Key layout: see redis-keys.ts and src/bus/README.md.
 *
 * Ordering without a per-channel promise chain: once a channel's counter is
 * seeded (from Redis, on its first publish in this process), the seq is
 * stamped and the MULTI is handed to node-redis synchronously inside
 * `publish()`. node-redis writes one connection's commands in call order, so
 * call order = seq order = Redis order, and publishes pipeline freely. Only
 * the seeding GET is awaited; publishes arriving meanwhile wait in call order.
 *
 * Faults: commands are never queued offline. A publish while Redis is down
 * rejects at once with BusUnavailableError and its seq is consumed, so
 * consumers see a hole (readHistory reports `complete: false`), never a
 * reordering. If Redis lost its data, the in-process counter just continues.
 * @module
 */
import type { CandleData, OrderBookData, StatusMessage, UnsequencedUpdate } from '../schemas/index.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import {
  assertSinceSeq,
  assertSnapshotLimit,
  assertSubscribable,
  dataChannelKind,
  historyAnswer,
  planStateChange,
  stateBytes,
  stampUpdate,
  type ChannelStateChange,
} from './bus-semantics.js';
import {
  BusUnavailableError,
  type BusConnectionState,
  type BusOptions,
  type BusStats,
  type ChannelHistory,
  type ChannelInfo,
  type ChannelSnapshotData,
  type MarketBus,
  type PayloadListener,
  type PublishedUpdate,
  type Unsubscribe,
} from './market-bus.js';
import type { Coordination } from './coordination.js';
import { RedisCoordination } from './redis-coordination.js';
import { RedisStallWatch } from './redis-stall-watch.js';
import { RedisConnection, settleWithin, toBusError, type RedisClient } from './redis-connection.js';
import { execPublish } from './redis-publish-transaction.js';
import { redisKeys, type RedisKeys } from './redis-keys.js';
import { asStrings, parseEach, parseOrNull, parseSeq } from './redis-replies.js';
import { RedisSubscriptions } from './redis-subscriptions.js';

export interface RedisBusOptions extends BusOptions {
  /** redis:// or rediss:// URL. */
  readonly url: string;
  /** Connection events (lost, reconnected) and listener errors; default silent. */
  readonly logger?: Logger;
}

/** Publishes accepted but not yet confirmed by Redis, beyond which publish fails fast (Redis stalled). */
export const MAX_PENDING_PUBLISHES = 10_000;
/** The same bound for everything else waiting on Redis (reads, status publishes). */
export const MAX_PENDING_READS = 10_000;
/**
 * A Redis that accepts the connection but answers nothing (hung, paused,
 * black-holed) is not detected by TCP for minutes: every operation gets this
 * long, then fails with BusUnavailableError and the bus reports itself
 * disconnected until Redis answers again.
 */
export const OPERATION_DEADLINE_MS = 5_000;
/** Bytes of publishes accepted but not yet confirmed, beyond which publish fails fast (books can be large). */
export const MAX_PENDING_PUBLISH_BYTES = 64 * 1024 * 1024;
/** How long close() lets in-flight publishes finish before cutting the connection. */
const CLOSE_DRAIN_WAIT_MS = 1_000;

/**
 * Starts connecting in the background and returns at once; never throws or
 * rejects because Redis is down (see `connectionState()`).
 */
export function createRedisBus(options: RedisBusOptions): MarketBus {
  return new RedisBus(options);
}

interface ChannelCounter {
  /** Last seq stamped; undefined until seeded from Redis. */
  seq: number | undefined;
  /** Publishes waiting for the seed, in call order. */
  waiting: { run(): void; fail(error: BusUnavailableError): void }[] | undefined;
}

class RedisBus implements MarketBus {
  private readonly keys: RedisKeys;
  private readonly logger: Logger;
  private readonly commands: RedisConnection;
  private readonly subscriptions: RedisSubscriptions;
  private readonly counters = new Map<string, ChannelCounter>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly activeChannels = new Set<string>();
  private pending = 0;
  private pendingBytes = 0;
  private pendingReads = 0;
  private readonly stall: RedisStallWatch;
  private published = 0;
  private publishErrors = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  readonly coordination: Coordination;

  constructor(private readonly options: RedisBusOptions) {
    this.keys = redisKeys(options.prefix);
    this.coordination = new RedisCoordination(this.keys, (what, work) => this.withClient(what, work));
    this.logger = options.logger ?? silentLogger();
    this.commands = RedisConnection.open(options.url, 'commands', this.logger);
    this.stall = new RedisStallWatch(this.logger, () => (this.commands.isReady ? this.commands.client.ping() : undefined));
    this.subscriptions = new RedisSubscriptions(
      () => this.commands.duplicate('subscriber'),
      () => this.commands.isReady,
      this.logger,
    );
  }

  // async, but everything up to the `await` (stamping, handing the MULTI over) runs inside the call.
  async publish(update: UnsequencedUpdate, currentBook?: OrderBookData): Promise<PublishedUpdate> {
    const change = planStateChange(update, currentBook);
    let counter = this.counters.get(update.channel);
    if (!counter) this.counters.set(update.channel, (counter = { seq: undefined, waiting: undefined }));
    if (counter.seq !== undefined && !counter.waiting) return await this.send(counter, update, change);
    if (this.closed || this.pending >= MAX_PENDING_PUBLISHES) {
      this.publishErrors++; // not seeded yet: there is no seq to consume
      throw this.refusal();
    }
    return await this.sendAfterSeed(counter, update, change);
  }

  restoreCandles(channel: string, candles: readonly CandleData[]): Promise<number> {
    const confirmed = candles.filter((candle) => candle.confirm);
    const state = this.keys.state(channel);
    return this.withClient('candle restore', async (client) => {
      const present = new Set((await client.zRangeWithScores(state, 0, -1)).map((entry) => entry.score));
      const missing = confirmed.filter((candle) => !present.has(candle.timestamp));
      if (missing.length === 0) return 0;
      // Confirmed candles are final: a concurrent publish of the same candle writes the same member.
      await client
        .multi()
        .zAdd(state, missing.map((candle) => ({ score: candle.timestamp, value: JSON.stringify(candle) })))
        .zRemRangeByRank(state, 0, -(this.options.limits.candleHistorySize + 1))
        .exec();
      return missing.length;
    });
  }

  publishStatus(status: StatusMessage): Promise<void> {
    const payload = JSON.stringify(status);
    return this.withClient('status publish', async (client) => {
      await client.multi().set(this.keys.status(status.upstream), payload).publish(this.keys.statusTopic, payload).exec();
    });
  }

  async subscribe(channel: string, listener: PayloadListener): Promise<Unsubscribe> {
    assertSubscribable(channel);
    if (this.closed) throw this.commands.unavailable();
    return this.subscriptions.subscribe(this.keys.topic(channel), listener);
  }

  async readSnapshot(channel: string, limit?: number): Promise<ChannelSnapshotData> {
    const kind = dataChannelKind(channel);
    assertSnapshotLimit(limit);
    const state = this.keys.state(channel);
    const start = limit === undefined ? 0 : -limit;
    return await this.withClient('snapshot read', async (client) => {
      const multi = client.multi().get(this.keys.seq(channel));
      if (kind === 'candles') multi.zRange(state, start, -1);
      else if (kind === 'trades') multi.lRange(state, start, -1);
      else multi.get(state);
      const [seqReply, data] = (await multi.exec()) as unknown[];
      const seq = parseSeq(seqReply);
      switch (kind) {
        case 'candles':
          return { subscription: 'candles', seq, candles: parseEach(data) };
        case 'trades':
          return { subscription: 'trades', seq, trades: parseEach(data) };
        case 'ticker':
          return { subscription: 'ticker', seq, ticker: parseOrNull(data) };
        case 'orderbook':
          return { subscription: 'orderbook', seq, book: parseOrNull(data) };
      }
    });
  }

  async readHistory(channel: string, sinceSeq: number): Promise<ChannelHistory> {
    dataChannelKind(channel);
    assertSinceSeq(sinceSeq);
    return await this.withClient('history read', async (client) => {
      const [seqReply, payloads] = (await client
        .multi()
        .get(this.keys.seq(channel))
        .zRangeByScore(this.keys.history(channel), `(${sinceSeq}`, '+inf')
        .exec()) as unknown[];
      return historyAnswer(sinceSeq, parseSeq(seqReply), asStrings(payloads));
    });
  }

  readLatestStatus(upstream: string): Promise<StatusMessage | null> {
    return this.withClient('status read', async (client) => parseOrNull<StatusMessage>(await client.get(this.keys.status(upstream))));
  }

  listChannels(): Promise<ChannelInfo[]> {
    return this.withClient('channel list', async (client) => {
      const fields = await client.hGetAll(this.keys.channels);
      return Object.entries(fields)
        .map(([channel, json]) => ({ channel, ...(JSON.parse(json) as Omit<ChannelInfo, 'channel'>) }))
        .sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
    });
  }

  forgetChannel(channel: string): void {
    const counter = this.counters.get(channel);
    // A seed in progress carries on; a seeded counter is dropped so the next publish seeds afresh.
    if (counter && !counter.waiting) this.counters.delete(channel);
  }

  skipSeq(channel: string): void {
    const counter = this.counters.get(channel);
    if (counter?.seq !== undefined && !counter.waiting) counter.seq++;
  }

  connectionState(): BusConnectionState {
    if (this.closed || this.stall.stalled) return 'disconnected';
    return this.commands.state();
  }

  connectionLosses(): number {
    return this.commands.losses;
  }

  stats(): BusStats {
    return { published: this.published, publishErrors: this.publishErrors, activeChannels: this.activeChannels.size };
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.stall.close();
    this.closing = (async () => {
      // Let publishes already handed to Redis finish (bounded: Redis may be stalled).
      await settleWithin(Promise.allSettled([...this.inFlight]), CLOSE_DRAIN_WAIT_MS);
      this.subscriptions.close();
      this.commands.close();
    })();
    return this.closing;
  }

  /** Stamps, serializes and hands the MULTI to node-redis, all synchronously (see the module comment). */
  private send(counter: ChannelCounter, update: UnsequencedUpdate, change: ChannelStateChange): Promise<PublishedUpdate> {
    const seq = (counter.seq ?? 0) + 1;
    counter.seq = seq; // consumed even if the publish fails: a hole, never a reuse
    const published = stampUpdate(update, seq);
    const bytes = published.payload.length + stateBytes(change);
    const refused =
      this.closed ||
      !this.commands.isReady ||
      this.stall.stalled ||
      this.pending >= MAX_PENDING_PUBLISHES ||
      this.pendingBytes + bytes > MAX_PENDING_PUBLISH_BYTES;
    if (refused) {
      this.publishErrors++;
      return Promise.reject(this.refusal());
    }
    const exec = execPublish(this.commands.client, this.keys, this.options.limits, { channel: update.channel, seq, payload: published.payload, change });
    this.pending++;
    this.pendingBytes += bytes;
    const confirmed = exec.then(() => {
      this.published++;
      this.activeChannels.add(update.channel);
      return published;
    });
    const done = this.withDeadline(confirmed, `publish on ${update.channel}`).catch((error: unknown) => {
      this.publishErrors++;
      throw toBusError(error, `publish on ${update.channel}`);
    });
    this.inFlight.add(done);
    // The backlog is what Redis still holds for us, so it shrinks when Redis answers, not at the deadline.
    const forget = () => {
      this.pending--;
      this.pendingBytes -= bytes;
      this.inFlight.delete(done);
    };
    confirmed.then(forget, forget);
    done.catch(() => undefined);
    return done;
  }

  private sendAfterSeed(counter: ChannelCounter, update: UnsequencedUpdate, change: ChannelStateChange): Promise<PublishedUpdate> {
    return new Promise((resolve, reject) => {
      this.pending++;
      const waiter = {
        run: () => {
          this.pending--;
          this.send(counter, update, change).then(resolve, reject);
        },
        fail: (error: BusUnavailableError) => {
          this.pending--;
          this.publishErrors++;
          reject(error);
        },
      };
      if (counter.waiting) counter.waiting.push(waiter);
      else {
        counter.waiting = [waiter];
        void this.seed(update.channel, counter);
      }
    });
  }

  /** Reads the channel's last seq from Redis so a restarted worker continues the sequence. */
  private async seed(channel: string, counter: ChannelCounter): Promise<void> {
    let failure: BusUnavailableError | undefined;
    try {
      const client = await this.commands.whenUsable();
      counter.seq = parseSeq(await client.get(this.keys.seq(channel)));
    } catch (error) {
      failure = toBusError(error, `seq read for ${channel}`);
    }
    if (this.closed) failure = this.commands.unavailable();
    const waiting = counter.waiting ?? [];
    counter.waiting = undefined;
    if (failure) {
      // Nothing was stamped, so no seq is lost; the next publish seeds again.
      counter.seq = undefined;
      for (const waiter of waiting) waiter.fail(failure);
    } else {
      for (const waiter of waiting) waiter.run();
    }
  }

  /** Rejects when Redis has not answered within OPERATION_DEADLINE_MS (the operation itself carries on). */
  private withDeadline<T>(operation: Promise<T>, what: string): Promise<T> {
    // Any reply, even a late one, proves Redis answers again.
    operation.then(
      () => this.stall.clear(),
      () => undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.stall.mark(what, OPERATION_DEADLINE_MS);
        reject(new BusUnavailableError(`${what}: no reply from Redis within ${OPERATION_DEADLINE_MS} ms`));
      }, OPERATION_DEADLINE_MS);
      timer.unref();
    });
    return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
  }

  private refusal(): BusUnavailableError {
    if (this.closed || !this.commands.isReady) return this.commands.unavailable();
    if (this.stall.stalled) return new BusUnavailableError('redis is not answering');
    return new BusUnavailableError(`redis is not keeping up: ${this.pending} publishes (${this.pendingBytes} bytes) pending`);
  }

  /** Runs a command once the connection is usable; any transport failure becomes BusUnavailableError. */
  private async withClient<T>(what: string, work: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.closed) throw this.commands.unavailable();
    if (this.pendingReads >= MAX_PENDING_READS) throw new BusUnavailableError(`redis is not keeping up: ${MAX_PENDING_READS} reads pending`);
    this.pendingReads++;
    try {
      return await this.withDeadline(this.commands.whenUsable().then(work), what);
    } catch (error) {
      throw toBusError(error, what);
    } finally {
      this.pendingReads--;
    }
  }
}
