/**
 * The exchange's clock as seen from here: the latest exchange timestamp (a
 * REST response's `time`, a data frame's `ts`), carried forward by the local
 * clock since it arrived. Candle decisions (where a backfill window ends,
 * which REST candle is still open) use it, so a local clock that runs behind
 * or ahead of Bybit's, or a simulator's accelerated market, cannot end a
 * backfill short of the candles that closed. Before any sample it is the
 * local clock.
 * @module
 */
export class ExchangeClock {
  private exchangeMs: number | undefined;
  private observedAtMs = 0;

  constructor(private readonly localNow: () => number = Date.now) {}

  /** An exchange timestamp, and when (local ms) it arrived. Nonsense values are ignored. */
  observe(exchangeMs: unknown, localMs: number = this.localNow()): void {
    if (typeof exchangeMs !== 'number' || !Number.isSafeInteger(exchangeMs) || exchangeMs <= 0) return;
    this.exchangeMs = exchangeMs;
    this.observedAtMs = localMs;
  }

  now(): number {
    if (this.exchangeMs === undefined) return this.localNow();
    return this.exchangeMs + (this.localNow() - this.observedAtMs);
  }
}
