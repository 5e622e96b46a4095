/**
 * One interval's candles for one market: synthesized history, the live
 * candles built from the model's trades, and the open candle. The WebSocket
 * stream and REST /v5/market/kline both read this one series, which is what
 * makes a REST backfill return exactly the candles the stream sent.
 * @module
 */
import type { Timeframe } from '../schemas/index.js';
import { synthesizeAnchorCandle, synthesizeHistory, type Candle } from './candle-history.js';
import { candleEndMs, nextCandleStartMs } from './candle-intervals.js';
import type { InstrumentSpec } from './instrument-catalog.js';

export type { Candle };

export interface CandleSeriesOptions {
  readonly spec: InstrumentSpec;
  readonly interval: Timeframe;
  readonly seed: number;
  /** Virtual time the live model starts at. */
  readonly anchorTimeMs: number;
  /** The model's start price, in ticks: the anchor candle's close so far. */
  readonly anchorPriceTicks: number;
  /** Closed candles synthesized before the anchor candle. */
  readonly historyCandles: number;
  /** Live candles kept before the oldest are dropped (bounds memory in long demos). */
  readonly maxLiveCandles: number;
}

export class CandleSeries {
  readonly interval: Timeframe;
  /** Oldest first; undefined until someone needs it (it is deterministic, so laziness is invisible). */
  private history: Candle[] | undefined;
  /** Oldest first; the last one is the open candle. */
  private readonly live: Candle[];

  constructor(private readonly options: CandleSeriesOptions) {
    this.interval = options.interval;
    this.live = [
      synthesizeAnchorCandle(options.spec, options.interval, options.seed, options.anchorTimeMs, options.anchorPriceTicks),
    ];
  }

  /** The open candle. */
  get current(): Candle {
    return this.live[this.live.length - 1]!;
  }

  /**
   * Closes every candle whose interval ended at or before `timeMs` (it becomes
   * final) and opens the next one flat at the previous close. Returns the
   * candles closed, oldest first.
   */
  rollTo(timeMs: number): Candle[] {
    const closed: Candle[] = [];
    let current = this.current;
    while (timeMs > current.endMs) {
      current.confirmed = true;
      closed.push(current);
      const startMs = nextCandleStartMs(this.interval, current.startMs);
      current = {
        startMs,
        endMs: candleEndMs(this.interval, startMs),
        open: current.close,
        high: current.close,
        low: current.close,
        close: current.close,
        volumeUnits: 0n,
        turnoverUnits: 0n,
        confirmed: false,
      };
      this.live.push(current);
    }
    if (closed.length > 0) this.trim();
    return closed;
  }

  /** Adds one fill at `timeMs`; returns the candles that closed before it. */
  applyTrade(timeMs: number, priceTicks: number, qtyUnits: number): Candle[] {
    const closed = this.rollTo(timeMs);
    const candle = this.current;
    candle.high = Math.max(candle.high, priceTicks);
    candle.low = Math.min(candle.low, priceTicks);
    candle.close = priceTicks;
    candle.volumeUnits += BigInt(qtyUnits);
    candle.turnoverUnits += BigInt(qtyUnits) * BigInt(priceTicks * this.options.spec.tickUnits);
    return closed;
  }

  /**
   * Candles with `fromMs <= start <= toMs`, newest first, at most `limit`:
   * the REST kline contract (the open candle included).
   */
  query(fromMs: number | undefined, toMs: number, limit: number): Candle[] {
    const all = this.allCandles();
    let index = upperBound(all, toMs) - 1;
    const rows: Candle[] = [];
    while (index >= 0 && rows.length < limit) {
      const candle = all[index]!;
      if (fromMs !== undefined && candle.startMs < fromMs) break;
      rows.push(candle);
      index -= 1;
    }
    return rows;
  }

  /** Candles with start >= fromMs, oldest first (for rolling 24 h statistics). */
  since(fromMs: number): Candle[] {
    const source = this.live[0]!.startMs <= fromMs ? this.live : this.allCandles();
    return source.slice(upperBound(source, fromMs - 1));
  }

  /** The candle containing `timeMs`, if the series reaches back that far. */
  candleAt(timeMs: number): Candle | undefined {
    const all = timeMs >= this.live[0]!.startMs ? this.live : this.allCandles();
    const candle = all[upperBound(all, timeMs) - 1];
    return candle !== undefined && candle.endMs >= timeMs ? candle : undefined;
  }

  private allCandles(): Candle[] {
    if (this.history === undefined) {
      const anchor = this.live[0]!;
      this.history = synthesizeHistory(
        this.options.spec,
        this.interval,
        this.options.seed,
        anchor.startMs,
        anchor.open,
        this.options.historyCandles,
      );
    }
    return this.history.length > 0 ? this.history.concat(this.live) : this.live;
  }

  /** Drops the oldest live candles in chunks; history older than them goes too (no hole is ever created). */
  private trim(): void {
    const excess = this.live.length - this.options.maxLiveCandles;
    if (excess < Math.max(1, Math.floor(this.options.maxLiveCandles / 10))) return;
    this.live.splice(0, excess);
    this.history = [];
  }
}

/** First index whose start is > timeMs (so `upperBound(c, t - 1)` is the first start >= t). */
function upperBound(candles: readonly Candle[], timeMs: number): number {
  let low = 0;
  let high = candles.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (candles[middle]!.startMs <= timeMs) low = middle + 1;
    else high = middle;
  }
  return low;
}
