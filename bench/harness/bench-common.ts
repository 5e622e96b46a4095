/**
 * What the feed, the clients and the runner share: symbol names, the clock
 * latency is measured on, the Zipf popularity of symbols, and a small
 * HDR-style latency histogram.
 * @module
 */

/** `BTCUSDT`, `ETHUSDT`, then `S003USDT` … (PROTOCOL.md). */
export function benchSymbols(count: number): string[] {
  return Array.from({ length: count }, (_, index) => (index === 0 ? 'BTCUSDT' : index === 1 ? 'ETHUSDT' : `S${String(index + 1).padStart(3, '0')}USDT`));
}

/** The reference mix has 100 symbols; a feed on more splits each of them (splitSymbols). */
export const REFERENCE_SYMBOLS = 100;

/**
 * A feed on N > 100 symbols (N a multiple of 100) is the 100-symbol reference mix with every reference symbol
 * split into N / 100 symbols, each at 100 / N of its rates; this gives the feed's symbol indexes standing for
 * reference symbol `reference`. A client of that feed subscribes to all of them, so messages in, deliveries and
 * fan-out per message are those of the reference mix while the gateway holds N / 100 times the channels: the
 * 100 → 1000 symbols comparison changes only the number of symbols. At N <= 100 each symbol stands for itself.
 */
export function splitSymbols(reference: number, count: number): number[] {
  if (count <= REFERENCE_SYMBOLS) return [reference];
  const parts = count / REFERENCE_SYMBOLS;
  if (!Number.isInteger(parts)) throw new Error(`a feed on more than ${REFERENCE_SYMBOLS} symbols needs a multiple of ${REFERENCE_SYMBOLS}, not ${count}`);
  return Array.from({ length: parts }, (_, k) => reference * parts + k);
}

/** The reference symbol a feed's symbol index stands for (the inverse of splitSymbols). */
export function referenceOf(index: number, count: number): number {
  return count <= REFERENCE_SYMBOLS ? index : Math.floor(index / (count / REFERENCE_SYMBOLS));
}

/** BTCUSDT and ETHUSDT trade ten times faster for the first second of every ten, counted from the feed's epoch. */
export const BURST_PERIOD_US = 10_000_000;
export const BURST_LENGTH_US = 1_000_000;

/** Whether a message scheduled at `scheduledUs` falls in a trade burst of a feed started at `epochUs`. */
export function inBurst(scheduledUs: number, epochUs: number): boolean {
  return (((scheduledUs - epochUs) % BURST_PERIOD_US) + BURST_PERIOD_US) % BURST_PERIOD_US < BURST_LENGTH_US;
}

/** CLOCK_MONOTONIC in µs: the same clock in every process on one Linux machine. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Symbol index for client `i` of `n`, Zipf(s) over `count` symbols, deterministic (inverse CDF at (i + 0.5) / n). */
export function zipfAssignment(clients: number, count: number, exponent = 1.1): number[] {
  const weights = Array.from({ length: count }, (_, rank) => 1 / (rank + 1) ** exponent);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const cumulative: number[] = [];
  let running = 0;
  for (const weight of weights) cumulative.push((running += weight / total));
  return Array.from({ length: clients }, (_, i) => {
    const u = (i + 0.5) / clients;
    const index = cumulative.findIndex((edge) => u <= edge);
    return index < 0 ? count - 1 : index;
  });
}

const CHANNEL_KEY = Buffer.from('"channel":"');
const SEQ_KEY = Buffer.from('"seq":');
const SCHEDULED_KEY = Buffer.from('"bench_t":');
const SENT_KEY = Buffer.from('"bench_sent":');
const QUOTE = 0x22;

/**
 * What a bench client needs of an update message, found in its bytes rather than by JSON.parse: the sampled
 * clients of the one-channel row take 100k messages/s in a trade burst, and a client process must stay cheaper
 * than the server it measures. `seq` is the last `"seq":` of the text: the bus stamps it after the update's own
 * keys (an order book's `seq` among them). Absent timestamps are NaN.
 */
export function updateFields(payload: Buffer): { channel: string; seq: number; scheduledUs: number; sentUs: number } {
  const channelAt = payload.indexOf(CHANNEL_KEY) + CHANNEL_KEY.length;
  return {
    channel: payload.toString('latin1', channelAt, payload.indexOf(QUOTE, channelAt)),
    seq: numberAfter(payload, SEQ_KEY),
    scheduledUs: numberAfter(payload, SCHEDULED_KEY),
    sentUs: numberAfter(payload, SENT_KEY),
  };
}

function numberAfter(payload: Buffer, key: Buffer): number {
  const at = payload.lastIndexOf(key);
  if (at < 0) return Number.NaN;
  return Number.parseInt(payload.toString('latin1', at + key.length, at + key.length + 20), 10);
}

/**
 * Latency histogram with ~1.5% relative precision from 1 µs to ~1 hour:
 * 64 linear sub-buckets per power of two (HdrHistogram's idea, small).
 * Bucket = magnitude * 128 + value >> magnitude, where the shifted value lies
 * in [64, 128) once magnitude > 0 (and in [0, 128) below 128 µs).
 */
export class LatencyHistogram {
  private static readonly SUB = 128;
  readonly counts = new Map<number, number>();
  total = 0;
  max = 0;

  record(micros: number): void {
    const value = Math.max(1, Math.round(micros));
    const bucket = LatencyHistogram.bucketOf(value);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.total++;
    if (value > this.max) this.max = value;
  }

  merge(other: { counts: Record<string, number> | Map<number, number>; total: number; max: number }): void {
    const entries = other.counts instanceof Map ? [...other.counts] : Object.entries(other.counts).map(([k, v]) => [Number(k), v] as const);
    for (const [bucket, count] of entries) this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + count);
    this.total += other.total;
    this.max = Math.max(this.max, other.max);
  }

  /** The value at quantile q (0..1), µs (upper edge of its bucket). */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket)!;
      if (seen >= rank) return Math.min(LatencyHistogram.upperEdge(bucket), this.max);
    }
    return this.max;
  }

  toJSON(): { counts: Record<string, number>; total: number; max: number } {
    return { counts: Object.fromEntries(this.counts), total: this.total, max: this.max };
  }

  private static bucketOf(value: number): number {
    const magnitude = Math.max(0, Math.floor(Math.log2(value)) - 6);
    const sub = Math.floor(value / 2 ** magnitude);
    return magnitude * LatencyHistogram.SUB + sub;
  }

  private static upperEdge(bucket: number): number {
    const magnitude = Math.floor(bucket / LatencyHistogram.SUB);
    const sub = bucket % LatencyHistogram.SUB;
    return magnitude === 0 ? sub : (sub + 1) * 2 ** magnitude - 1;
  }
}
