/**
 * simulator → Worker → bus → Gateway in this process, all real parts on
 * loopback: the in-memory bus shared by worker and gateway, or a private
 * redis-server with one Redis bus per side (as two processes would have).
 * Everything is stopped last-started-first when the test ends.
 */
import type { TestContext } from 'node:test';
import { DEFAULT_BUS_LIMITS, type BusLimits, type MarketBus } from '../../../src/bus/market-bus.js';
import { createMemoryBus } from '../../../src/bus/memory-bus.js';
import { createRedisBus } from '../../../src/bus/redis-bus.js';
import { loadGatewayConfig } from '../../../src/config/gateway-config.js';
import { Gateway } from '../../../src/gateway/gateway.js';
import { Worker } from '../../../src/ingest/worker.js';
import { silentLogger } from '../../../src/shared/logger.js';
import type { BybitSimulator, SimulatorOptions } from '../../../src/simulator/index.js';
import { deferCleanups } from '../../helpers/deferred-cleanup.js';
import { TestRedisServer } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startSimulator, workerConfigFor } from '../../helpers/worker-stack.js';

export const LIVE = '/api/v1/live';

/** Channels the worker publishes for SYMBOLS=BTCUSDT,ETHUSDT TIMEFRAMES=1,5. */
export const ALL_CHANNELS = [
  'candles:BTCUSDT:1',
  'candles:BTCUSDT:5',
  'candles:ETHUSDT:1',
  'candles:ETHUSDT:5',
  'orderbook:BTCUSDT',
  'orderbook:ETHUSDT',
  'ticker:BTCUSDT',
  'ticker:ETHUSDT',
  'trades:BTCUSDT',
  'trades:ETHUSDT',
] as const;

export interface StartedGateway {
  readonly gateway: Gateway;
  /** http://127.0.0.1:port/api/v1/live */
  readonly http: string;
  /** ws://127.0.0.1:port/api/v1/live */
  readonly ws: string;
  readonly port: number;
}

export interface GatewayStack {
  readonly simulator: BybitSimulator;
  /** The bus the worker publishes on. */
  readonly bus: MarketBus;
  readonly worker: Worker;
  /** The first gateway (on `gatewayBus`). */
  readonly gateway: Gateway;
  readonly gatewayBus: MarketBus;
  readonly http: string;
  readonly ws: string;
  readonly redis: TestRedisServer | undefined;
  readonly defer: (cleanup: () => unknown) => void;
  /** Another gateway: on the same memory bus, or with its own Redis bus on the same Redis. */
  addGateway(env?: Record<string, string>): Promise<StartedGateway>;
}

export interface GatewayStackOptions {
  /** Gateway env on top of PORT=0, SYMBOLS, TIMEFRAMES, LOG_LEVEL. */
  readonly gatewayEnv?: Record<string, string>;
  readonly workerEnv?: Record<string, string>;
  readonly busLimits?: Partial<BusLimits>;
  /** Use a private redis-server and createRedisBus instead of the memory bus. */
  readonly redis?: boolean;
  /** Wait until every channel has data before the stack is returned (default true). */
  readonly waitForData?: boolean;
  /** Start the (first) gateway before the worker, so it sees the worker's first status messages. */
  readonly gatewayFirst?: boolean;
  readonly simulator?: Partial<SimulatorOptions>;
}

export function gatewayEnv(env: Record<string, string> = {}): Record<string, string> {
  return { PORT: '0', SYMBOLS: 'BTCUSDT,ETHUSDT', TIMEFRAMES: '1,5', LOG_LEVEL: 'silent', ...env };
}

export async function startGatewayOn(defer: (cleanup: () => unknown) => void, bus: MarketBus, env: Record<string, string> = {}): Promise<StartedGateway> {
  const gateway = new Gateway(loadGatewayConfig({}, gatewayEnv(env), false), { bus, logger: silentLogger() });
  defer(() => gateway.stop());
  const { port } = await gateway.listen();
  return { gateway, port, http: `http://127.0.0.1:${port}${LIVE}`, ws: `ws://127.0.0.1:${port}${LIVE}` };
}

/** Resolves once every channel in `channels` has published at least once. */
export async function waitForChannels(bus: MarketBus, channels: readonly string[] = ALL_CHANNELS, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    `data on ${channels.join(', ')}`,
    async () => {
      const published = new Map((await bus.listChannels().catch(() => [])).map((info) => [info.channel, info.seq]));
      return channels.every((channel) => (published.get(channel) ?? 0) > 0);
    },
    timeoutMs,
    50,
  );
}

export async function startGatewayStack(t: TestContext, options: GatewayStackOptions = {}): Promise<GatewayStack> {
  const defer = deferCleanups(t);
  const limits: BusLimits = { ...DEFAULT_BUS_LIMITS, ...options.busLimits };
  const simulator = await startSimulator(options.simulator);
  defer(() => simulator.close());

  let redis: TestRedisServer | undefined;
  let bus: MarketBus;
  let makeGatewayBus: () => MarketBus;
  if (options.redis) {
    const server = await TestRedisServer.start();
    redis = server;
    defer(() => server.stop());
    const redisBus = () => createRedisBus({ url: server.url, prefix: '', limits, logger: silentLogger() });
    bus = redisBus();
    defer(() => bus.close());
    makeGatewayBus = () => {
      const gatewayBus = redisBus();
      defer(() => gatewayBus.close());
      return gatewayBus;
    };
  } else {
    bus = createMemoryBus({ prefix: '', limits });
    defer(() => bus.close());
    makeGatewayBus = () => bus;
  }

  const redisEnv: Record<string, string> = redis ? { REDIS_URL: redis.url } : {};
  const addGateway = (env: Record<string, string> = {}) => startGatewayOn(defer, makeGatewayBus(), { ...redisEnv, ...options.gatewayEnv, ...env });
  const gatewayBus = makeGatewayBus();
  const startFirst = () => startGatewayOn(defer, gatewayBus, { ...redisEnv, ...options.gatewayEnv });
  const early = options.gatewayFirst ? await startFirst() : undefined;

  const config = workerConfigFor(simulator, redis?.url ?? 'redis://127.0.0.1:6379', {
    env: {
      MESSAGE_HISTORY_SIZE: String(limits.messageHistorySize),
      ...options.workerEnv,
    },
  });
  const worker = await Worker.start(config, { bus, logger: silentLogger(), simulated: true, marketNow: () => simulator.virtualTimeMs });
  defer(() => worker.stop());
  if (options.waitForData ?? true) await waitForChannels(bus);
  const first = early ?? (await startFirst());
  return {
    simulator,
    bus,
    worker,
    gateway: first.gateway,
    gatewayBus,
    http: first.http,
    ws: first.ws,
    redis,
    defer,
    addGateway,
  };
}

/** Fetches JSON; resolves with the status and the parsed body. */
export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
