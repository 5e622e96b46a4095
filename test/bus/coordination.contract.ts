/**
 * The Coordination contract (src/bus/coordination.ts), run by memory-bus.test.ts
 * and redis-bus.test.ts against both implementations. Buses from one factory
 * share a backend; each test uses its own prefix. Expiry is real time, so the
 * TTLs here are short.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BUS_LIMITS, type MarketBus } from '../../src/bus/market-bus.js';
import type { WorkerRecord } from '../../src/bus/coordination.js';
import { delay } from '../helpers/wait-for.js';
import type { BusFactory } from './market-bus.contract.js';

let prefixCounter = 0;
const runId = Math.random().toString(36).slice(2, 8);

function workerRecord(id: string, expiresInMs: number): WorkerRecord {
  const now = Date.now();
  return { id, pid: 1, host: 'h', upstream: 'bybit:linear', symbols: ['BTCUSDT'], dynamicSymbols: [], link: 'live', startedAt: now, heartbeatAt: now, expiresAt: now + expiresInMs };
}

export function coordinationContract(name: string, createBus: BusFactory): void {
  void describe(`Coordination contract: ${name}`, () => {
    const open: MarketBus[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((bus) => bus.close()));
    });
    /** Two processes on one backend, under a fresh prefix. */
    async function pair(): Promise<[MarketBus, MarketBus]> {
      prefixCounter++;
      const prefix = `k${runId}-${prefixCounter}:`;
      const buses = [await createBus({ prefix, limits: DEFAULT_BUS_LIMITS }), await createBus({ prefix, limits: DEFAULT_BUS_LIMITS })];
      open.push(...buses);
      return [buses[0]!, buses[1]!];
    }

    it('grants a lease to one owner only, and names the previous holder on takeover after expiry', async () => {
      const [a, b] = await pair();
      const first = await a.coordination.acquireLease('bybit:linear:BTCUSDT', 'worker-a', 300);
      assert.deepEqual(first, { acquired: true, holder: 'worker-a', previousHolder: null });
      const refused = await b.coordination.acquireLease('bybit:linear:BTCUSDT', 'worker-b', 300);
      assert.equal(refused.acquired, false);
      assert.equal(refused.holder, 'worker-a');
      assert.equal((await a.coordination.acquireLease('bybit:linear:BTCUSDT', 'worker-a', 300)).acquired, true, 'the holder may ask again');
      await delay(450);
      const takeover = await b.coordination.acquireLease('bybit:linear:BTCUSDT', 'worker-b', 300);
      assert.deepEqual(takeover, { acquired: true, holder: 'worker-b', previousHolder: 'worker-a' });
    });

    it('renewal keeps a lease past its first ttl, takes back a vanished one, and never steals', async () => {
      const [a, b] = await pair();
      await a.coordination.acquireLease('up:X', 'worker-a', 400);
      await b.coordination.acquireLease('up:Y', 'worker-b', 5_000);
      for (let round = 0; round < 3; round++) {
        await delay(200);
        assert.deepEqual([...(await a.coordination.renewLeases(['up:X', 'up:Y', 'up:Z'], 'worker-a', 400))].sort(), ['up:X', 'up:Z']);
      }
      assert.equal((await b.coordination.acquireLease('up:X', 'worker-b', 400)).acquired, false, 'renewed past the first ttl');
      assert.equal((await b.coordination.acquireLease('up:Z', 'worker-b', 400)).holder, 'worker-a', 'a vanished lease was taken back by renewal');
    });

    it('release frees only the releasing owner\'s leases', async () => {
      const [a, b] = await pair();
      await a.coordination.acquireLease('up:X', 'worker-a', 5_000);
      await b.coordination.acquireLease('up:Y', 'worker-b', 5_000);
      await a.coordination.releaseLeases(['up:X', 'up:Y'], 'worker-a');
      assert.equal((await b.coordination.acquireLease('up:X', 'worker-b', 5_000)).acquired, true);
      assert.equal((await a.coordination.acquireLease('up:Y', 'worker-a', 5_000)).acquired, false);
    });

    it('lists live workers only and prunes expired records', async () => {
      const [a, b] = await pair();
      await a.coordination.heartbeat(workerRecord('w1', 5_000));
      await b.coordination.heartbeat(workerRecord('w2', 150));
      assert.deepEqual((await a.coordination.listWorkers()).map((record) => record.id), ['w1', 'w2']);
      await delay(250);
      assert.deepEqual((await b.coordination.listWorkers()).map((record) => record.id), ['w1']);
      await a.coordination.removeWorker('w1');
      assert.deepEqual(await b.coordination.listWorkers(), []);
    });

    it('bounds symbol demand, refreshes it, and lets it expire', async () => {
      const [a, b] = await pair();
      const now = Date.now();
      assert.deepEqual(await a.coordination.requestSymbols('bybit:linear', ['XRPUSDT', 'ADAUSDT'], now + 300, 2), { accepted: ['XRPUSDT', 'ADAUSDT'], refused: [] });
      assert.deepEqual(await b.coordination.requestSymbols('bybit:linear', ['DOGEUSDT', 'XRPUSDT'], now + 5_000, 2), { accepted: ['XRPUSDT'], refused: ['DOGEUSDT'] });
      assert.deepEqual(await a.coordination.readDemand('bybit:spot', Date.now()), [], 'demand is per upstream');
      await delay(400);
      assert.deepEqual(await b.coordination.readDemand('bybit:linear', Date.now()), ['XRPUSDT'], 'refreshed demand outlives the first linger');
      assert.deepEqual((await a.coordination.requestSymbols('bybit:linear', ['DOGEUSDT'], Date.now() + 5_000, 2)).accepted, ['DOGEUSDT'], 'expired demand frees its place');
    });

    it('answers instrument checks from the published list, and "unknown" before any list', async () => {
      const [a, b] = await pair();
      assert.equal(await b.coordination.isInstrument('bybit:linear', 'BTCUSDT'), undefined);
      await a.coordination.publishInstruments('bybit:linear', ['BTCUSDT', 'XRPUSDT'], 60_000);
      assert.equal(await b.coordination.isInstrument('bybit:linear', 'XRPUSDT'), true);
      assert.equal(await b.coordination.isInstrument('bybit:linear', 'NOPEUSDT'), false);
      await a.coordination.publishInstruments('bybit:linear', ['BTCUSDT'], 60_000);
      assert.equal(await b.coordination.isInstrument('bybit:linear', 'XRPUSDT'), false, 'a new list replaces the old one');
    });
  });
}
