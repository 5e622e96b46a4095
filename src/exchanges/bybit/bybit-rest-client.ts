/**
 * Bybit v5 public REST: instrument lists (symbol validation before any
 * subscribe), kline backfill after every (re)connect, and recent trades.
 *
 * Pitfalls handled here (docs/bybit-v5-protocol.md §3): `category` is always
 * sent (kline defaults to linear without it, silently answering spot requests
 * with linear candles); kline rows come newest first and include the open
 * candle; instruments-info pages with nextPageCursor (500+ linear symbols);
 * HTTP 403 means geo-block or IP rate limit, which no quick retry fixes.
 * @module
 */
import type { CandleData, Category, Timeframe, TradeData } from '../../schemas/index.js';
import type { ExchangeClock } from './exchange-clock.js';
import type { Logger } from '../../shared/logger.js';
import { sleep } from '../../shared/time.js';
import { restKlineRowToCandle, restTradeToTradeData, timeframeToMs, type BybitRestTradeRow } from './bybit-mappers.js';

export type BybitRestErrorCode = 'BYBIT_REST_NETWORK' | 'BYBIT_REST_HTTP' | 'BYBIT_REST_FORBIDDEN' | 'BYBIT_REST_API';

export class BybitRestError extends Error {
  constructor(
    readonly code: BybitRestErrorCode,
    message: string,
    readonly detail: { status?: number; retCode?: number } = {},
  ) {
    super(message);
    this.name = 'BybitRestError';
  }
}

export interface InstrumentInfo {
  readonly symbol: string;
  readonly status: string;
  readonly baseCoin?: string;
  readonly quoteCoin?: string;
  readonly tickSize?: string;
}

export interface BybitRestClientOptions {
  /** e.g. https://api.bybit.com (no trailing slash). */
  readonly baseUrl: string;
  readonly category: Category;
  readonly timeoutMs?: number;
  /** Attempts for network errors and 5xx (default 3). */
  readonly attempts?: number;
  /** instruments-info page size (default and Bybit maximum 1000). */
  readonly instrumentsPageSize?: number;
  readonly logger?: Logger;
  /** Set from every response's `time` (the exchange's clock). */
  readonly clock?: ExchangeClock;
}

interface Envelope<T> {
  retCode: number;
  retMsg: string;
  result: T;
  /** The exchange's time when it answered, ms. */
  time?: number;
}

/** Kline pages are 1000 rows; a backfill longer than this many pages is cut (and logged). */
const MAX_KLINE_PAGES = 20;
const MAX_INSTRUMENT_PAGES = 50;
/**
 * Requests in flight at once. Every (re)connect backfills every channel; Bybit
 * allows 600 requests per 5 s per IP and answers a burst over that with a
 * 403 and a ban of 10 minutes or more.
 */
const MAX_CONCURRENT_REQUESTS = 4;

