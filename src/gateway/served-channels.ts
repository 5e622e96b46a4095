/**
 * Which channels this gateway serves: the configured symbols and timeframes,
 * plus every channel the bus has data for (a worker may carry more than the
 * gateway was told). A miss triggers one refresh from the bus, rate-limited,
 * before the client is told the symbol is unknown.
 * @module
 */
import type { MarketBus } from '../bus/market-bus.js';
import { candlesChannel, orderBookChannel, tickerChannel, tradesChannel, type Timeframe } from '../schemas/index.js';

const REFRESH_MIN_INTERVAL_MS = 2_000;

export class ServedChannels {
  private readonly configured = new Set<string>();
  private readonly configuredSymbols: ReadonlySet<string>;
  private known = new Set<string>();
  private lastRefreshMs = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly bus: MarketBus,
    symbols: readonly string[],
    timeframes: readonly Timeframe[],
  ) {
    this.configuredSymbols = new Set(symbols);
    for (const symbol of symbols) {
      for (const timeframe of timeframes) this.configured.add(candlesChannel(symbol, timeframe));
      for (const channel of [tradesChannel(symbol), tickerChannel(symbol), orderBookChannel(symbol)]) this.configured.add(channel);
    }
  }

  /** One of the channels this gateway is configured with (no lookup). */
  isConfigured(channel: string): boolean {
    return this.configured.has(channel);
  }

  isConfiguredSymbol(symbol: string): boolean {
    return this.configuredSymbols.has(symbol);
  }

  async has(channel: string): Promise<boolean> {
    if (this.configured.has(channel) || this.known.has(channel)) return true;
    await this.refresh();
    return this.known.has(channel);
  }

  /** Symbols served (for the "unknown symbol" vs "unknown timeframe" distinction). */
  async hasSymbol(symbol: string): Promise<boolean> {
    const match = (channel: string) => channel.split(':')[1] === symbol;
    if ([...this.configured].some(match) || [...this.known].some(match)) return true;
    await this.refresh();
    return [...this.known].some(match);
  }

  all(): string[] {
    return [...new Set([...this.configured, ...this.known])].sort();
  }

  async refresh(): Promise<void> {
    if (Date.now() - this.lastRefreshMs < REFRESH_MIN_INTERVAL_MS) return this.refreshing;
    this.lastRefreshMs = Date.now();
    this.refreshing = this.bus
      .listChannels()
      .then((channels) => {
        this.known = new Set(channels.map((info) => info.channel));
      })
      .catch(() => undefined);
    return this.refreshing;
  }
}
