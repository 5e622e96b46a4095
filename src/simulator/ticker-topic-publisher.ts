/**
 * One `tickers.{symbol}` topic as the server publishes it. Linear: a snapshot
 * on subscribe, then deltas holding `symbol` plus only the fields that changed
 * since the last published state. Spot: snapshot-only, pushed when anything
 * changed. Pushes follow Bybit's interval (100 ms linear, 50 ms spot).
 * Subscribers share the published state, so a late subscriber's
 * snapshot is the base the next delta applies to.
 * @module
 */
import type { Category } from '../schemas/index.js';
import type { TickerFields } from './ticker-fields.js';
import type { FrameType } from './wire-frames.js';

export interface TickerUpdate {
  readonly type: FrameType;
  readonly data: TickerFields;
}

/** Bybit pushes derivative tickers every 100 ms and spot tickers every 50 ms. */
export const TICKER_PUSH_INTERVAL_MS: Record<Category, number> = { linear: 100, spot: 50 };
const PUSH_SLACK_MS = 5;

export class TickerTopicPublisher {
  private published: TickerFields = {};
  private idle = true;
  private lastPushCheckRealMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly category: Category) {}

  /** The next frame for followers, or null when nothing changed or no push is due yet. */
  update(current: () => TickerFields, realNowMs: number): TickerUpdate | null {
    this.idle = false;
    if (realNowMs - this.lastPushCheckRealMs < TICKER_PUSH_INTERVAL_MS[this.category] - PUSH_SLACK_MS) return null;
    this.lastPushCheckRealMs = realNowMs;
    const fields = current();
    const changed: TickerFields = {};
    let count = 0;
    for (const [key, value] of Object.entries(fields)) {
      if (this.published[key] !== value) {
        changed[key] = value;
        count += 1;
      }
    }
    if (count === 0) return null;
    this.published = fields;
    if (this.category === 'spot') return { type: 'snapshot', data: fields };
    return { type: 'delta', data: { symbol: fields['symbol'] ?? '', ...changed } };
  }

  /** The published state as a snapshot; `current` is used when nobody was following. */
  snapshot(current: () => TickerFields): TickerUpdate {
    if (this.idle) {
      this.idle = false;
      this.published = current();
    }
    return { type: 'snapshot', data: this.published };
  }

  markIdle(): void {
    this.idle = true;
  }
}
