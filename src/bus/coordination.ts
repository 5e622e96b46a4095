/**
 * What several workers and gateways agree on through the bus store, beside
 * the market data itself:
 * - leases: each (upstream, symbol) is streamed by exactly one worker, which
 *   renews its lease; when the worker dies the lease expires and another
 *   worker takes the symbol over;
 * - the worker registry: who is alive, with what, for `tickstream status` and
 *   /health;
 * - symbol demand: symbols clients asked for that no worker was configured
 *   with, each kept alive by gateways until its linger runs out;
 * - the instrument list a worker read from the exchange, so gateways can
 *   refuse a symbol that does not exist without asking the exchange.
 * Two implementations: `redis-coordination.ts` (Lua scripts, so each step is
 * atomic on the server) and `memory-coordination.ts` (one process).
 * @module
 */

export interface LeaseGrant {
  /** true when `owner` now holds the lease (newly, or still). */
  readonly acquired: boolean;
  /** Who holds it after the call. */
  readonly holder: string;
  /** Who held it last before this grant (null: nobody ever, or this owner). */
  readonly previousHolder: string | null;
}

export interface WorkerRecord {
  readonly id: string;
  readonly pid: number;
  readonly host: string;
  /** e.g. bybit:linear */
  readonly upstream: string;
  /** Symbols it streams now (leases held). */
  readonly symbols: readonly string[];
  /** Of those, the ones clients asked for (not configured). */
  readonly dynamicSymbols: readonly string[];
  /** The worker's exchange link state (connecting, live, disconnected, ...). */
  readonly link: string;
  readonly startedAt: number;
  readonly heartbeatAt: number;
  /** The record is void after this (epoch ms): the worker stopped renewing it. */
  readonly expiresAt: number;
}

export interface DemandAnswer {
  /** Symbols now in demand (new or refreshed). */
  readonly accepted: readonly string[];
  /** New symbols refused because `maxSymbols` are already in demand. */
  readonly refused: readonly string[];
}

export interface Coordination {
  /** Takes the lease on `resource` when it is free (or already ours), for `ttlMs`. */
  acquireLease(resource: string, owner: string, ttlMs: number): Promise<LeaseGrant>;
  /**
   * Extends `owner`'s leases. A lease that no longer exists (expired unseen,
   * or a Redis restart emptied the store) is taken back; one another owner
   * holds is not. Resolves with the resources `owner` holds after the call.
   */
  renewLeases(resources: readonly string[], owner: string, ttlMs: number): Promise<Set<string>>;
  /** Gives up `owner`'s leases (others' are left alone). */
  releaseLeases(resources: readonly string[], owner: string): Promise<void>;

  /**
   * An id of the store's current contents, created on first use: a different
   * answer later means the store was emptied (a Redis restart without
   * persistence, a failover to an empty replica), and every lease with it.
   */
  storeEpoch(): Promise<string>;

  /** Records a worker as alive until `record.expiresAt`. */
  heartbeat(record: WorkerRecord): Promise<void>;
  removeWorker(id: string): Promise<void>;
  /** Workers whose record has not expired, by id. Expired records are pruned. */
  listWorkers(): Promise<WorkerRecord[]>;

  /**
   * Keeps symbols in demand on `upstream` until `untilMs` (epoch ms). A symbol
   * not yet in demand is only added while fewer than `maxSymbols` are.
   */
  requestSymbols(upstream: string, symbols: readonly string[], untilMs: number, maxSymbols: number): Promise<DemandAnswer>;
  /** Symbols in demand on `upstream` at `nowMs`; expired demand is pruned. */
  readDemand(upstream: string, nowMs: number): Promise<string[]>;

  /** Replaces the upstream's instrument list (tradable symbols), kept for `ttlMs`. */
  publishInstruments(upstream: string, symbols: readonly string[], ttlMs: number): Promise<void>;
  /** Whether the symbol is tradable on the upstream; undefined when no worker has published a list. */
  isInstrument(upstream: string, symbol: string): Promise<boolean | undefined>;
}

/** The lease resource of one symbol on one upstream, e.g. `bybit:linear:BTCUSDT`. */
export function symbolResource(upstream: string, symbol: string): string {
  return `${upstream}:${symbol}`;
}
