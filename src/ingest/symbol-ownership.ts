/**
 * Which symbols this worker streams, agreed with every other worker through
 * leases on the bus (src/bus/coordination.ts): a symbol is streamed by the
 * one worker holding its lease. Every round (a third of the lease TTL) the
 * worker renews its leases, records itself in the worker registry, releases
 * client-requested symbols nobody wants any more, and tries to take the
 * wanted symbols nobody holds: its configured ones, and those clients asked
 * for (when they exist on the exchange and the limits allow).
 *
 * A worker that cannot renew (Redis down, or the process was paused) may
 * publish a symbol only until its lease would have expired (`holds` turns
 * false; the streams keep running, as through a Redis outage). The next
 * renewal that succeeds either confirms the lease again (nobody took it) or
 * finds another holder: then the symbol is released here.
 * @module
 */
import { hostname } from 'node:os';
import { symbolResource, type Coordination } from '../bus/coordination.js';
import type { Logger } from '../shared/logger.js';

export interface SymbolOwnershipOptions {
  readonly workerId: string;
  /** e.g. bybit:linear */
  readonly upstream: string;
  readonly configuredSymbols: readonly string[];
  readonly leaseTtlMs: number;
  /** Symbols one worker streams at most (its socket's topic budget). */
  readonly maxSymbols: number;
  /** Client-requested symbols one worker takes at most (0: none). */
  readonly maxDynamicSymbols: number;
  /** How long a client-requested symbol may be missing from the demand before it is let go (tests shorten it). */
  readonly unwantedGraceMs?: number;
  /** After the store was emptied, missing demand is not counted for this long (tests shorten it). */
  readonly demandAfterResetGraceMs?: number;
}

export type ReleaseReason = 'lost' | 'unwanted';

export interface OwnershipEvents {
  /** The lease is ours: start streaming. `previousHolder`: the worker that had it (a takeover). */
  acquired(symbol: string, detail: { readonly previousHolder: string | null; readonly dynamic: boolean }): Promise<void>;
  /** The symbol is no longer ours: stop streaming it. */
  released(symbol: string, reason: ReleaseReason): void;
  /** The worker's exchange link state, for the registry. */
  linkState(): string;
  /** Whether a client-requested symbol is tradable (the worker's instrument list). */
  isTradable(symbol: string): boolean;
  /** A round reached the store (a moment to repair what a Redis restart lost). */
  roundDone(): Promise<void>;
}

interface HeldSymbol {
  /** performance.now() of the last confirmed grant or renewal. */
  confirmedAt: number;
  readonly dynamic: boolean;
  /** performance.now() before which this worker must not publish it (a grant right after the store was emptied). */
  readonly notBefore: number;
}

/**
 * A client-requested symbol missing from the demand set is let go only after
 * this long: demand lapses between two renewals would otherwise stop a symbol
 * a client still holds.
 */
const UNWANTED_GRACE_MS = 6_000;

/**
 * After the store was emptied (a Redis restart without persistence), the demand
 * set is empty until every gateway has reconnected (backoff up to 5 s, each of
 * its two connections on its own), noticed it and re-asserted its symbols, or,
 * failing that, renewed them on its period (a third of the linger: 20 s by
 * default). Absent demand means nothing until then. With 6 s alone, a loaded
 * machine let a symbol go while its client was still subscribed (CI, 2026-11-24).
 */
const DEMAND_AFTER_RESET_GRACE_MS = 30_000;

/** A symbol is given up this long before its lease would expire, so two workers never both publish it. */
const EXPIRY_MARGIN_FRACTION = 0.2;

