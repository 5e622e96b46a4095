/**
 * Coordination in one process, with the Redis implementation's semantics
 * (expiry by wall clock, take-back of a vanished lease, bounded demand). A
 * MemoryBroker owns one per prefix, so buses sharing a broker share it.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Coordination, DemandAnswer, LeaseGrant, WorkerRecord } from './coordination.js';

interface Lease {
  readonly owner: string;
  readonly expiresAt: number;
}

export class MemoryCoordination implements Coordination {
  private readonly leases = new Map<string, Lease>();
  private readonly lastHolders = new Map<string, string>();
  private readonly workers = new Map<string, WorkerRecord>();
  private readonly demand = new Map<string, Map<string, number>>();
  private readonly instruments = new Map<string, { readonly symbols: ReadonlySet<string>; readonly expiresAt: number }>();

  acquireLease(resource: string, owner: string, ttlMs: number): Promise<LeaseGrant> {
    const current = this.holder(resource);
    if (current !== undefined && current !== owner) return Promise.resolve({ acquired: false, holder: current, previousHolder: null });
    this.leases.set(resource, { owner, expiresAt: Date.now() + ttlMs });
    if (current === owner) return Promise.resolve({ acquired: true, holder: owner, previousHolder: null });
    const previous = this.lastHolders.get(resource);
    this.lastHolders.set(resource, owner);
    return Promise.resolve({ acquired: true, holder: owner, previousHolder: previous !== undefined && previous !== owner ? previous : null });
  }

  renewLeases(resources: readonly string[], owner: string, ttlMs: number): Promise<Set<string>> {
    const held = new Set<string>();
    for (const resource of resources) {
      const current = this.holder(resource);
      if (current !== undefined && current !== owner) continue;
      this.leases.set(resource, { owner, expiresAt: Date.now() + ttlMs });
      held.add(resource);
    }
    return Promise.resolve(held);
  }

  releaseLeases(resources: readonly string[], owner: string): Promise<void> {
    for (const resource of resources) if (this.holder(resource) === owner) this.leases.delete(resource);
    return Promise.resolve();
  }

  private readonly epoch = randomUUID();

  storeEpoch(): Promise<string> {
    return Promise.resolve(this.epoch);
  }

  heartbeat(record: WorkerRecord): Promise<void> {
    this.workers.set(record.id, record);
    return Promise.resolve();
  }

  removeWorker(id: string): Promise<void> {
    this.workers.delete(id);
    return Promise.resolve();
  }

  listWorkers(): Promise<WorkerRecord[]> {
    const now = Date.now();
    for (const [id, record] of this.workers) if (record.expiresAt <= now) this.workers.delete(id);
    return Promise.resolve([...this.workers.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
  }

  requestSymbols(upstream: string, symbols: readonly string[], untilMs: number, maxSymbols: number): Promise<DemandAnswer> {
    const wanted = this.liveDemand(upstream, Date.now());
    const accepted: string[] = [];
    const refused: string[] = [];
    for (const symbol of symbols) {
      const until = wanted.get(symbol);
      if (until === undefined && wanted.size >= maxSymbols) {
        refused.push(symbol);
        continue;
      }
      wanted.set(symbol, Math.max(until ?? 0, untilMs));
      accepted.push(symbol);
    }
    return Promise.resolve({ accepted, refused });
  }

  readDemand(upstream: string, nowMs: number): Promise<string[]> {
    return Promise.resolve([...this.liveDemand(upstream, nowMs).keys()].sort());
  }

  publishInstruments(upstream: string, symbols: readonly string[], ttlMs: number): Promise<void> {
    if (symbols.length > 0) this.instruments.set(upstream, { symbols: new Set(symbols), expiresAt: Date.now() + ttlMs });
    return Promise.resolve();
  }

  isInstrument(upstream: string, symbol: string): Promise<boolean | undefined> {
    const list = this.instruments.get(upstream);
    if (!list || list.expiresAt <= Date.now()) return Promise.resolve(undefined);
    return Promise.resolve(list.symbols.has(symbol));
  }

  private holder(resource: string): string | undefined {
    const lease = this.leases.get(resource);
    if (!lease) return undefined;
    if (lease.expiresAt > Date.now()) return lease.owner;
    this.leases.delete(resource);
    return undefined;
  }

  private liveDemand(upstream: string, nowMs: number): Map<string, number> {
    let wanted = this.demand.get(upstream);
    if (!wanted) this.demand.set(upstream, (wanted = new Map<string, number>()));
    for (const [symbol, until] of wanted) if (until < nowMs) wanted.delete(symbol);
    return wanted;
  }
}
