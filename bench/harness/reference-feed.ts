/**
 * The benchmark's reference feed (bench/harness/PROTOCOL.md): a deterministic,
 * seeded mix of tickstream update messages on every symbol's four channels,
 * published through tickstream's own Redis bus so every server under test
 * reads the same Pub/Sub messages (and tickstream finds its snapshot keys).
 * Each message carries `bench_t`, its scheduled send time (µs, monotonic
 * clock): a late feed shows up as latency instead of hiding it; and
 * `bench_sent`, when it was handed to the bus, for the Redis hops alone.
 *
 *   npx tsx bench/harness/reference-feed.ts REDIS_URL [symbols=100] [seconds=0: until SIGTERM] [seed=1] [rate=1]
 *
 * Rates per symbol: trades Poisson 5/s (BTCUSDT and ETHUSDT 50/s, with a 10x
 * burst for 1 s every 10 s), ticker 1/s, candle 1/s, order book 10/s (deltas
 * of 1-3 levels on a 50-level book), each multiplied by `rate`. 1000 symbols
 * at rate 0.1 are the 100-symbol mix with each symbol split in ten
 * (splitSymbols in bench-common.ts; the ten standing for BTCUSDT and ETHUSDT
 * are hot): more channels, the same load.
 * @module
 */
import { createRedisBus } from '../../src/bus/redis-bus.js';
import { DEFAULT_BUS_LIMITS } from '../../src/bus/market-bus.js';
import type { OrderBookData, PriceLevel, UnsequencedUpdate } from '../../src/schemas/index.js';
import { benchSymbols, inBurst, LatencyHistogram, monotonicMicros, referenceOf } from './bench-common.js';

/** Deterministic PRNG (mulberry32): the same seed gives the same feed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Kind = 'trades' | 'ticker' | 'candles' | 'orderbook';

interface Stream {
  readonly symbol: string;
  readonly kind: Kind;
  /** Next scheduled send, µs on the monotonic clock. */
  nextUs: number;
  /** Mean interval between messages, µs (trades: of the Poisson process outside bursts). */
  readonly meanUs: number;
  /** BTCUSDT/ETHUSDT trades: 10x bursts. */
  readonly hot: boolean;
}

const HOT_TRADES_US = 20_000;


export interface FeedStats {
  published: number;
  failed: number;
  /** How far behind schedule the feed fell at worst, µs (it publishes late, never skips). */
  maxLagUs: number;
  /** The publish call → Redis confirmed its MULTI, µs: the "worker publish" hop. */
  publishHop: LatencyHistogram;
  /** Scheduled send → the publish call, µs: the feed's own lateness (its 1 ms timer, a busy machine). */
  feedLag: LatencyHistogram;
}

/** The line a feed writes on stdout when asked (SIGUSR2): the publish hop since the last such line. */
export interface FeedWindow {
  readonly published: number;
  readonly failed: number;
  readonly publishHop: ReturnType<LatencyHistogram['toJSON']>;
  readonly feedLag: ReturnType<LatencyHistogram['toJSON']>;
}