export class SymbolOwnership {
  private readonly held = new Map<string, HeldSymbol>();
  private readonly configured: ReadonlySet<string>;
  private readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  /** Other live workers on the upstream at the last round. */
  private peerCount = 0;
  /** The store's epoch at the last round, and when (performance.now()) it last changed. */
  private epoch: string | undefined;
  private storeEmptiedAt = Number.NEGATIVE_INFINITY;
  /** Client-requested symbols held but missing from the demand set, since when (performance.now()). */
  private readonly unwantedSince = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly coordination: Coordination,
    private readonly options: SymbolOwnershipOptions,
    private readonly events: OwnershipEvents,
    private readonly logger: Logger,
  ) {
    this.configured = new Set(options.configuredSymbols);
  }

  /** Runs the first round (so configured symbols nobody holds are ours when this resolves), then one per third of the TTL. */
  async start(): Promise<void> {
    await this.runRound();
    this.timer = setInterval(() => void this.runRound(), Math.max(100, Math.floor(this.options.leaseTtlMs / 3)));
  }

  /** Whether this worker may publish for the symbol now. */
  holds(symbol: string): boolean {
    const held = this.held.get(symbol);
    const now = performance.now();
    return held !== undefined && now >= held.notBefore && now - held.confirmedAt < this.validForMs();
  }

  symbols(): string[] {
    return [...this.held.keys()].sort();
  }

  dynamicSymbols(): string[] {
    return [...this.held].filter(([, held]) => held.dynamic).map(([symbol]) => symbol).sort();
  }

  /** Stops the rounds; gives the leases up and leaves the registry, so another worker takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.round;
    const resources = [...this.held.keys()].map((symbol) => this.resource(symbol));
    this.held.clear();
    await this.coordination.releaseLeases(resources, this.options.workerId).catch(() => undefined);
    await this.coordination.removeWorker(this.options.workerId).catch(() => undefined);
  }

  /** Records this worker in the registry now (its link changed: /health reads it from there). Best effort. */
  heartbeatSoon(): void {
    if (this.stopped || this.timer === undefined) return;
    this.heartbeat().catch(() => undefined);
  }

  /** Whether other live workers share the upstream (as of the last round). */
  hasPeers(): boolean {
    return this.peerCount > 0;
  }

  /** Other live workers on the same upstream (best effort: [] when the store does not answer). */
  async peers(): Promise<string[]> {
    const workers = await this.coordination.listWorkers().catch(() => []);
    return workers.filter((worker) => worker.upstream === this.options.upstream && worker.id !== this.options.workerId).map((worker) => worker.id);
  }

  private runRound(): Promise<void> {
    // One round at a time: a slow store must not stack rounds up.
    this.round ??= this.roundOnce()
      .catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'lease round failed; retrying next round'))
      .finally(() => (this.round = undefined));
    return this.round;
  }

  private async roundOnce(): Promise<void> {
    try {
      await this.renew();
      if (!this.stopped) await this.acquireWanted();
    } finally {
      // Recorded after the leases changed, so the registry names what this worker streams now.
      if (!this.stopped) {
        await this.heartbeat();
        this.peerCount = (await this.peers()).length;
        await this.events.roundDone();
      }
    }
  }

  private async acquireWanted(): Promise<void> {
    await this.checkStoreEpoch();
    const demanded = await this.demandedSymbols();
    const now = performance.now();
    for (const [symbol, held] of this.held) {
      if (!held.dynamic || demanded.includes(symbol)) {
        this.unwantedSince.delete(symbol);
        continue;
      }
      // Demand can vanish with a Redis restart until the gateways re-assert it: only a lasting absence counts.
      const since = this.unwantedSince.get(symbol) ?? now;
      this.unwantedSince.set(symbol, since);
      const afterReset = now - this.storeEmptiedAt < (this.options.demandAfterResetGraceMs ?? DEMAND_AFTER_RESET_GRACE_MS);
      if (!afterReset && now - since >= (this.options.unwantedGraceMs ?? UNWANTED_GRACE_MS)) {
        this.unwantedSince.delete(symbol);
        await this.release(symbol, 'unwanted');
      }
    }
    const dynamicHeld = () => [...this.held.values()].filter((held) => held.dynamic).length;
    for (const symbol of [...this.options.configuredSymbols, ...demanded]) {
      if (this.stopped || this.held.size >= this.options.maxSymbols) return;
      const dynamic = !this.configured.has(symbol);
      if (this.held.has(symbol) || (dynamic && dynamicHeld() >= this.options.maxDynamicSymbols)) continue;
      // The TTL runs in Redis from when the script ran, at the latest: count from before the call, as renew() does.
      const askedAt = performance.now();
      const grant = await this.coordination.acquireLease(this.resource(symbol), this.options.workerId, this.options.leaseTtlMs);
      if (!grant.acquired || this.stopped) continue;
      // Right after the store was emptied, the lease may have been free only because it vanished: its last holder
      // may publish until its own renewal finds the lease taken, or its fence (80% of the TTL) stops it. Wait that out.
      const notBefore = askedAt - this.storeEmptiedAt < this.options.leaseTtlMs ? askedAt + this.validForMs() : 0;
      this.held.set(symbol, { confirmedAt: askedAt, dynamic, notBefore });
      this.logger.info({ symbol, dynamic, previousHolder: grant.previousHolder }, grant.previousHolder ? `took ${symbol} over from ${grant.previousHolder}` : `streaming ${symbol}`);
      await this.events.acquired(symbol, { previousHolder: grant.previousHolder, dynamic });
    }
  }

  /** Notices a store that was emptied since the last round (every lease vanished with it). */
  private async checkStoreEpoch(): Promise<void> {
    const epoch = await this.coordination.storeEpoch();
    if (this.epoch !== undefined && epoch !== this.epoch) {
      this.storeEmptiedAt = performance.now();
      this.logger.warn('the bus store was emptied (Redis restarted or failed over): symbols taken now wait out their last holder');
    }
    this.epoch = epoch;
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const symbols = [...this.held.keys()];
    const renewedAt = performance.now();
    const kept = await this.coordination.renewLeases(symbols.map((symbol) => this.resource(symbol)), this.options.workerId, this.options.leaseTtlMs);
    for (const symbol of symbols) {
      const held = this.held.get(symbol);
      if (!held) continue;
      if (kept.has(this.resource(symbol))) held.confirmedAt = renewedAt;
      else await this.release(symbol, 'lost', false);
    }
  }

  private async release(symbol: string, reason: ReleaseReason, giveUpLease = true): Promise<void> {
    if (!this.held.delete(symbol)) return;
    this.logger.warn({ symbol, reason }, `stopped streaming ${symbol} (${reason === 'lost' ? 'another worker holds its lease' : 'no client wants it any more'})`);
    this.events.released(symbol, reason);
    if (giveUpLease) await this.coordination.releaseLeases([this.resource(symbol)], this.options.workerId);
  }

  private async heartbeat(): Promise<void> {
    const now = Date.now();
    await this.coordination.heartbeat({
      id: this.options.workerId,
      pid: process.pid,
      host: hostname(),
      upstream: this.options.upstream,
      symbols: this.symbols(),
      dynamicSymbols: this.dynamicSymbols(),
      link: this.events.linkState(),
      startedAt: this.startedAt,
      heartbeatAt: now,
      expiresAt: now + this.options.leaseTtlMs,
    });
  }

  /** Client-requested symbols this worker could stream: tradable and not configured. */
  private async demandedSymbols(): Promise<string[]> {
    if (this.options.maxDynamicSymbols === 0) return [];
    const demand = await this.coordination.readDemand(this.options.upstream, Date.now());
    return demand.filter((symbol) => !this.configured.has(symbol) && this.events.isTradable(symbol));
  }

  private validForMs(): number {
    return this.options.leaseTtlMs * (1 - EXPIRY_MARGIN_FRACTION);
  }

  private resource(symbol: string): string {
    return symbolResource(this.options.upstream, symbol);
  }
}
