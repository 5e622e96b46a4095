/**
 * The candle state of one (symbol, timeframe): turns Bybit kline frames and
 * REST backfills into candle changes, each candle confirmed exactly once.
 *
 * Why it exists: Bybit pushes the whole candle so far every 1-60 s, never
 * says "closed" reliably (no real `confirm:true` capture is known, the v2
 * testnet sent duplicates), may carry the closing and the new bar in one
 * frame, and after a reconnect the stream resumes without the candles missed
 * meanwhile. Consumers need the opposite: one `ongoing` update per real
 * change and exactly one final `confirmed` candle per start, with holes
 * filled from REST. Rules:
 * - upsert by `start`; an unchanged candle produces no change;
 * - a candle is confirmed on `confirm:true` or when a later start appears
 *   (then with the last values seen), exactly once: any later frame for a
 *   confirmed candle is ignored;
 * - only the newest candle can be open; a frame older than the newest that
 *   the tracker does not hold is ignored (its final values are unknown: the
 *   REST backfill fills such holes);
 * - a frame whose last-trade `timestamp` is older than the one already
 *   applied to the open candle is stale and ignored.
 * @module
 */
import type { CandleData } from '../../schemas/index.js';
import type { BybitKlineRow } from './bybit-frames.js';
import { toCandleData } from './bybit-mappers.js';

export const DEFAULT_CANDLE_CAPACITY = 1000;

/** A candle to publish. `confirmedNow` is true exactly once per start: on the change that makes it final. */
export interface CandleChange {
  readonly candle: CandleData;
  readonly confirmedNow: boolean;
}

interface Slot {
  candle: CandleData;
  /** Last-trade time of the newest stream row applied (stale-frame guard); undefined for REST-only candles. */
  lastTradeMs: number | undefined;
}

function sameCandle(a: CandleData, b: CandleData): boolean {
  return (
    a.timestamp === b.timestamp &&
    a.open === b.open &&
    a.high === b.high &&
    a.low === b.low &&
    a.close === b.close &&
    a.volume === b.volume &&
    a.turnover === b.turnover &&
    a.confirm === b.confirm
  );
}

function change(candle: CandleData, confirmedNow: boolean): CandleChange {
  return { candle: { ...candle }, confirmedNow };
}

export class KlineTracker {
  /** Ascending by start; only the last one may be unconfirmed. */
  private readonly slots: Slot[] = [];

  /** @param capacity candles kept (oldest evicted first), default 1000 */
  constructor(private readonly capacity: number = DEFAULT_CANDLE_CAPACITY) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Applies the `data` rows of one kline frame (all of them, in start order). Returns the changes, oldest first. */
  applyStream(rows: readonly BybitKlineRow[]): CandleChange[] {
    const ordered = rows.length > 1 ? [...rows].sort((a, b) => a.start - b.start) : rows;
    const changes: CandleChange[] = [];
    for (const row of ordered) this.applyRow(row, changes);
    return changes;
  }

  /**
   * Merges REST candles (e.g. `restKlineRowsToCandles`) after a (re)connect:
   * missing candles are added, the open candle takes the REST values (and is
   * confirmed if REST says closed), confirmed candles are left alone. A
   * missing candle older than the newest one is added as confirmed, since a
   * later candle exists. Returns the changes, oldest first.
   */
  applyBackfill(candles: readonly CandleData[]): CandleChange[] {
    const ordered = [...candles].sort((a, b) => a.timestamp - b.timestamp);
    const changes: CandleChange[] = [];
    for (const rest of ordered) {
      const newest = this.slots.at(-1);
      if (!newest || rest.timestamp > newest.candle.timestamp) {
        this.append({ ...rest }, undefined, changes);
        continue;
      }
      const index = this.indexOf(rest.timestamp);
      if (index >= 0) {
        const slot = this.slots[index]!;
        if (slot.candle.confirm) continue;
        if (sameCandle(slot.candle, rest)) continue;
        slot.candle = { ...rest };
        changes.push(change(slot.candle, slot.candle.confirm));
        continue;
      }
      const oldest = this.slots[0]!;
      if (this.slots.length >= this.capacity && rest.timestamp < oldest.candle.timestamp) continue;
      const candle = { ...rest, confirm: true };
      this.slots.splice(-index - 1, 0, { candle, lastTradeMs: undefined });
      this.trim();
      changes.push(change(candle, true));
    }
    return changes;
  }

  /**
   * Forgets the open (unconfirmed) candle and returns it. Call it when the
   * stream was interrupted: its values are not final, and without this the
   * first frame after the reconnect (a later start) would confirm it with
   * stale values. The REST backfill then restores it with final values.
   */
  discardOpen(): CandleData | undefined {
    const newest = this.slots.at(-1);
    if (!newest || newest.candle.confirm) return undefined;
    this.slots.pop();
    return { ...newest.candle };
  }

  /** The newest candle (open or confirmed). */
  latest(): CandleData | undefined {
    const newest = this.slots.at(-1);
    return newest ? { ...newest.candle } : undefined;
  }

  /** All kept candles, oldest first. */
  candles(): CandleData[] {
    return this.slots.map((slot) => ({ ...slot.candle }));
  }

  /** Start of the newest confirmed candle: a backfill after a reconnect needs everything after it. */
  lastConfirmedStart(): number | undefined {
    for (let index = this.slots.length - 1; index >= 0; index--) {
      const slot = this.slots[index]!;
      if (slot.candle.confirm) return slot.candle.timestamp;
    }
    return undefined;
  }

  private applyRow(row: BybitKlineRow, changes: CandleChange[]): void {
    const newest = this.slots.at(-1);
    if (!newest || row.start > newest.candle.timestamp) {
      this.append(toCandleData(row), row.timestamp, changes);
      return;
    }
    const index = this.indexOf(row.start);
    if (index < 0) return;
    const slot = this.slots[index]!;
    if (slot.candle.confirm) return;
    if (slot.lastTradeMs !== undefined && row.timestamp < slot.lastTradeMs) return;
    slot.lastTradeMs = row.timestamp;
    const next = toCandleData(row);
    if (sameCandle(slot.candle, next)) return;
    slot.candle = next;
    changes.push(change(next, next.confirm));
  }

  /** Adds a candle newer than all others, confirming the previous open one first. */
  private append(candle: CandleData, lastTradeMs: number | undefined, changes: CandleChange[]): void {
    const previous = this.slots.at(-1);
    if (previous && !previous.candle.confirm) {
      previous.candle = { ...previous.candle, confirm: true };
      changes.push(change(previous.candle, true));
    }
    this.slots.push({ candle, lastTradeMs });
    this.trim();
    changes.push(change(candle, candle.confirm));
  }

  private trim(): void {
    if (this.slots.length > this.capacity) this.slots.splice(0, this.slots.length - this.capacity);
  }

  /** Index of the slot with this start, or -(insertion point) - 1. */
  private indexOf(startMs: number): number {
    let low = 0;
    let high = this.slots.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const start = this.slots[middle]!.candle.timestamp;
      if (start === startMs) return middle;
      if (start < startMs) low = middle + 1;
      else high = middle - 1;
    }
    return -low - 1;
  }
}
