/**
 * `window.__tickstream`: a read-only view of what the page shows, for the
 * browser tests and for anyone debugging a live screen from the console.
 * Times are epoch milliseconds (candle start), prices the exchange's strings.
 * @module
 */
import type { CandleData } from '../../src/schemas/index.js';

export interface HookCandle {
  readonly time: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly confirm: boolean;
}

export interface TickstreamHook {
  candleCount(): number;
  lastCandle(): HookCandle | undefined;
  /** Start times of every candle held, oldest first. */
  candleTimes(): number[];
  readonly symbol: string;
  readonly timeframe: string;
}

declare global {
  interface Window {
    __tickstream?: TickstreamHook;
  }
}

export interface HookSource {
  candles(): readonly CandleData[];
  symbol(): string;
  timeframe(): string;
}

export function installDebugHook(source: HookSource): void {
  const hook: TickstreamHook = Object.freeze({
    candleCount: () => source.candles().length,
    lastCandle: () => {
      const candle = source.candles().at(-1);
      return candle && { time: candle.timestamp, open: candle.open, high: candle.high, low: candle.low, close: candle.close, confirm: candle.confirm };
    },
    candleTimes: () => source.candles().map((candle) => candle.timestamp),
    get symbol() {
      return source.symbol();
    },
    get timeframe() {
      return source.timeframe();
    },
  });
  Object.defineProperty(window, '__tickstream', { value: hook, writable: false, configurable: false, enumerable: false });
}
