/**
 * The fan-out between the market models and the client sessions. Each tick it
 * steps every model on the virtual clock, then turns the step into frames for
 * the topics someone follows: trades, klines (the closing candle with
 * `confirm:true`, then the new one), ticker snapshot/deltas and order-book
 * deltas. A subscriber first gets its snapshot (book, ticker, current
 * candle), and only then the shared deltas. During a data stall the models
 * keep running (REST stays live) but nothing is sent; snapshots owed to new
 * subscribers wait for the stall to end.
 * @module
 */
import type { Category, OrderBookDepth } from '../schemas/index.js';
import { BookTopicPublisher } from './book-topic-publisher.js';
import { KLINE_INTERVALS } from './candle-intervals.js';
import type { FaultState } from './fault-state.js';
import { instrumentSpec } from './instrument-catalog.js';
import { MarketModel } from './market-model.js';
import { SeededRandom } from './seeded-random.js';
import { linearTickerFields, spotTickerFields, type TickerFields } from './ticker-fields.js';
import { TickerTopicPublisher } from './ticker-topic-publisher.js';
import { bookTopic, klineTopic, parseTopic, tickerTopic, tradeTopic } from './topic-parser.js';
import type { VirtualClock } from './virtual-clock.js';
import { bookFrame, klineFrame, tickerFrame, tradeFrame } from './wire-frames.js';
import type { WsSession } from './ws-session.js';

export interface MarketFeedOptions {
  readonly symbols: Readonly<Record<Category, readonly string[]>>;
  readonly seed: number;
  readonly startTimeMs: number;
  readonly historyCandles: number;
  readonly maxLiveCandles: number;
  /** False when a replay file replaces the model's frames (REST still serves the model). */
  readonly modelFrames: boolean;
  /** `category|symbol` of markets that only the replay file streams (their model feeds REST only). */
  readonly replayOnly?: ReadonlySet<string>;
}

/** Subscribers of one topic; false until the session got its snapshot. */
type Followers = Map<WsSession, boolean>;

const key = (category: Category, name: string): string => `${category}|${name}`;

export class MarketFeed {
  private readonly models = new Map<string, MarketModel>();
  private readonly followers = new Map<string, Followers>();
  private readonly books = new Map<string, BookTopicPublisher>();
  private readonly tickers = new Map<string, TickerTopicPublisher>();
  private readonly seed: number;

  constructor(
    private readonly options: MarketFeedOptions,
    private readonly clock: VirtualClock,
    private readonly faults: FaultState,
  ) {
    this.seed = options.seed;
    for (const category of ['linear', 'spot'] as const) {
      for (const symbol of options.symbols[category]) {
        const spec = instrumentSpec(category, symbol);
        this.models.set(
          key(category, symbol),
          new MarketModel({
            spec,
            seed: options.seed,
            startTimeMs: options.startTimeMs,
            historyCandles: options.historyCandles,
            maxLiveCandles: options.maxLiveCandles,
          }),
        );
      }
    }
  }

  model(category: Category, symbol: string): MarketModel | undefined {
    return this.models.get(key(category, symbol));
  }

  symbols(category: Category): readonly string[] {
    return this.options.symbols[category];
  }

  /** Whether the category serves this topic (channel, depth, interval and an exact, listed symbol). */
  serves(category: Category, topic: string): boolean {
    const parsed = parseTopic(topic);
    return parsed !== undefined && this.models.has(key(category, parsed.symbol));
  }

  subscribe(session: WsSession, topics: readonly string[]): void {
    for (const topic of topics) {
      const followers = this.followers.get(key(session.category, topic)) ?? new Map<WsSession, boolean>();
      this.followers.set(key(session.category, topic), followers);
      followers.set(session, false);
      if (!this.faults.dataStalled) this.sendInitial(session, topic, followers);
    }
  }

  unsubscribe(session: WsSession, topics: readonly string[]): void {
    for (const topic of topics) {
      const followers = this.followers.get(key(session.category, topic));
      if (followers === undefined) continue;
      followers.delete(session);
      if (followers.size === 0) {
        this.followers.delete(key(session.category, topic));
        this.books.get(key(session.category, topic))?.markIdle();
        this.tickers.get(key(session.category, topic))?.markIdle();
      }
    }
  }

  removeSession(session: WsSession): void {
    this.unsubscribe(session, [...session.topics]);
  }

  /** Sessions following a topic (for replayed frames). */
  followersOf(category: Category, topic: string): WsSession[] {
    return [...(this.followers.get(key(category, topic))?.keys() ?? [])];
  }

  /** The book publisher of a topic, created on first use (REST orderbook reads the depth-1000 one). */
  bookPublisher(category: Category, symbol: string, depth: OrderBookDepth): BookTopicPublisher | undefined {
    const model = this.model(category, symbol);
    if (model === undefined) return undefined;
    const topicKey = key(category, bookTopic(depth, symbol));
    let publisher = this.books.get(topicKey);
    if (publisher === undefined) {
      const rng = SeededRandom.derive(this.seed, category, symbol, depth, 'u');
      publisher = new BookTopicPublisher(model.spec, depth, rng.int(1_000_000, 90_000_000));
      this.books.set(topicKey, publisher);
    }
    return publisher;
  }

