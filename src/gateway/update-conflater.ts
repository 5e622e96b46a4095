/**
 * What a slow client gets instead of a backlog: for channels whose latest
 * state is all that matters, updates are conflated while the client's send
 * buffer is over the soft bound, and only the newest state is sent once it
 * drains. Ticker: the newest update. Candles: the newest version of each
 * candle touched (a confirmed candle is never skipped). Order book: deltas
 * cannot be merged safely, so a fresh snapshot replaces them. Trades are not
 * conflated: they queue until the hard bound closes the client.
 * @module
 */

export type ConflationKind = 'ticker' | 'candles' | 'orderbook' | 'none';

/** A literal, not a slice of the channel name: every cursor keeps it. */
export function conflationKind(channel: string): ConflationKind {
  if (channel.startsWith('ticker:')) return 'ticker';
  if (channel.startsWith('candles:')) return 'candles';
  if (channel.startsWith('orderbook:')) return 'orderbook';
  return 'none';
}

export interface ConflatedOutput {
  /** Payloads to send, oldest first. */
  readonly payloads: Buffer[];
  /** The order book needs a fresh snapshot instead of the skipped deltas. */
  readonly resnapshot: boolean;
}

export class UpdateConflater {
  private latest: Buffer | undefined;
  private readonly candles = new Map<number, Buffer>();
  private skippedBook = false;
  private absorbed = 0;

  constructor(readonly kind: ConflationKind) {}

  get pending(): boolean {
    return this.latest !== undefined || this.candles.size > 0 || this.skippedBook;
  }

  /** Updates swallowed so far (for metrics). */
  get absorbedCount(): number {
    return this.absorbed;
  }

  absorb(data: Buffer): void {
    this.absorbed++;
    switch (this.kind) {
      case 'ticker':
        this.latest = data;
        return;
      case 'candles':
        this.candles.set(candleStart(data), data);
        return;
      case 'orderbook':
        this.skippedBook = true;
        return;
      case 'none':
        return;
    }
  }

  /** Everything absorbed, as what to send now; resets the conflater. */
  take(): ConflatedOutput {
    const payloads = this.latest ? [this.latest] : [...this.candles].sort(([a], [b]) => a - b).map(([, data]) => data);
    const output = { payloads, resnapshot: this.skippedBook };
    this.latest = undefined;
    this.candles.clear();
    this.skippedBook = false;
    return output;
  }
}

/** The candle's start time; parsed only on this slow path, never for fast clients. */
function candleStart(data: Buffer): number {
  return (JSON.parse(data.toString('utf8')) as { candle: { timestamp: number } }).candle.timestamp;
}
