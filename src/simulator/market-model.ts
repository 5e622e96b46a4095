/**
 * One simulated market (category, symbol) that agrees with itself: a fair
 * price walks randomly on the virtual clock, takers trade against the order
 * book (and so move it), every fill feeds the candles of all 13 intervals,
 * and the ticker is derived from the same trades and book. Everything the
 * WebSocket streams and REST serve about a market comes from here.
 * @module
 */
import type { Timeframe } from '../schemas/index.js';
import { CandleSeries, type Candle } from './candle-series.js';
import { KLINE_INTERVALS } from './candle-intervals.js';
import { TAKER_ORDERS_PER_SECOND, priceToTicks, type InstrumentSpec } from './instrument-catalog.js';
import { OrderBookModel, type Fill, type TakerSide } from './order-book-model.js';
import { SeededRandom } from './seeded-random.js';
import { DerivativesState } from './derivatives-state.js';

export type TickDirection = 'PlusTick' | 'ZeroPlusTick' | 'MinusTick' | 'ZeroMinusTick';

export interface SimTrade {
  /** UUID on linear, numeric string on spot. */
  readonly id: string;
  readonly timeMs: number;
  /** Taker side. */
  readonly side: TakerSide;
  readonly priceTicks: number;
  readonly qtyUnits: number;
  readonly tickDirection: TickDirection;
  readonly seq: number;
}

/** The fills of one taker order: one publicTrade frame, one T, one seq. */
export interface TradeBatch {
  readonly timeMs: number;
  readonly seq: number;
  readonly trades: readonly SimTrade[];
}

export interface MarketStep {
  readonly batches: readonly TradeBatch[];
  /** Candles that closed during the step (final values), oldest first, per interval. */
  readonly closed: ReadonlyMap<Timeframe, readonly Candle[]>;
  /** Intervals whose open candle changed or was opened during the step. */
  readonly touched: ReadonlySet<Timeframe>;
}

export interface MarketModelOptions {
  readonly spec: InstrumentSpec;
  readonly seed: number;
  readonly startTimeMs: number;
  readonly historyCandles: number;
  readonly maxLiveCandles: number;
}

/** Largest move of the touch in one step, in ticks: keeps deltas bounded at any time scale. */
const MAX_MOVE_TICKS = 200;
/** Taker orders per step at most (a long pause is caught up in one step). */
const MAX_ORDERS_PER_STEP = 30;
const RECENT_TRADES_KEPT = 1000;
/** Per-second pull of the fair price back towards the base price (keeps long demos plausible). */
const REVERSION_PER_SEC = 1e-6;

export class MarketModel {
  readonly spec: InstrumentSpec;
  readonly book: OrderBookModel;
  readonly derivatives: DerivativesState;
  /** Cross sequence: increases with every event of this market, not contiguous. */
  seq: number;
  /** Virtual time of the last step. */
  clockMs: number;
  /** Matching-engine time of the current book state (Bybit `cts`). */
  bookTimeMs: number;
  lastPriceTicks: number;
  tickDirection: TickDirection = 'ZeroPlusTick';

  private readonly rng: SeededRandom;
  private readonly idRng: SeededRandom;
  private readonly series = new Map<Timeframe, CandleSeries>();
  private readonly recent: SimTrade[] = [];
  private readonly baseLog: number;
  private fairLog: number;
  private spotTradeId: bigint;

  constructor(options: MarketModelOptions) {
    const { spec, seed, startTimeMs } = options;
    this.spec = spec;
    this.rng = SeededRandom.derive(seed, spec.category, spec.symbol, 'market');
    this.idRng = SeededRandom.derive(seed, spec.category, spec.symbol, 'trade-ids');
    this.baseLog = Math.log(priceToTicks(spec, spec.basePrice));
    this.fairLog = this.baseLog + 0.02 * this.rng.normal();
    const startTicks = Math.round(Math.exp(this.fairLog));
    this.book = new OrderBookModel(spec, this.rng, startTicks);
    this.lastPriceTicks = this.book.bestBid();
    this.derivatives = new DerivativesState(spec, SeededRandom.derive(seed, spec.category, spec.symbol, 'derivatives'), this.book.midTicks());
    this.seq = 100_000_000_000 + this.rng.int(0, 900_000_000) * 100;
    this.spotTradeId = 2_290_000_000_000_000_000n + BigInt(this.rng.int(0, 99_999_999)) * 1_000n;
    this.clockMs = startTimeMs;
    this.bookTimeMs = startTimeMs;
    for (const interval of KLINE_INTERVALS) {
      this.series.set(
        interval,
        new CandleSeries({
          spec,
          interval,
          seed,
          anchorTimeMs: startTimeMs,
          anchorPriceTicks: this.lastPriceTicks,
          historyCandles: options.historyCandles,
          maxLiveCandles: options.maxLiveCandles,
        }),
      );
    }
  }

  candles(interval: Timeframe): CandleSeries {
    return this.series.get(interval)!;
  }

  /** Most recent trades, newest first. */
  recentTrades(limit: number): SimTrade[] {
    return this.recent.slice(-limit).reverse();
  }

