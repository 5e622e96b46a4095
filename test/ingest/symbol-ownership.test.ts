/**
 * SymbolOwnership's handling of client demand, on a private redis-server: a
 * symbol clients asked for is let go once its demand has lapsed for the grace,
 * but not while the store has just been emptied (FLUSHALL here, a Redis restart
 * in production), when demand is missing only until the gateways re-assert it.
 * Graces are shortened through the options so the test runs in seconds.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { DEFAULT_BUS_LIMITS, type MarketBus } from '../../src/bus/market-bus.js';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import { SymbolOwnership, type ReleaseReason } from '../../src/ingest/symbol-ownership.js';
import { silentLogger } from '../../src/shared/logger.js';
import { TestRedisServer } from '../helpers/redis-server.js';
import { delay, waitFor } from '../helpers/wait-for.js';

const UPSTREAM = 'bybit:linear';
const LEASE_TTL_MS = 600;
const UNWANTED_GRACE_MS = 300;
const RESET_GRACE_MS = 2_500;

let server: TestRedisServer | undefined;
before(async () => {
  server = await TestRedisServer.start();
});
after(async () => {
  await server?.stop();
});

interface Harness {
  readonly bus: MarketBus;
  readonly ownership: SymbolOwnership;
  readonly released: { symbol: string; reason: ReleaseReason; atMs: number }[];
  /** Asks for the symbol as a gateway would, wanted until `forMs` from now. */
  demand(symbol: string, forMs: number): Promise<void>;
}

function start(prefix: string): Harness {
  const bus = createRedisBus({ url: server!.url, prefix, limits: DEFAULT_BUS_LIMITS, logger: silentLogger() });
  const released: Harness['released'] = [];
  const ownership = new SymbolOwnership(
    bus.coordination,
    {
      workerId: 'w1',
      upstream: UPSTREAM,
      configuredSymbols: ['BTCUSDT'],
      leaseTtlMs: LEASE_TTL_MS,
      maxSymbols: 10,
      maxDynamicSymbols: 2,
      unwantedGraceMs: UNWANTED_GRACE_MS,
      demandAfterResetGraceMs: RESET_GRACE_MS,
    },
    {
      acquired: () => Promise.resolve(),
      released: (symbol, reason) => released.push({ symbol, reason, atMs: performance.now() }),
      linkState: () => 'live',
      isTradable: () => true,
      roundDone: () => Promise.resolve(),
    },
    silentLogger(),
  );
  const demand = async (symbol: string, forMs: number) => {
    await bus.coordination.requestSymbols(UPSTREAM, [symbol], Date.now() + forMs, 2);
  };
  return { bus, ownership, released, demand };
}

/** A worker streaming SOLUSDT because a client asked for it (for a minute), and a way to empty the store under it. */
async function streamingRequestedSymbol(t: TestContext, prefix: string): Promise<Harness & { flushStore(): Promise<unknown> }> {
  const h = start(prefix);
  const raw = createClient({ url: server!.url });
  await raw.connect();
  t.after(async () => {
    await h.ownership.stop();
    await h.bus.close();
    await raw.quit();
  });
  await h.demand('SOLUSDT', 60_000);
  await h.ownership.start();
  await waitFor('SOLUSDT taken', () => h.ownership.dynamicSymbols().includes('SOLUSDT'), 5_000, 20);
  // The store loses everything: leases, epoch and the demand set (a Redis restart without persistence).
  return { ...h, flushStore: () => raw.flushAll() };
}

describe('symbol ownership and client demand', () => {
  it('lets a requested symbol go once its demand has lapsed for the grace', async (t) => {
    const h = start('lapse:');
    t.after(async () => {
      await h.ownership.stop();
      await h.bus.close();
    });
    // The demand runs out 800 ms after it is asked for (gateways would have renewed it; none does here).
    const lapsedAt = performance.now() + 800;
    await h.demand('SOLUSDT', 800);
    await h.ownership.start();
    await waitFor('SOLUSDT taken', () => h.ownership.dynamicSymbols().includes('SOLUSDT'), 5_000, 20);
    await waitFor('SOLUSDT released', () => h.released.length > 0, 5_000, 20);
    assert.deepEqual(h.released.map(({ symbol, reason }) => [symbol, reason]), [['SOLUSDT', 'unwanted']]);
    assert.ok(h.released[0]!.atMs - lapsedAt >= UNWANTED_GRACE_MS - 50, `released ${(h.released[0]!.atMs - lapsedAt).toFixed(0)} ms after the demand lapsed`);
    assert.deepEqual(h.ownership.symbols(), ['BTCUSDT'], 'the configured symbol stays');
  });

  it('keeps a requested symbol while the store was just emptied, and lets it go if nobody asks for it again', async (t) => {
    const h = await streamingRequestedSymbol(t, 'reset:');
    await h.flushStore();
    const emptiedAt = performance.now();
    // Well past the ordinary grace, the symbol is still streamed: the gateways have not re-asserted yet.
    await delay(UNWANTED_GRACE_MS * 4);
    assert.equal(h.released.length, 0, 'nothing released while demand may still be re-asserted');
    assert.ok(h.ownership.dynamicSymbols().includes('SOLUSDT'));
    assert.ok(h.ownership.holds('SOLUSDT'), 'its lease was taken back after the flush');

    // Nobody asks again: after the reset grace, the ordinary rule applies.
    await waitFor('SOLUSDT released', () => h.released.length > 0, RESET_GRACE_MS + 3_000, 20);
    assert.deepEqual(h.released.map(({ symbol, reason }) => [symbol, reason]), [['SOLUSDT', 'unwanted']]);
    assert.ok(h.released[0]!.atMs - emptiedAt >= RESET_GRACE_MS, `released ${(h.released[0]!.atMs - emptiedAt).toFixed(0)} ms after the flush`);
  });

  it('keeps a requested symbol across an emptied store when a gateway re-asserts its demand', async (t) => {
    const h = await streamingRequestedSymbol(t, 'reassert:');
    await h.flushStore();
    await delay(RESET_GRACE_MS / 2);
    await h.demand('SOLUSDT', 60_000);
    await delay(RESET_GRACE_MS + UNWANTED_GRACE_MS * 2);
    assert.equal(h.released.length, 0);
    assert.deepEqual(h.ownership.symbols(), ['BTCUSDT', 'SOLUSDT']);
  });
});
