/**
 * Routes Bybit data frames to the stream handler of their channel, and runs
 * the reconnect ritual: void the books and tickers, hold live trades, backfill
 * candles and trades from REST so no channel keeps a hole.
 * Frames for topics we did not ask for are ignored; frames that fail the
 * structural check are rejected and counted.
 * @module
 */
import type { MarketBus } from '../bus/market-bus.js';
import { parseDataFrame } from '../exchanges/bybit/bybit-frames.js';
import { BybitRestError, type BybitRestClient } from '../exchanges/bybit/bybit-rest-client.js';
import { klineTopic, orderBookTopic, tickerTopic, tradeTopic } from '../exchanges/bybit/bybit-topics.js';
import type { OrderBookDepth, Timeframe } from '../schemas/index.js';
import { sleep } from '../shared/time.js';
import { BookStream } from './book-stream.js';
import { CandleStream } from './candle-stream.js';
import type { IngestContext } from './ingest-context.js';
import { TickerStream } from './ticker-stream.js';
import { TradeStream } from './trade-stream.js';

export interface MarketIngestOptions {
  readonly timeframes: readonly Timeframe[];
  readonly orderBookDepth: OrderBookDepth;
  readonly candleHistorySize: number;
}

/** A candle hole is worth a few tries: REST may be briefly unreachable right after a reconnect. */
const BACKFILL_ATTEMPTS = 4;

async function withRetries<T>(job: () => Promise<T>, attempts: number, signal: AbortSignal | undefined): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await job();
    } catch (error) {
      // A 403 (geo-block, IP ban) or an API error will not change in seconds.
      const final = error instanceof BybitRestError && (error.code === 'BYBIT_REST_FORBIDDEN' || error.code === 'BYBIT_REST_API');
      if (final || attempt >= attempts || signal?.aborted) throw error;
      await sleep(1_000 * 2 ** (attempt - 1), signal);
      if (signal?.aborted) throw error;
    }
  }
}

type StreamHandler = CandleStream | TradeStream | TickerStream | BookStream;

/** Everything one symbol is streamed with. */
interface SymbolStreams {
  readonly candles: readonly CandleStream[];
  readonly trades: TradeStream;
  readonly ticker: TickerStream;
  readonly book: BookStream;
}

function handlersOf(streams: SymbolStreams): StreamHandler[] {
  return [...streams.candles, streams.trades, streams.ticker, streams.book];
}

export class MarketIngest {
  private readonly bySymbol = new Map<string, SymbolStreams>();
  private readonly byTopic = new Map<string, StreamHandler>();
  /** Epoch ms of the last frame per topic: the staleness watchdog reads it. */
  readonly lastFrameAt = new Map<string, number>();

  constructor(
    private readonly context: IngestContext,
    private readonly options: MarketIngestOptions,
    private readonly resync: (topic: string) => void,
  ) {}

  /**
   * Starts routing a symbol's topics, after seeding its candle and trade
   * streams from what the bus stores (the last owner's candles: a takeover
   * continues the channel instead of starting it over). Call
   * `prepareSymbol` + `backfillSymbol` when a socket is already open.
   */
  async addSymbol(symbol: string, bus: MarketBus): Promise<void> {
    if (this.bySymbol.has(symbol)) return;
    const { timeframes, orderBookDepth, candleHistorySize } = this.options;
    const bookTopic = orderBookTopic(orderBookDepth, symbol);
    const streams: SymbolStreams = {
      candles: timeframes.map((timeframe) => new CandleStream(this.context, symbol, timeframe, candleHistorySize)),
      trades: new TradeStream(this.context, symbol),
      ticker: new TickerStream(this.context, symbol),
      book: new BookStream(this.context, symbol, orderBookDepth, bookTopic, { resync: this.resync }),
    };
    for (const stream of [...streams.candles, streams.trades]) {
      try {
        stream.seed(await bus.readSnapshot(stream.channel));
      } catch (error) {
        this.context.logger.warn({ channel: stream.channel, err: (error as Error).message }, 'could not seed from the bus');
      }
    }
    if (this.bySymbol.has(symbol)) return;
    this.bySymbol.set(symbol, streams);
    streams.candles.forEach((stream, index) => this.byTopic.set(klineTopic(timeframes[index]!, symbol), stream));
    this.byTopic.set(tradeTopic(symbol), streams.trades);
    this.byTopic.set(tickerTopic(symbol), streams.ticker);
    this.byTopic.set(bookTopic, streams.book);
  }

  /** Stops routing a symbol; resolves with the channels it had. */
  removeSymbol(symbol: string): string[] {
    const streams = this.bySymbol.get(symbol);
    if (!streams) return [];
    this.bySymbol.delete(symbol);
    for (const [topic, handler] of this.byTopic) {
      if (handler.symbol !== symbol) continue;
      this.byTopic.delete(topic);
      this.lastFrameAt.delete(topic);
    }
    return handlersOf(streams).map((handler) => handler.channel);
  }