export async function runFeed(
  redisUrl: string,
  symbolCount: number,
  seconds: number,
  seed: number,
  stop: AbortSignal,
  rate = 1,
  onStats: (stats: FeedStats) => void = () => undefined,
  onEpoch: (epochUs: number) => void = () => undefined,
): Promise<FeedStats> {
  const rand = random(seed);
  const bus = createRedisBus({ url: redisUrl, prefix: '', limits: { ...DEFAULT_BUS_LIMITS, messageHistorySize: 200 } });
  const symbols = benchSymbols(symbolCount);
  const startUs = monotonicMicros() + 500_000;
  onEpoch(startUs);
  const streams: Stream[] = [];
  for (const [index, symbol] of symbols.entries()) {
    // BTCUSDT and ETHUSDT, or on a split feed the symbols standing for them (splitSymbols).
    const hot = referenceOf(index, symbolCount) < 2;
    const kinds: [Kind, number][] = [['trades', hot ? HOT_TRADES_US : 200_000], ['ticker', 1_000_000], ['candles', 1_000_000], ['orderbook', 100_000]];
    for (const [kind, baseUs] of kinds) {
      const meanUs = baseUs / rate;
      streams.push({ symbol, kind, meanUs, hot: hot && kind === 'trades', nextUs: startUs + Math.floor(rand() * meanUs) });
    }
  }
  const books = new Map(symbols.map((symbol, index) => [symbol, initialBook(100 + index)]));
  const stats: FeedStats = { published: 0, failed: 0, maxLagUs: 0, publishHop: new LatencyHistogram(), feedLag: new LatencyHistogram() };
  onStats(stats);
  let tradeId = 0;
  const endUs = seconds > 0 ? startUs + seconds * 1_000_000 : Number.POSITIVE_INFINITY;

  const interval = (stream: Stream): number => {
    if (stream.kind !== 'trades') return stream.meanUs;
    const hot = stream.hot && inBurst(stream.nextUs, startUs);
    const mean = hot ? stream.meanUs / 10 : stream.meanUs;
    return Math.max(1, Math.round(-Math.log(1 - rand()) * mean));
  };

  const publishDue = () => {
    const now = monotonicMicros();
    for (const stream of streams) {
      while (stream.nextUs <= now && stream.nextUs < endUs) {
        stats.maxLagUs = Math.max(stats.maxLagUs, now - stream.nextUs);
        const message = messageFor(stream, books.get(stream.symbol)!, ++tradeId);
        const sentUs = monotonicMicros();
        Object.assign(message.update, { bench_t: stream.nextUs, bench_sent: sentUs });
        stats.feedLag.record(sentUs - stream.nextUs);
        bus.publish(message.update, message.book).then(
          () => {
            stats.published++;
            stats.publishHop.record(monotonicMicros() - sentUs);
          },
          () => stats.failed++,
        );
        stream.nextUs += interval(stream);
      }
    }
  };

  while (!stop.aborted && monotonicMicros() < endUs) {
    publishDue();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await bus.close();
  return stats;
}

function initialBook(basePrice: number): OrderBookData {
  const level = (price: number): PriceLevel => [price.toFixed(2), '1.000'];
  return {
    bids: Array.from({ length: 50 }, (_, i) => level(basePrice - 0.01 * (i + 1))),
    asks: Array.from({ length: 50 }, (_, i) => level(basePrice + 0.01 * (i + 1))),
    updateId: 1,
    prevUpdateId: null,
    seq: 1,
    timestamp: Date.now(),
  };
}

/** The feed's ticker update (the hop probe publishes the same). */
export function tickerUpdate(symbol: string, price: string, now: number): UnsequencedUpdate {
  const ticker = { symbol, lastPrice: price, markPrice: price, fundingRate: '0.0001', price24hPcnt: '0.0100' };
  return { type: 'update', symbol, received_at: new Date(now).toISOString(), exchange_ts: now, subscription: 'ticker', channel: `ticker:${symbol}`, ticker };
}

function messageFor(stream: Stream, book: OrderBookData, id: number): { update: UnsequencedUpdate; book?: OrderBookData } {
  const { symbol } = stream;
  const now = Date.now();
  const base = { type: 'update' as const, symbol, received_at: new Date(now).toISOString(), exchange_ts: now };
  const price = book.bids[0]![0];
  switch (stream.kind) {
    case 'trades':
      return { update: { ...base, subscription: 'trades', channel: `trades:${symbol}`, source: 'stream', trades: [{ id: String(id), timestamp: now, price, size: '0.010', side: id % 2 ? 'Buy' : 'Sell' }] } };
    case 'ticker':
      return { update: tickerUpdate(symbol, price, now) };
    case 'candles': {
      const start = now - (now % 60_000);
      return {
        update: {
          ...base,
          subscription: 'candles',
          channel: `candles:${symbol}:1`,
          timeframe: '1',
          candle: { timestamp: start, open: price, high: price, low: price, close: price, volume: '1.000', turnover: price, confirm: false },
          status: 'ongoing',
          source: 'stream',
        },
      };
    }
    case 'orderbook': {
      // A delta moving the size of one to three levels; the bus stores the full book with it.
      const changed: PriceLevel[] = book.bids.slice(0, 1 + (id % 3)).map(([p]) => [p, ((id % 7) + 1).toFixed(3)]);
      const updateId = book.updateId + 1;
      const full: OrderBookData = { ...book, bids: [...changed, ...book.bids.slice(changed.length)], updateId, prevUpdateId: book.updateId, seq: updateId, timestamp: now };
      Object.assign(book, full);
      const delta: OrderBookData = { bids: changed, asks: [], updateId, prevUpdateId: updateId - 1, seq: updateId, timestamp: now };
      return { update: { ...base, subscription: 'orderbook', channel: `orderbook:${symbol}`, depth: 50, action: 'delta', book: delta }, book: full };
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [redisUrl = 'redis://127.0.0.1:6379', symbols = '100', seconds = '0', seed = '1', rate = '1'] = process.argv.slice(2);
  const controller = new AbortController();
  process.on('SIGTERM', () => controller.abort());
  process.on('SIGINT', () => controller.abort());
  const feed = runFeed(redisUrl, Number(symbols), Number(seconds), Number(seed), controller.signal, Number(rate), (stats) => {
    // The runner asks at the start and at the end of a measured window: each answer covers the time since the last.
    process.on('SIGUSR2', () => {
      const window: FeedWindow = { published: stats.published, failed: stats.failed, publishHop: stats.publishHop.toJSON(), feedLag: stats.feedLag.toJSON() };
      Object.assign(stats, { published: 0, failed: 0, publishHop: new LatencyHistogram(), feedLag: new LatencyHistogram() });
      process.stdout.write(`${JSON.stringify({ window })}\n`);
    });
  }, (epochUs) => process.stdout.write(`${JSON.stringify({ epochUs })}\n`));
  void feed.then(({ maxLagUs }) => {
    process.stdout.write(`${JSON.stringify({ feed: { maxLagUs } })}\n`);
  });
}
