/**
 * Client-driven symbols, the gateway's half: a client subscribing to a symbol
 * no worker streams asks for it on the bus (coordination demand), after the
 * gateway has checked that the exchange lists it (the instrument list the
 * workers publish) and that fewer than MAX_DYNAMIC_SYMBOLS are requested
 * across the deployment. While any client of this gateway holds a channel of
 * the symbol, the demand is renewed; once none does, it runs out after the
 * linger and the worker that streams it lets it go.
 * @module
 */
import type { Coordination } from '../bus/coordination.js';
import type { Timeframe } from '../schemas/index.js';
import type { Logger } from '../shared/logger.js';

export interface SymbolDemandOptions {
  /** e.g. bybit:linear: whose instrument list and demand set. */
  readonly upstream: string;
  /** Client-requested symbols across the deployment (0: clients may only use configured symbols). */
  readonly maxSymbols: number;
  /** How long a requested symbol stays streamed after its last subscriber leaves. */
  readonly lingerMs: number;
  /** Candle timeframes the workers stream for every symbol. */
  readonly timeframes: readonly Timeframe[];
}

export type DemandVerdict = 'accepted' | 'disabled' | 'unlisted' | 'no-instrument-list' | 'limit' | 'unavailable';

export class SymbolDemand {
  /** Symbols this gateway asked for, still wanted by a client of it at the last refresh. */
  private readonly requested = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly coordination: Coordination,
    private readonly options: SymbolDemandOptions,
    /** Symbols with at least one subscriber on this gateway now. */
    private readonly subscribedSymbols: () => ReadonlySet<string>,
    private readonly logger: Logger,
  ) {}

  get timeframes(): readonly Timeframe[] {
    return this.options.timeframes;
  }

  start(): void {
    if (this.options.maxSymbols === 0) return;
    this.timer = setInterval(() => void this.refresh(), this.refreshIntervalMs());
    this.timer.unref();
  }

  private refreshIntervalMs(): number {
    return Math.max(1_000, Math.floor(this.options.lingerMs / 3));
  }

  /** Demand renewed now lasts past the next refresh by the full linger: a symbol lingers at least that long after its last subscriber. */
  private demandUntil(): number {
    return Date.now() + this.options.lingerMs + this.refreshIntervalMs();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async request(symbol: string): Promise<DemandVerdict> {
    if (this.options.maxSymbols === 0) return 'disabled';
    try {
      const listed = await this.coordination.isInstrument(this.options.upstream, symbol);
      if (listed === undefined) return 'no-instrument-list';
      if (!listed) return 'unlisted';
      const answer = await this.coordination.requestSymbols(this.options.upstream, [symbol], this.demandUntil(), this.options.maxSymbols);
      if (answer.accepted.length === 0) return 'limit';
    } catch {
      return 'unavailable';
    }
    if (!this.requested.has(symbol)) this.logger.info({ symbol, upstream: this.options.upstream }, `client asked for ${symbol}; requested from the workers`);
    this.requested.add(symbol);
    return 'accepted';
  }

  /** Renews the demand for requested symbols that still have subscribers here; the others are left to run out. */
  private async refresh(): Promise<void> {
    const subscribed = this.subscribedSymbols();
    for (const symbol of this.requested) if (!subscribed.has(symbol)) this.requested.delete(symbol);
    if (this.requested.size === 0) return;
    try {
      const answer = await this.coordination.requestSymbols(this.options.upstream, [...this.requested], this.demandUntil(), this.options.maxSymbols);
      if (answer.refused.length > 0) this.logger.warn({ symbols: answer.refused }, 'demand lapsed and its place was taken; symbols no longer requested');
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not renew symbol demand; retrying');
    }
  }
}
