/**
 * Capped exponential backoff with full jitter (AWS architecture blog,
 * "Exponential Backoff And Jitter"): the delay is uniform in
 * [0, min(cap, base * 2^attempt)], which spreads reconnect storms.
 * @module
 */

export interface BackoffOptions {
  /** First ceiling, ms (default 1000). */
  readonly baseMs: number;
  /** Largest ceiling, ms (default 30000). */
  readonly maxMs: number;
  /** Lower bound for any delay, ms: never hammer the exchange (default 250). */
  readonly minMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 30_000, minMs: 250 };

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call widens the window. */
  next(): number {
    const ceiling = Math.min(this.options.maxMs, this.options.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.max(this.options.minMs, Math.round(this.random() * ceiling));
  }

  /** Call after a healthy period so the next failure starts small again. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
