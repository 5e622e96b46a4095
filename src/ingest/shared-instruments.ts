/**
 * The exchange's tradable symbols, as this worker last read them, shared on
 * the bus so gateways can refuse a client's unknown symbol without asking
 * the exchange. Re-read hourly; put back whenever Redis lost it (a restart, or
 * Redis up after this worker), since gateways refuse every requested symbol
 * without it.
 * @module
 */
import type { Coordination } from '../bus/coordination.js';
import type { BybitRestClient, InstrumentInfo } from '../exchanges/bybit/bybit-rest-client.js';
import type { Logger } from '../shared/logger.js';

/** The list is read from the exchange again this often. */
const REFRESH_MS = 3_600_000;
/** How long a shared list stays valid without a refresh. */
const TTL_MS = 3 * REFRESH_MS;

export class SharedInstruments {
  private tradable: ReadonlySet<string> = new Set();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly coordination: Coordination,
    private readonly upstream: string,
    private readonly logger: Logger,
  ) {}

  has(symbol: string): boolean {
    return this.tradable.has(symbol);
  }

  /** Keeps the Trading symbols of a fresh instruments-info read and shares them. */
  async adopt(instruments: ReadonlyMap<string, InstrumentInfo>): Promise<void> {
    this.tradable = new Set([...instruments.values()].filter((info) => info.status === 'Trading').map((info) => info.symbol));
    await this.share();
  }

  startRefreshing(rest: BybitRestClient): void {
    this.timer = setInterval(() => {
      rest.listInstruments().then(
        (instruments) => this.adopt(instruments),
        (error: unknown) => this.logger.warn({ err: (error as Error).message }, 'instrument list refresh failed; keeping the last one'),
      );
    }, REFRESH_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async share(): Promise<void> {
    await this.coordination.publishInstruments(this.upstream, [...this.tradable], TTL_MS).catch((error: unknown) => {
      this.logger.warn({ err: (error as Error).message }, 'could not share the instrument list');
    });
  }

  /** Shares the list again if the store no longer has it (one cheap check). */
  async shareIfLost(): Promise<void> {
    const probe = this.tradable.values().next();
    if (probe.done) return;
    const present = await this.coordination.isInstrument(this.upstream, probe.value).catch(() => true);
    if (present === undefined) await this.share();
  }
}