export class BybitRestClient {
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly options: BybitRestClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.attempts = options.attempts ?? 3;
  }

  /** Asks the exchange for its time (GET /v5/market/time); the answer sets `options.clock`. */
  async syncClock(): Promise<void> {
    await this.get<unknown>('/v5/market/time', {});
  }

  /** Every instrument of the category, following nextPageCursor. */
  async listInstruments(): Promise<Map<string, InstrumentInfo>> {
    const instruments = new Map<string, InstrumentInfo>();
    let cursor = '';
    for (let page = 0; page < MAX_INSTRUMENT_PAGES; page++) {
      const params: Record<string, string> = { category: this.options.category, limit: String(this.options.instrumentsPageSize ?? 1000) };
      if (cursor) params.cursor = cursor;
      const result = await this.get<{ list: RawInstrument[]; nextPageCursor?: string }>('/v5/market/instruments-info', params);
      for (const raw of result.list ?? []) {
        instruments.set(raw.symbol, {
          symbol: raw.symbol,
          status: raw.status,
          ...(raw.baseCoin ? { baseCoin: raw.baseCoin } : {}),
          ...(raw.quoteCoin ? { quoteCoin: raw.quoteCoin } : {}),
          ...(raw.priceFilter?.tickSize ? { tickSize: raw.priceFilter.tickSize } : {}),
        });
      }
      cursor = result.nextPageCursor ?? '';
      if (!cursor) return instruments;
    }
    this.options.logger?.warn({ pages: MAX_INSTRUMENT_PAGES }, 'instruments-info paging cut short');
    return instruments;
  }

  /**
   * Candles with start in [fromMs, toMs], oldest first. The newest may still be
   * open (confirm=false). Pages backwards from toMs, 1000 rows at a time.
   */
  async fetchCandles(symbol: string, timeframe: Timeframe, fromMs: number, toMs: number, nowMs: number): Promise<CandleData[]> {
    const byStart = new Map<number, CandleData>();
    let end = toMs;
    for (let page = 0; page < MAX_KLINE_PAGES; page++) {
      const result = await this.get<{ list: string[][] }>('/v5/market/kline', {
        category: this.options.category,
        symbol,
        interval: timeframe,
        start: String(fromMs),
        end: String(end),
        limit: '1000',
      });
      const rows = result.list ?? [];
      if (rows.length === 0) break;
      let oldest = Number.POSITIVE_INFINITY;
      for (const row of rows) {
        const start = Number(row[0]);
        const candle = restKlineRowToCandle(row, timeframeToMs(timeframe, start), nowMs);
        if (candle.timestamp >= fromMs && candle.timestamp <= toMs) byStart.set(candle.timestamp, candle);
        oldest = Math.min(oldest, candle.timestamp);
      }
      if (oldest <= fromMs || rows.length < 1000) break;
      end = oldest - 1;
      if (page === MAX_KLINE_PAGES - 1) {
        this.options.logger?.warn({ symbol, timeframe, fromMs }, 'kline backfill cut at the page limit');
      }
    }
    return [...byStart.values()].sort((a, b) => a.timestamp - b.timestamp);
  }

  /** The latest trades (REST has no history paging), oldest first. */
  async fetchRecentTrades(symbol: string, limit?: number): Promise<TradeData[]> {
    const max = this.options.category === 'spot' ? 60 : 1000;
    const result = await this.get<{ list: BybitRestTradeRow[] }>('/v5/market/recent-trade', {
      category: this.options.category,
      symbol,
      limit: String(Math.min(limit ?? max, max)),
    });
    return (result.list ?? []).map(restTradeToTradeData).sort((a, b) => a.timestamp - b.timestamp);
  }

  private async get<T>(path: string, params: Record<string, string>): Promise<T> {
    const url = `${this.options.baseUrl}${path}?${new URLSearchParams(params).toString()}`;
    let lastError: BybitRestError | undefined;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        return await this.getOnce<T>(url);
      } catch (error) {
        if (!(error instanceof BybitRestError)) throw error;
        lastError = error;
        // 403 is a geo-block or an IP ban (back off >= 10 min, per Bybit); an
        // API error (bad symbol, bad param) will not change on retry.
        if (error.code === 'BYBIT_REST_FORBIDDEN' || error.code === 'BYBIT_REST_API') throw error;
        if (attempt < this.attempts) await sleep(250 * 2 ** attempt);
      }
    }
    throw lastError ?? new BybitRestError('BYBIT_REST_NETWORK', `GET ${path} failed`);
  }

  private async getOnce<T>(url: string): Promise<T> {
    if (this.inFlight >= MAX_CONCURRENT_REQUESTS) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.inFlight++;
    try {
      return await this.request<T>(url);
    } finally {
      this.inFlight--;
      this.queue.shift()?.();
    }
  }

  private async request<T>(url: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
    } catch (error) {
      throw new BybitRestError('BYBIT_REST_NETWORK', `GET ${redact(url)}: ${(error as Error).message}`);
    }
    if (response.status === 403) {
      throw new BybitRestError('BYBIT_REST_FORBIDDEN', `GET ${redact(url)}: HTTP 403 (geo-blocked or IP rate limit)`, {
        status: 403,
      });
    }
    if (!response.ok) {
      throw new BybitRestError('BYBIT_REST_HTTP', `GET ${redact(url)}: HTTP ${response.status}`, { status: response.status });
    }
    let body: Envelope<T>;
    try {
      body = (await response.json()) as Envelope<T>;
    } catch {
      throw new BybitRestError('BYBIT_REST_HTTP', `GET ${redact(url)}: response is not JSON`);
    }
    this.options.clock?.observe(body.time);
    if (body.retCode !== 0) {
      throw new BybitRestError('BYBIT_REST_API', `GET ${redact(url)}: retCode ${body.retCode} ${body.retMsg}`, {
        retCode: body.retCode,
      });
    }
    return body.result;
  }
}

interface RawInstrument {
  symbol: string;
  status: string;
  baseCoin?: string;
  quoteCoin?: string;
  priceFilter?: { tickSize?: string };
}

function redact(url: string): string {
  return url.split('?')[0] ?? url;
}

export class UnknownSymbolError extends Error {
  readonly code = 'UNKNOWN_SYMBOL';
  constructor(
    readonly symbols: readonly string[],
    category: Category,
    detail: string,
  ) {
    super(`unknown or not trading on Bybit ${category}: ${symbols.join(', ')} (${detail})`);
    this.name = 'UnknownSymbolError';
  }
}

/** Throws UnknownSymbolError naming every requested symbol that is missing or not Trading. */
export function assertSymbolsTradable(instruments: ReadonlyMap<string, InstrumentInfo>, symbols: readonly string[], category: Category): void {
  const missing = symbols.filter((symbol) => !instruments.has(symbol));
  const halted = symbols.filter((symbol) => {
    const status = instruments.get(symbol)?.status;
    return status !== undefined && status !== 'Trading';
  });
  if (missing.length > 0 || halted.length > 0) {
    const detail = [
      missing.length ? `not listed: ${missing.join(', ')}` : '',
      halted.length ? `not Trading: ${halted.map((s) => `${s}=${instruments.get(s)?.status}`).join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    throw new UnknownSymbolError([...missing, ...halted], category, detail);
  }
}
