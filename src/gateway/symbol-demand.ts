/**
 * Client-driven symbols, the gateway's half: a client subscribing to a symbol
 * the gateway is not configured with asks for it on the bus (coordination
 * demand), unless a worker already streams it as one of its configured
 * symbols, after the gateway has checked that the exchange lists it (the
 * instrument list the workers publish) and that fewer than
 * MAX_DYNAMIC_SYMBOLS are requested across the deployment. While any client
 * of this gateway holds a channel of such a symbol the demand is renewed
 * (also right after this gateway's Redis comes back, which may have lost it);
 * once none does, it runs out after the linger and the worker that streams it
 * lets it go.
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
  /** The gateway's own configured symbols: never demanded. */
  readonly configuredSymbols: readonly string[];
}

export type DemandVerdict = 'accepted' | 'unlisted' | 'no-instrument-list' | 'limit' | 'unavailable';

/** How long the list of symbols workers stream as configured ones is reused. */
const STATIC_SYMBOLS_TTL_MS = 1_000;
/** Renewal tries after the bus came back, a second apart: within the worker's grace for absent demand (6 s). */
const REASSERT_ATTEMPTS = 5;
const REASSERT_RETRY_MS = 1_000;

export class SymbolDemand {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly configured: ReadonlySet<string>;
  private staticSymbols: { readonly symbols: ReadonlySet<string>; readonly readAtMs: number } | undefined;

  constructor(
    private readonly coordination: Coordination,
    private readonly options: SymbolDemandOptions,
    /** Symbols with at least one subscriber on this gateway now. */
    private readonly subscribedSymbols: () => ReadonlySet<string>,
    private readonly logger: Logger,
  ) {
    this.configured = new Set(options.configuredSymbols);
  }

  get enabled(): boolean {
    return this.options.maxSymbols > 0;
  }

  get timeframes(): readonly Timeframe[] {
    return this.options.timeframes;
  }

  start(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.refresh(), this.refreshIntervalMs());
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  async request(symbol: string): Promise<DemandVerdict> {
    try {
      if ((await this.streamedAsConfigured()).has(symbol)) return 'accepted';
      const listed = await this.coordination.isInstrument(this.options.upstream, symbol);
      if (listed === undefined) return 'no-instrument-list';
      if (!listed) return 'unlisted';
      const answer = await this.coordination.requestSymbols(this.options.upstream, [symbol], this.demandUntil(), this.options.maxSymbols);
      if (answer.accepted.length === 0) return 'limit';
    } catch {
      return 'unavailable';
    }
    return 'accepted';
  }

  /**
   * Renews the demand for every symbol a client of this gateway holds that no worker streams as configured.
   * False when the bus could not be asked (the next periodic renewal retries).
   */
  async refresh(): Promise<boolean> {
    if (!this.enabled) return true;
    try {
      const streamed = await this.streamedAsConfigured();
      const wanted = [...this.subscribedSymbols()].filter((symbol) => !this.configured.has(symbol) && !streamed.has(symbol));
      if (wanted.length === 0) return true;
      const answer = await this.coordination.requestSymbols(this.options.upstream, wanted, this.demandUntil(), this.options.maxSymbols);
      if (answer.refused.length > 0) this.logger.warn({ symbols: answer.refused }, 'demand for symbols clients hold was refused (MAX_DYNAMIC_SYMBOLS reached meanwhile)');
      return true;
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not renew symbol demand; retrying');
      return false;
    }
  }

  /**
   * After the bus came back (possibly emptied): renew now, and if Redis is not answering yet, every second a
   * few times. The periodic renewal (a third of the linger) is too late: a worker lets an unrequested symbol go
   * after a few seconds' grace.
   */
  async reassert(): Promise<void> {
    for (let attempt = 0; attempt < REASSERT_ATTEMPTS; attempt++) {
      if (this.stopped || (await this.refresh())) return;
      await new Promise((resolve) => setTimeout(resolve, REASSERT_RETRY_MS).unref());
    }
  }

  /** Symbols live workers stream because they are configured with them (cached briefly: asked on every subscribe). */
  private async streamedAsConfigured(): Promise<ReadonlySet<string>> {
    const now = Date.now();
    if (this.staticSymbols && now - this.staticSymbols.readAtMs < STATIC_SYMBOLS_TTL_MS) return this.staticSymbols.symbols;
    const workers = (await this.coordination.listWorkers()).filter((worker) => worker.upstream === this.options.upstream);
    const symbols = new Set(workers.flatMap((worker) => worker.symbols.filter((symbol) => !worker.dynamicSymbols.includes(symbol))));
    this.staticSymbols = { symbols, readAtMs: now };
    return symbols;
  }

  private refreshIntervalMs(): number {
    return Math.max(1_000, Math.floor(this.options.lingerMs / 3));
  }

  /** Demand renewed now lasts past the next refresh by the full linger: a symbol lingers at least that long after its last subscriber. */
  private demandUntil(): number {
    return Date.now() + this.options.lingerMs + this.refreshIntervalMs();
  }
}