  /** Existing book publishers for a symbol (all depths; one or both categories). */
  bookPublishersOf(symbol: string, category?: Category): BookTopicPublisher[] {
    const categories = category === undefined ? (['linear', 'spot'] as const) : [category];
    const found: BookTopicPublisher[] = [];
    for (const cat of categories) {
      for (const depth of [1, 50, 200, 1000] as const) {
        const publisher = this.books.get(key(cat, bookTopic(depth, symbol)));
        if (publisher !== undefined) found.push(publisher);
      }
    }
    return found;
  }

  /** A book snapshot for REST: the published window of a topic, refreshed when nobody follows it. */
  restBook(category: Category, symbol: string, depth: OrderBookDepth) {
    const model = this.model(category, symbol);
    const publisher = this.bookPublisher(category, symbol, depth);
    if (model === undefined || publisher === undefined) return undefined;
    const snapshot = publisher.snapshot(model.book, model.seq, Date.now());
    if (!this.followers.has(key(category, bookTopic(depth, symbol)))) publisher.markIdle();
    return { snapshot, model };
  }

  tick(): void {
    const nowMs = this.clock.now();
    const realNowMs = Date.now();
    for (const model of this.models.values()) {
      const step = this.clock.paused ? undefined : model.advance(nowMs);
      const { category, symbol } = model.spec;
      if (this.faults.dataStalled || !this.streamsModel(category, symbol)) continue;
      if (step !== undefined) {
        const trades = this.ready(category, tradeTopic(symbol));
        if (trades.length > 0) {
          for (const batch of step.batches) broadcast(trades, tradeFrame(model.spec, tradeTopic(symbol), nowMs, batch));
        }
        for (const interval of KLINE_INTERVALS) {
          const sessions = this.ready(category, klineTopic(interval, symbol));
          if (sessions.length === 0) continue;
          for (const candle of step.closed.get(interval) ?? []) broadcast(sessions, klineFrame(model.spec, interval, nowMs, [candle]));
          if (step.touched.has(interval)) broadcast(sessions, klineFrame(model.spec, interval, nowMs, [model.candles(interval).current]));
        }
      }
      for (const depth of [1, 50, 200, 1000] as const) {
        const topic = bookTopic(depth, symbol);
        const sessions = this.ready(category, topic);
        if (sessions.length === 0) continue;
        const update = this.bookPublisher(category, symbol, depth)!.update(model.book, model.seq, realNowMs);
        if (update !== null) broadcast(sessions, bookFrame(category, topic, update.type, nowMs, update.data, model.bookTimeMs));
      }
      const tickerSessions = this.ready(category, tickerTopic(symbol));
      if (tickerSessions.length > 0) {
        const update = this.tickerPublisher(category, symbol).update(() => this.tickerFields(model, nowMs), realNowMs);
        if (update !== null) broadcast(tickerSessions, tickerFrame(category, tickerTopic(symbol), update.type, nowMs, model.seq, update.data));
      }
    }
    if (!this.faults.dataStalled) this.flushPendingSnapshots();
  }

  private flushPendingSnapshots(): void {
    for (const [topicKey, followers] of this.followers) {
      const topic = topicKey.slice(topicKey.indexOf('|') + 1);
      for (const [session, ready] of followers) if (!ready) this.sendInitial(session, topic, followers);
    }
  }

  /** The snapshot a new subscriber gets first (none for trades, which have no state). */
  private sendInitial(session: WsSession, topic: string, followers: Followers): void {
    followers.set(session, true);
    const parsed = parseTopic(topic);
    const model = parsed === undefined ? undefined : this.model(session.category, parsed.symbol);
    if (parsed === undefined || model === undefined || !this.streamsModel(session.category, parsed.symbol)) return;
    const nowMs = this.clock.now();
    const { category } = session;
    switch (parsed.channel) {
      case 'publicTrade':
        return;
      case 'kline':
        session.send(klineFrame(model.spec, parsed.interval, nowMs, [model.candles(parsed.interval).current]));
        return;
      case 'tickers': {
        const update = this.tickerPublisher(category, parsed.symbol).snapshot(() => this.tickerFields(model, nowMs));
        session.send(tickerFrame(category, topic, 'snapshot', nowMs, model.seq, update.data));
        return;
      }
      case 'orderbook': {
        const update = this.bookPublisher(category, parsed.symbol, parsed.depth)!.snapshot(model.book, model.seq, Date.now());
        session.send(bookFrame(category, topic, 'snapshot', nowMs, update.data, model.bookTimeMs));
        return;
      }
    }
  }

  private streamsModel(category: Category, symbol: string): boolean {
    return this.options.modelFrames && this.options.replayOnly?.has(key(category, symbol)) !== true;
  }

  private tickerPublisher(category: Category, symbol: string): TickerTopicPublisher {
    const topicKey = key(category, tickerTopic(symbol));
    let publisher = this.tickers.get(topicKey);
    if (publisher === undefined) {
      publisher = new TickerTopicPublisher(category);
      this.tickers.set(topicKey, publisher);
    }
    return publisher;
  }

  private tickerFields(model: MarketModel, nowMs: number): TickerFields {
    return model.spec.category === 'linear' ? linearTickerFields(model, nowMs) : spotTickerFields(model, nowMs);
  }

  /** Followers that already have their snapshot. */
  private ready(category: Category, topic: string): WsSession[] {
    const followers = this.followers.get(key(category, topic));
    if (followers === undefined) return [];
    const sessions: WsSession[] = [];
    for (const [session, ready] of followers) if (ready) sessions.push(session);
    return sessions;
  }
}

function broadcast(sessions: readonly WsSession[], text: string): void {
  for (const session of sessions) session.send(text);
}
