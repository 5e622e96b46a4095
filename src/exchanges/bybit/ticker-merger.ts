/**
 * Keeps the full ticker of one symbol by merging Bybit's sparse deltas onto
 * the last snapshot.
 *
 * Why: linear/inverse `tickers` deltas carry only the fields that changed
 * (absent = unchanged), so forwarding a raw delta would give a browser that
 * joined late a ticker with most fields missing (the ccxt#21451 bug). The
 * merged result is what gets published. An empty string is a value, not
 * "unchanged" (`fundingRate: ""` on dated futures means not applicable), so it
 * overwrites. Values stay the exact strings Bybit sent; only fields named in
 * `TICKER_FIELDS` are kept, so a field Bybit adds tomorrow cannot break the
 * published schema. Spot and option tickers are snapshot-only and pass through
 * the same path.
 * @module
 */
import { TICKER_FIELDS, type TickerData, type TickerStringField } from '../../schemas/index.js';
import type { BybitDataFrame } from './bybit-frames.js';

type TickerFields = Partial<Record<TickerStringField, string>>;

export class TickerMerger {
  private symbol: string | undefined;
  private fields: TickerFields | undefined;

  /**
   * Applies one `tickers.{symbol}` frame and returns the merged full ticker,
   * or undefined when the frame is dropped: a delta before any snapshot, a
   * frame for another symbol than the snapshot's, or data that is not a ticker
   * object. Non-string values are treated as absent.
   */
  apply(frame: BybitDataFrame): TickerData | undefined {
    const data = frame.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
    const symbol = (data as { symbol?: unknown }).symbol;
    if (typeof symbol !== 'string') return undefined;
    const values = data as Record<string, unknown>;

    if (frame.type === 'snapshot') {
      const fields: TickerFields = {};
      copyFields(values, fields);
      this.symbol = symbol;
      this.fields = fields;
    } else {
      if (!this.fields || symbol !== this.symbol) return undefined;
      copyFields(values, this.fields);
    }
    return this.current();
  }

  /** The merged ticker, or undefined before the first snapshot. */
  current(): TickerData | undefined {
    if (this.symbol === undefined || !this.fields) return undefined;
    const ticker: TickerData = { symbol: this.symbol };
    for (const field of TICKER_FIELDS) {
      const value = this.fields[field];
      if (value !== undefined) ticker[field] = value;
    }
    return ticker;
  }

  /** Forget everything (on reconnect): deltas are dropped until the next snapshot. */
  reset(): void {
    this.symbol = undefined;
    this.fields = undefined;
  }
}

function copyFields(source: Record<string, unknown>, target: TickerFields): void {
  for (const field of TICKER_FIELDS) {
    const value = source[field];
    if (typeof value === 'string') target[field] = value;
  }
}
