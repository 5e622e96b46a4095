/** `tickstream worker`: config → Redis bus → Worker, until a signal. @module */
import { createRedisBus } from '../bus/redis-bus.js';
import { loadWorkerConfig, bybitWsEndpoint, type WorkerConfig } from '../config/worker-config.js';
import { UnknownSymbolError } from '../exchanges/bybit/bybit-rest-client.js';
import { Worker } from '../ingest/worker.js';
import { createLogger } from '../shared/logger.js';
import type { LevelWithSilent } from 'pino';
import { parseFlags, reportConfigError } from './parse-flags.js';
import { onShutdownSignal } from './process-lifecycle.js';

export const WORKER_FLAGS = {
  symbols: { type: 'string' },
  timeframes: { type: 'string' },
  category: { type: 'string' },
  testnet: { type: 'boolean' },
  'orderbook-depth': { type: 'string' },
  'status-interval': { type: 'string' },
  'redis-url': { type: 'string' },
  'bybit-ws-url': { type: 'string' },
  'bybit-rest-url': { type: 'string' },
} as const;

export async function runWorkerCommand(argv: string[]): Promise<number> {
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig(parseFlags(argv, WORKER_FLAGS), process.env);
  } catch (error) {
    return reportConfigError(error);
  }
  const logger = createLogger(config.logLevel as LevelWithSilent, 'tickstream-worker');
  logger.info(
    {
      symbols: config.symbols,
      timeframes: config.timeframes,
      category: config.category,
      network: config.testnet ? 'testnet' : 'mainnet',
      endpoint: bybitWsEndpoint(config),
      rest: config.bybitRestUrl,
      redis: redactUrl(config.redisUrl),
      prefix: config.channelPrefix,
      orderBookDepth: config.orderBookDepth,
    },
    `tickstream worker: Bybit ${config.category} ${config.testnet ? 'testnet' : 'mainnet'}, ` +
      `symbols ${config.symbols.join(',')}, timeframes ${config.timeframes.join(',')}, ` +
      `orderbook depth ${config.orderBookDepth}, redis ${redactUrl(config.redisUrl)}`,
  );
  const bus = createRedisBus({ url: config.redisUrl, prefix: config.channelPrefix, limits: config.limits, logger: logger.child({ component: 'redis' }) });
  let worker: Worker | undefined;
  let stopRequested = false;
  onShutdownSignal(logger, async () => {
    stopRequested = true;
    const stats = worker ? await worker.stop() : undefined;
    await bus.close();
    logger.info({ stats }, 'final stats');
  });
  try {
    worker = await Worker.start(config, { bus, logger, simulated: process.env.TICKSTREAM_SIMULATED === '1' });
  } catch (error) {
    if (stopRequested) return 0;
    await bus.close();
    if (error instanceof UnknownSymbolError) {
      logger.error({ symbols: error.symbols, code: error.code }, error.message);
      process.stderr.write(`tickstream: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  // Keep running until a signal: the connection and timers hold the event loop.
  return new Promise<number>(() => undefined);
}

/** Hides a password in redis://user:pass@host. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
