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
  readonly symbols: readonly string[];
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

export class MarketIngest {
  private readonly byTopic = new Map<string, StreamHandler>();
  readonly candles: CandleStream[] = [];
  readonly trades: TradeStream[] = [];
  readonly tickers: TickerStream[] = [];
  readonly books: BookStream[] = [];
  /** Epoch ms of the last frame per topic: the staleness watchdog reads it. */
  readonly lastFrameAt = new Map<string, number>();

  constructor(
    private readonly context: IngestContext,
    options: MarketIngestOptions,
    resync: (topic: string) => void,
  ) {
    for (const symbol of options.symbols) {
      for (const timeframe of options.timeframes) {
        const stream = new CandleStream(context, symbol, timeframe, options.candleHistorySize);
        this.candles.push(stream);
        this.byTopic.set(klineTopic(timeframe, symbol), stream);
      }
      const trades = new TradeStream(context, symbol);
      this.trades.push(trades);
      this.byTopic.set(tradeTopic(symbol), trades);
      const ticker = new TickerStream(context, symbol);
      this.tickers.push(ticker);
      this.byTopic.set(tickerTopic(symbol), ticker);
      const bookTopic = orderBookTopic(options.orderBookDepth, symbol);
      const book = new BookStream(context, symbol, options.orderBookDepth, bookTopic, { resync });
      this.books.push(book);
      this.byTopic.set(bookTopic, book);
    }
  }

  topics(): string[] {
    return [...this.byTopic.keys()];
  }

  channelOf(topic: string): string | undefined {
    return this.byTopic.get(topic)?.channel;
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
    for (const candles of this.candles) candles.onReconnect();
    for (const book of this.books) book.reset();
    for (const ticker of this.tickers) ticker.reset();
    for (const trades of this.trades) trades.holdLiveTrades(generation);
    this.lastFrameAt.clear();
  }

  /**
   * The bus came back after refusing publishes, possibly empty (a Redis restart
   * without persistence): put back the confirmed candles it no longer has.
   */
  async restoreCandles(bus: MarketBus): Promise<void> {
    for (const stream of this.candles) {
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
    for (const stream of this.candles.filter((candles) => candles.needsRepair())) {
      if (signal?.aborted) return;
      try {
        const count = await stream.backfill(rest);
        this.context.logger.info({ channel: stream.channel, candles: count }, 'candle hole repaired');
      } catch (error) {
        this.context.logger.warn({ channel: stream.channel, err: (error as Error).message }, 'candle repair failed; will retry');
      }
    }
  }

  /** Seeds candle trackers and trade de-duplication from what the bus stores (best effort). */
  async seedFromBus(bus: MarketBus): Promise<void> {
    for (const stream of [...this.candles, ...this.trades]) {
      try {
        stream.seed(await bus.readSnapshot(stream.channel));
      } catch (error) {
        this.context.logger.warn({ channel: stream.channel, err: (error as Error).message }, 'could not seed from the bus');
      }
    }
  }

  /** REST backfill of every candles and trades channel; failures are logged, live data continues. */
  async backfill(rest: BybitRestClient, generation: number, signal?: AbortSignal): Promise<void> {
    const jobs = [
      ...this.candles.map(async (stream) => {
        const count = await withRetries(() => stream.backfill(rest), BACKFILL_ATTEMPTS, signal);
        this.context.logger.info({ channel: stream.channel, candles: count }, 'candles backfilled');
      }),
      ...this.trades.map(async (stream) => {
        const count = await stream.backfill(rest, generation);
        if (count > 0) this.context.logger.info({ channel: stream.channel, trades: count }, 'trades backfilled');
      }),
    ];
    const results = await Promise.allSettled(jobs);
    for (const result of results) {
      if (result.status === 'rejected') {
        this.context.logger.warn({ err: (result.reason as Error).message }, 'backfill failed');
      }
    }
    for (const stream of this.trades) stream.releaseHeld(generation);
  }
}