  /** Steps the market to virtual time `nowMs`: trades, book changes, candle closes. */
  advance(nowMs: number): MarketStep {
    const closed = new Map<Timeframe, Candle[]>();
    const touched = new Set<Timeframe>();
    const batches: TradeBatch[] = [];
    if (nowMs <= this.clockMs) return { batches, closed, touched };
    const dtSec = (nowMs - this.clockMs) / 1000;
    const times = this.orderTimes(nowMs, Math.min(MAX_ORDERS_PER_STEP, this.rng.poisson(TAKER_ORDERS_PER_SECOND * dtSec)));

    const target = this.nextFairTicks(dtSec);
    const move = this.book.moveTo(target);
    let timeIndex = 0;
    if (move !== undefined && move.fills.length > 0) {
      batches.push(this.record(times[0] ?? nowMs, move.side, move.fills, closed, touched));
      timeIndex = 1;
    }
    for (; timeIndex < times.length; timeIndex += 1) {
      const side: TakerSide = this.rng.chance(0.5) ? 'Buy' : 'Sell';
      const steps = Math.max(1, Math.round((this.spec.typicalTradeUnits * this.rng.logNormal(1)) / this.spec.qtyStepUnits));
      const fills = this.book.take(side, steps * this.spec.qtyStepUnits, 4);
      if (fills.length > 0) batches.push(this.record(times[timeIndex]!, side, fills, closed, touched));
    }
    this.book.perturb(Math.min(40, 2 + Math.round(dtSec * 4)));
    this.book.replenish();
    this.derivatives.step(this.book.midTicks(), dtSec);

    for (const [interval, series] of this.series) {
      const rolled = series.rollTo(nowMs);
      if (rolled.length > 0) {
        push(closed, interval, rolled);
        touched.add(interval);
      }
    }
    this.seq += this.rng.int(1, 60);
    this.bookTimeMs = Math.max(this.clockMs + 1, nowMs - 1);
    this.clockMs = nowMs;
    return { batches, closed, touched };
  }

  private record(
    timeMs: number,
    side: TakerSide,
    fills: readonly Fill[],
    closed: Map<Timeframe, Candle[]>,
    touched: Set<Timeframe>,
  ): TradeBatch {
    this.seq += this.rng.int(1, 40);
    const trades = fills.map((fill) => {
      const trade: SimTrade = {
        id: this.nextTradeId(),
        timeMs,
        side,
        priceTicks: fill.priceTicks,
        qtyUnits: fill.qtyUnits,
        tickDirection: this.directionFor(fill.priceTicks),
        seq: this.seq,
      };
      this.lastPriceTicks = fill.priceTicks;
      this.tickDirection = trade.tickDirection;
      for (const [interval, series] of this.series) {
        const rolled = series.applyTrade(timeMs, fill.priceTicks, fill.qtyUnits);
        if (rolled.length > 0) push(closed, interval, rolled);
        touched.add(interval);
      }
      return trade;
    });
    this.recent.push(...trades);
    if (this.recent.length > RECENT_TRADES_KEPT * 1.2) this.recent.splice(0, this.recent.length - RECENT_TRADES_KEPT);
    return { timeMs, seq: this.seq, trades };
  }

  private directionFor(priceTicks: number): TickDirection {
    if (priceTicks > this.lastPriceTicks) return 'PlusTick';
    if (priceTicks < this.lastPriceTicks) return 'MinusTick';
    return this.tickDirection === 'PlusTick' || this.tickDirection === 'ZeroPlusTick' ? 'ZeroPlusTick' : 'ZeroMinusTick';
  }

  private nextTradeId(): string {
    if (this.spec.category === 'linear') return this.idRng.uuid();
    this.spotTradeId += 1n;
    return this.spotTradeId.toString();
  }

  /** Sorted order times in (clockMs, nowMs - 2], or nowMs when the step is that short. */
  private orderTimes(nowMs: number, count: number): number[] {
    const first = this.clockMs + 1;
    const last = Math.max(first, nowMs - 2);
    const times: number[] = [];
    for (let index = 0; index < count; index += 1) times.push(Math.min(nowMs, this.rng.int(first, last)));
    return times.sort((a, b) => a - b);
  }

  /** Random walk of the fair price, clamped so the touch moves at most MAX_MOVE_TICKS. */
  private nextFairTicks(dtSec: number): number {
    const sigma = this.spec.volatilityPerSqrtSec * Math.sqrt(dtSec);
    const pull = Math.min(0.5, REVERSION_PER_SEC * dtSec) * (this.fairLog - this.baseLog);
    this.fairLog += sigma * this.rng.normal() - pull;
    const mid = this.book.midTicks();
    const target = Math.min(mid + MAX_MOVE_TICKS, Math.max(mid - MAX_MOVE_TICKS, Math.exp(this.fairLog)));
    this.fairLog = Math.log(Math.max(1, target));
    return target;
  }
}

function push(map: Map<Timeframe, Candle[]>, interval: Timeframe, candles: readonly Candle[]): void {
  const list = map.get(interval);
  if (list === undefined) map.set(interval, [...candles]);
  else list.push(...candles);
}
