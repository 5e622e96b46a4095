/**
 * One candles channel (symbol, timeframe): kline frames and REST backfill in,
 * candle updates out. The tracker decides what changed and confirms each
 * candle exactly once; this module validates, publishes, and re-publishes a
 * candle whose publish the bus refused, so an outage of Redis cannot leave a
 * hole in the stored history.
 * @module
 */
import type { ChannelSnapshotData } from '../bus/market-bus.js';
import { candleStartFor, timeframeToMs, toCandleData } from '../exchanges/bybit/bybit-mappers.js';
import type { BybitDataFrame, BybitKlineRow } from '../exchanges/bybit/bybit-frames.js';
import { KlineTracker, type CandleChange } from '../exchanges/bybit/kline-tracker.js';
import type { BybitRestClient } from '../exchanges/bybit/bybit-rest-client.js';
import { candlesChannel, validateCandleData, type CandleData, type CandleUpdate, type Timeframe, type UnsequencedUpdate } from '../schemas/index.js';
import { isoNow } from '../shared/time.js';
import type { IngestContext } from './ingest-context.js';

/** REST serves at most 1000 rows a page; a cold start fills this many candles. */
const MAX_COLD_START_CANDLES = 1000;
/**
 * A REST candle counts as closed only this long after its end: a local clock
 * running ahead of Bybit's must not confirm a candle with partial values (the
 * stream confirms it a moment later instead).
 */
const REST_CONFIRM_MARGIN_MS = 3_000;

export class CandleStream {
  readonly channel: string;
  private readonly tracker: KlineTracker;
  /** Candles whose publish the bus refused, by start: re-sent (latest version) before anything newer. */
  private readonly unpublished = new Map<number, CandleChange>();
  /**
   * Start of the hole to fill from REST, fixed when the socket opens and kept
   * until a backfill succeeds: retries must not start later just because the
   * live stream has confirmed newer candles meanwhile.
   */
  private repairFromMs: number | undefined;

  constructor(
    private readonly context: IngestContext,
    readonly symbol: string,
    readonly timeframe: Timeframe,
    private readonly historySize: number,
  ) {
    this.channel = candlesChannel(symbol, timeframe);
    this.tracker = new KlineTracker(Math.max(historySize, 2));
  }

  onFrame(frame: BybitDataFrame, receivedAtMs: number): void {
    const rows = (frame.data as BybitKlineRow[]).filter((row) => {
      const verdict = validateCandleData(toCandleData(row));
      if (!verdict.ok) this.context.publisher.reject(verdict.code, verdict.reason, { channel: this.channel, start: row.start });
      return verdict.ok;
    });
    if (rows.length === 0) return;
    this.publishChanges(this.tracker.applyStream(rows), 'stream', receivedAtMs, frame.ts);
  }

  /**
   * Seeds from what the bus already stores (a restarted worker continues, not
   * re-publishes). The stored open candle is dropped: the backfill brings its
   * final or current values.
   */
  seed(snapshot: ChannelSnapshotData): void {
    if (snapshot.subscription !== 'candles') return;
    this.tracker.applyBackfill([...snapshot.candles]);
    this.tracker.discardOpen();
  }

  /**
   * A new socket: the open candle's last values may be stale (trades were
   * missed), and the first new frame would confirm it with them. Forget it; the
   * backfill restores it from REST, final if it has closed.
   */
  onReconnect(): void {
    this.tracker.discardOpen();
    this.repairFromMs = Math.min(this.repairFromMs ?? Number.POSITIVE_INFINITY, this.holeStart(this.context.now()));
  }

  /** A hole is still waiting for a successful backfill. */
  needsRepair(): boolean {
    return this.repairFromMs !== undefined;
  }

  private holeStart(nowMs: number): number {
    const lastConfirmed = this.tracker.lastConfirmedStart();
    if (lastConfirmed !== undefined) return lastConfirmed;
    const coldCount = Math.min(this.historySize, MAX_COLD_START_CANDLES);
    return candleStartFor(this.timeframe, nowMs - (coldCount - 1) * timeframeToMs(this.timeframe, nowMs));
  }

  /**
   * Fills the hole since the last confirmed candle before the disconnect (or
   * the last `historySize` candles on a cold start) from REST. The still-open REST candle is only
   * taken when the stream has not delivered that candle yet: the stream's
   * copy is fresher.
   */
  async backfill(rest: BybitRestClient): Promise<number> {
    const nowMs = this.context.now();
    const fromMs = this.repairFromMs ?? this.holeStart(nowMs);
    const candles = await rest.fetchCandles(this.symbol, this.timeframe, fromMs, nowMs, nowMs - REST_CONFIRM_MARGIN_MS);
    this.repairFromMs = undefined;
    const known = new Set(this.tracker.candles().map((candle) => candle.timestamp));
    const usable = candles.filter((candle) => {
      if (!candle.confirm && known.has(candle.timestamp)) return false;
      const verdict = validateCandleData(candle);
      if (!verdict.ok) this.context.publisher.reject(verdict.code, verdict.reason, { channel: this.channel, source: 'backfill' });
      return verdict.ok;
    });
    const changes = this.tracker.applyBackfill(usable);
    this.context.counters.backfilledCandles += changes.length;
    this.publishChanges(changes, 'backfill', nowMs, nowMs);
    return changes.length;
  }

  /** The confirmed candles this stream holds, oldest first (to restore a store that lost them). */
  confirmedCandles(): CandleData[] {
    return this.tracker.candles().filter((candle) => candle.confirm);
  }

  latest(): CandleData | undefined {
    return this.tracker.latest();
  }

  private publishChanges(changes: readonly CandleChange[], source: CandleUpdate['source'], receivedAtMs: number, exchangeTs: number): void {
    if (changes.length === 0) return;
    const retries = this.takeRetries(changes);
    for (const change of [...retries, ...changes]) this.publishOne(change, source, receivedAtMs, exchangeTs);
  }

  /** Refused candles not superseded by `changes`, in their current (tracker) version, oldest first. */
  private takeRetries(changes: readonly CandleChange[]): CandleChange[] {
    if (this.unpublished.size === 0) return [];
    const fresh = new Set(changes.map((change) => change.candle.timestamp));
    const current = new Map(this.tracker.candles().map((candle) => [candle.timestamp, candle]));
    const retries = [...this.unpublished.keys()]
      .filter((start) => !fresh.has(start))
      .sort((a, b) => a - b)
      .flatMap((start) => {
        const candle = current.get(start);
        return candle ? [{ candle, confirmedNow: false }] : [];
      });
    this.unpublished.clear();
    return retries;
  }

  private publishOne(change: CandleChange, source: CandleUpdate['source'], receivedAtMs: number, exchangeTs: number): void {
    const update: UnsequencedUpdate<CandleUpdate> = {
      type: 'update',
      subscription: 'candles',
      channel: this.channel,
      symbol: this.symbol,
      timeframe: this.timeframe,
      candle: change.candle,
      status: change.candle.confirm ? 'confirmed' : 'ongoing',
      source,
      received_at: isoNow(receivedAtMs),
      exchange_ts: exchangeTs,
    };
    void this.context.publisher.publish(update).then((outcome) => {
      if (outcome !== 'bus-unavailable') return;
      this.unpublished.set(change.candle.timestamp, change);
      // Bounded: never more candles than the channel keeps.
      while (this.unpublished.size > this.historySize) {
        const oldest = this.unpublished.keys().next().value as number;
        this.unpublished.delete(oldest);
      }
    });
  }
}
