/**
 * The last gate before the bus: validate, publish, count. A message that fails
 * validation is never published; it is counted by code and logged once (one
 * line per rejected message, rate-limited so a broken feed cannot flood the
 * log). A publish the bus refuses (Redis down) is counted and reported to the
 * caller, which decides what must be re-sent once the bus is back.
 * @module
 */
import { BusUnavailableError, type MarketBus, type PublishedUpdate } from '../bus/market-bus.js';
import { validateMarketUpdate, type OrderBookData, type UnsequencedUpdate } from '../schemas/index.js';
import type { Logger } from '../shared/logger.js';
import type { IngestCounters } from './ingest-counters.js';
import type { RejectionCode } from './rejection-codes.js';

const REJECTION_LOG_LINES_PER_MINUTE = 30;

export type PublishOutcome = 'published' | 'rejected' | 'bus-unavailable';

export class ChannelPublisher {
  private logWindowStartMs = 0;
  private logLinesInWindow = 0;
  private suppressedLines = 0;
  private readonly lastPublishedAt = new Map<string, number>();
  private busDown = false;

  /**
   * @param onBusRecovered called once when a publish succeeds after the bus
   *   refused some (e.g. Redis restarted, possibly empty: re-announce status).
   */
  constructor(
    private readonly bus: MarketBus,
    private readonly counters: IngestCounters,
    private readonly logger: Logger,
    private readonly onBusRecovered: () => void = () => undefined,
    /**
     * Whether this worker may publish the symbol now (its lease is confirmed).
     * A refusal looks like a bus outage to the streams, so they recover the
     * same way: books restart from a snapshot, refused candles are re-sent.
     */
    private readonly mayPublish: (symbol: string) => boolean = () => true,
  ) {}

  async publish(update: UnsequencedUpdate, currentBook?: OrderBookData): Promise<PublishOutcome> {
    const verdict = validateMarketUpdate(update);
    if (!verdict.ok) {
      this.reject(verdict.code, verdict.reason, { channel: update.channel });
      return 'rejected';
    }
    if (!this.mayPublish(update.symbol)) {
      this.counters.publishFailures++;
      this.counters.unownedPublishes++;
      // Trades dropped here are not re-sent: the seq they would have had stays a visible hole.
      this.bus.skipSeq(update.channel);
      return 'bus-unavailable';
    }
    let published: PublishedUpdate;
    try {
      published = await this.bus.publish(update, currentBook);
    } catch (error) {
      this.counters.publishFailures++;
      this.busDown = true;
      if (!(error instanceof BusUnavailableError)) {
        this.logger.error({ err: (error as Error).message, channel: update.channel }, 'publish failed');
      }
      return 'bus-unavailable';
    }
    this.counters.published++;
    this.lastPublishedAt.set(update.channel, Date.now());
    if (this.busDown) {
      this.busDown = false;
      this.logger.info('bus accepts publishes again');
      this.onBusRecovered();
    }
    this.logger.trace({ channel: update.channel, seq: published.update.seq }, 'published');
    return 'published';
  }

  /** Counts a rejected input and logs it (rate-limited). */
  reject(code: RejectionCode, reason: string, context: Record<string, unknown>): void {
    this.counters.reject(code);
    const now = Date.now();
    if (now - this.logWindowStartMs >= 60_000) {
      if (this.suppressedLines > 0) this.logger.warn({ suppressed: this.suppressedLines }, 'rejection log lines suppressed');
      this.logWindowStartMs = now;
      this.logLinesInWindow = 0;
      this.suppressedLines = 0;
    }
    if (this.logLinesInWindow++ < REJECTION_LOG_LINES_PER_MINUTE) this.logger.warn({ code, reason, ...context }, 'rejected');
    else this.suppressedLines++;
  }

  /** Epoch ms of each channel's last successful publish. */
  publishTimes(): ReadonlyMap<string, number> {
    return this.lastPublishedAt;
  }
}
