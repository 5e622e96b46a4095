/**
 * The ingest stack for integration tests, all real parts: the simulator on a
 * free port, a private redis-server, the worker with the Redis bus, and an
 * independent subscriber. Timings are shortened through the same env vars an
 * operator would use; the simulator's market clock runs 60x faster so candles
 * close every second.
 */
import type { TestContext } from 'node:test';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import type { MarketBus } from '../../src/bus/market-bus.js';
import { loadWorkerConfig, type WorkerConfig } from '../../src/config/worker-config.js';
import { Worker } from '../../src/ingest/worker.js';
import { BybitSimulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { silentLogger } from '../../src/shared/logger.js';
import { ChannelObserver } from './channel-observer.js';
import { deferCleanups } from './deferred-cleanup.js';
import { TestRedisServer } from './redis-server.js';

export const FAST_LINK_ENV = {
  BYBIT_PING_INTERVAL_MS: '300',
  BYBIT_PONG_TIMEOUT_MS: '1000',
  BYBIT_SILENCE_TIMEOUT_MS: '1500',
  BYBIT_CONNECT_TIMEOUT_MS: '2000',
  BYBIT_ACK_TIMEOUT_MS: '3000',
  BYBIT_RECONNECT_BASE_MS: '100',
  BYBIT_RECONNECT_MAX_MS: '400',
  BYBIT_HEALTHY_RESET_MS: '5000',
  CHANNEL_STALE_MS: '5000',
  LOG_LEVEL: 'silent',
} as const;

/** One minute of market time per real second. */
export const TIME_SCALE = 60;

export interface StackOptions {
  readonly flags?: Record<string, string | boolean>;
  readonly env?: Record<string, string>;
  readonly simulator?: Partial<SimulatorOptions>;
}

export interface WorkerStack {
  readonly simulator: BybitSimulator;
  readonly redis: TestRedisServer;
  readonly bus: MarketBus;
  readonly observer: ChannelObserver;
  readonly config: WorkerConfig;
  worker: Worker;
}

export async function startSimulator(options: Partial<SimulatorOptions> = {}): Promise<BybitSimulator> {
  return BybitSimulator.start({
    timeScale: TIME_SCALE,
    // Virtual time starts in the past so an accelerated clock never runs ahead of real time.
    startTimeMs: Date.now() - 6 * 3_600_000,
    tickIntervalMs: 50,
    ...options,
  });
}

export function workerConfigFor(simulator: BybitSimulator, redisUrl: string, options: StackOptions = {}): WorkerConfig {
  return loadWorkerConfig(
    { symbols: 'BTCUSDT,ETHUSDT', timeframes: '1,5', ...options.flags },
    {
      ...FAST_LINK_ENV,
      BYBIT_WS_URL: simulator.wsBaseUrl,
      BYBIT_REST_URL: simulator.restBaseUrl,
      REDIS_URL: redisUrl,
      ...options.env,
    },
  );
}

/** Starts everything; one `after` hook stops it all in reverse order. */
export async function startWorkerStack(t: TestContext, options: StackOptions = {}): Promise<WorkerStack> {
  const defer = deferCleanups(t);
  const simulator = await startSimulator(options.simulator);
  defer(() => simulator.close());
  const redis = await TestRedisServer.start();
  defer(() => redis.stop());
  const config = workerConfigFor(simulator, redis.url, options);
  const bus = createRedisBus({ url: config.redisUrl, prefix: config.channelPrefix, limits: config.limits, logger: silentLogger() });
  defer(() => bus.close());
  const observer = await ChannelObserver.start(redis.url, config.channelPrefix);
  defer(() => observer.close());
  const worker = await Worker.start(config, { bus, logger: silentLogger(), simulated: true, marketNow: () => simulator.virtualTimeMs });
  const stack: WorkerStack = { simulator, redis, bus, observer, config, worker };
  defer(() => stack.worker.stop());
  return stack;
}