  symbols(): string[] {
    return [...this.bySymbol.keys()];
  }

  channelsOf(symbol: string): string[] {
    const streams = this.bySymbol.get(symbol);
    return streams ? handlersOf(streams).map((handler) => handler.channel) : [];
  }

  topics(): string[] {
    return [...this.byTopic.keys()];
  }

  channelOf(topic: string): string | undefined {
    return this.byTopic.get(topic)?.channel;
  }


  /** A book resync that has produced no snapshot in time (the worker escalates to a reconnect). */
  resyncOverdue(nowMs: number, timeoutMs: number): boolean {
    return [...this.bySymbol.values()].some((streams) => streams.book.resyncOverdue(nowMs, timeoutMs));
  }

  onFrame(topic: string, raw: Record<string, unknown>, receivedAtMs: number): void {
    this.context.counters.framesReceived++;
    const handler = this.byTopic.get(topic);
    if (!handler) {
      this.context.logger.debug({ topic }, 'frame for a topic we did not subscribe');
      return;
    }
    const parsed = parseDataFrame(raw);
    if (!parsed.ok) {
      this.context.publisher.reject('MALFORMED_FRAME', parsed.reason, { topic });
      return;
    }
    this.lastFrameAt.set(topic, receivedAtMs);
    try {
      handler.onFrame(parsed.frame, receivedAtMs);
    } catch (error) {
      // A frame that passed the structural check but broke a handler: never let it take the worker down.
      this.context.publisher.reject('FRAME_PROCESSING_FAILED', (error as Error).message, { topic });
    }
  }

  /** A new socket is open: state tied to the old one is void. */
  onConnectionOpened(generation: number): void {
    for (const symbol of this.bySymbol.keys()) this.prepareSymbol(symbol, generation);
    this.lastFrameAt.clear();
  }

  /**
   * A symbol about to get data on a socket it had none on (a new socket, or a
   * symbol taken over mid-socket): state from before is void, live trades
   * wait for the backfill.
   */
  prepareSymbol(symbol: string, generation: number): void {
    const streams = this.bySymbol.get(symbol);
    if (!streams) return;
    for (const candles of streams.candles) candles.onReconnect();
    streams.book.reset();
    streams.ticker.reset();
    streams.trades.holdLiveTrades(generation);
  }

  /**
   * The bus came back after refusing publishes, possibly empty (a Redis restart
   * without persistence): put back the confirmed candles it no longer has.
   */
  async restoreCandles(bus: MarketBus): Promise<void> {
    for (const stream of this.candleStreams()) {
      try {
        const restored = await bus.restoreCandles(stream.channel, stream.confirmedCandles());
        if (restored > 0) this.context.logger.info({ channel: stream.channel, candles: restored }, 'restored candles the bus had lost');
      } catch (error) {
        this.context.logger.warn({ channel: stream.channel, err: (error as Error).message }, 'candle restore failed');
      }
    }
  }

  /** Candle channels whose hole a failed backfill left open: tried again (the worker calls this on a timer). */
  async repairCandles(rest: BybitRestClient, signal?: AbortSignal): Promise<void> {
    for (const stream of this.candleStreams().filter((candles) => candles.needsRepair())) {
      if (signal?.aborted) return;
      try {
        const count = await stream.backfill(rest);
        this.context.logger.info({ channel: stream.channel, candles: count }, 'candle hole repaired');
      } catch (error) {
        this.context.logger.warn({ channel: stream.channel, err: (error as Error).message }, 'candle repair failed; will retry');
      }
    }
  }

  /** REST backfill of every symbol's candles and trades; failures are logged, live data continues. */
  async backfill(rest: BybitRestClient, generation: number, signal?: AbortSignal): Promise<void> {
    await Promise.all(this.symbols().map((symbol) => this.backfillSymbol(symbol, rest, generation, signal)));
  }

  /** REST backfill of one symbol's candles and trades, then its held live trades go out. */
  async backfillSymbol(symbol: string, rest: BybitRestClient, generation: number, signal?: AbortSignal): Promise<void> {
    const streams = this.bySymbol.get(symbol);
    if (!streams) return;
    const jobs = [
      ...streams.candles.map(async (stream) => {
        const count = await withRetries(() => stream.backfill(rest), BACKFILL_ATTEMPTS, signal);
        this.context.logger.info({ channel: stream.channel, candles: count }, 'candles backfilled');
      }),
      (async () => {
        const count = await streams.trades.backfill(rest, generation);
        if (count > 0) this.context.logger.info({ channel: streams.trades.channel, trades: count }, 'trades backfilled');
      })(),
    ];
    const results = await Promise.allSettled(jobs);
    for (const result of results) {
      if (result.status === 'rejected') {
        this.context.logger.warn({ symbol, err: (result.reason as Error).message }, 'backfill failed');
      }
    }
    streams.trades.releaseHeld(generation);
  }

  private candleStreams(): CandleStream[] {
    return [...this.bySymbol.values()].flatMap((streams) => streams.candles);
  }
}
