/**
 * The candles of one channel, oldest first, one per start time: the single
 * source of truth the chart draws and the test hook reads. Pure data, no DOM,
 * so the merge rules live in one place:
 * - a snapshot replaces everything;
 * - an update replaces the candle with its start time or adds a new one, but
 *   never reopens a confirmed candle (a confirmed candle is final);
 * - older history is only prepended when it overlaps the oldest candle held,
 *   so a prepend can never leave a hole between the two ranges.
 * @module
 */
import type { CandleData } from '../../src/schemas/index.js';

/** What an upsert did, so the chart can pick the cheapest redraw. */
export type UpsertResult = 'replaced-last' | 'appended' | 'replaced-older' | 'inserted-older' | 'ignored';

export class CandleHistory {
  private candles: CandleData[] = [];

  get length(): number {
    return this.candles.length;
  }

  all(): readonly CandleData[] {
    return this.candles;
  }

  first(): CandleData | undefined {
    return this.candles[0];
  }

  last(): CandleData | undefined {
    return this.candles.at(-1);
  }

  /** The candle that starts at `timestamp` (ms), if held. */
  at(timestamp: number): CandleData | undefined {
    const index = this.indexOf(timestamp);
    return index >= 0 ? this.candles[index] : undefined;
  }

  clear(): void {
    this.candles = [];
  }

  /** Replaces everything; input is sorted and de-duplicated defensively (last one per start time wins). */
  replace(candles: readonly CandleData[]): void {
    const byTime = new Map<number, CandleData>();
    for (const candle of candles) byTime.set(candle.timestamp, candle);
    this.candles = [...byTime.values()].sort((a, b) => a.timestamp - b.timestamp);
  }

  upsert(candle: CandleData): UpsertResult {
    const last = this.candles.at(-1);
    if (!last || candle.timestamp > last.timestamp) {
      this.candles.push(candle);
      return 'appended';
    }
    const index = this.indexOf(candle.timestamp);
    if (index >= 0) {
      const held = this.candles[index];
      if (held?.confirm && !candle.confirm) return 'ignored';
      this.candles[index] = candle;
      return index === this.candles.length - 1 ? 'replaced-last' : 'replaced-older';
    }
    this.candles.splice(-index - 1, 0, candle);
    return 'inserted-older';
  }

  /**
   * Adds the candles older than the oldest one held, but only when `older`
   * reaches the oldest held candle (it contains its start time): otherwise the
   * two ranges may not meet and a hole would be drawn as if it were data.
   * Returns how many were added.
   */
  prependOlder(older: readonly CandleData[]): number {
    const oldest = this.candles[0];
    if (!oldest || !older.some((candle) => candle.timestamp === oldest.timestamp)) return 0;
    const byTime = new Map<number, CandleData>();
    for (const candle of older) if (candle.timestamp < oldest.timestamp) byTime.set(candle.timestamp, candle);
    const added = [...byTime.values()].sort((a, b) => a.timestamp - b.timestamp);
    this.candles = [...added, ...this.candles];
    return added.length;
  }

  /** Binary search: the index of `timestamp`, or −(insertion point) − 1 when absent. */
  private indexOf(timestamp: number): number {
    let low = 0;
    let high = this.candles.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const value = this.candles[middle]?.timestamp ?? 0;
      if (value === timestamp) return middle;
      if (value < timestamp) low = middle + 1;
      else high = middle - 1;
    }
    return -low - 1;
  }
}
