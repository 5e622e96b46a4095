/**
 * `tickstream start`: worker + gateway in one process, on Redis when REDIS_URL
 * is set, else on the in-memory bus (a fresh machine needs nothing but Node).
 * `tickstream demo`: the same, fed by the built-in simulator, fully offline;
 * everything it serves is marked simulated.
 * @module
 */
import type { LevelWithSilent } from 'pino';
import type { MarketBus } from '../bus/market-bus.js';
import { createMemoryBus } from '../bus/memory-bus.js';
import { createRedisBus } from '../bus/redis-bus.js';
import { loadGatewayConfig, type GatewayConfig } from '../config/gateway-config.js';
import { loadWorkerConfig, type WorkerConfig } from '../config/worker-config.js';
import { UnknownSymbolError } from '../exchanges/bybit/bybit-rest-client.js';
import { Gateway } from '../gateway/gateway.js';
import { Worker } from '../ingest/worker.js';
import { BybitSimulator } from '../simulator/index.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { GATEWAY_FLAGS } from './gateway-command.js';
import { parseFlags, reportConfigError } from './parse-flags.js';
import { onShutdownSignal } from './process-lifecycle.js';
import { WORKER_FLAGS } from './worker-command.js';

const STACK_FLAGS = { ...WORKER_FLAGS, ...GATEWAY_FLAGS, 'simulator-port': { type: 'string' } } as const;

export function runStartCommand(argv: string[]): Promise<number> {
  return runStack(argv, false);
}

export function runDemoCommand(argv: string[]): Promise<number> {
  return runStack(argv, true);
}

async function runStack(argv: string[], demo: boolean): Promise<number> {
  let flags: ReturnType<typeof parseFlags>;
  let gatewayConfig: GatewayConfig;
  let busLimits: WorkerConfig['limits'];
  try {
    flags = parseFlags(argv, STACK_FLAGS);
    gatewayConfig = loadGatewayConfig(flags, process.env, false);
    // Fails fast on a bad worker flag, before anything starts; the bus keeps what the worker is told to keep.
    busLimits = loadWorkerConfig(flags, process.env).limits;
  } catch (error) {
    return reportConfigError(error);
  }
  const logger = createLogger(gatewayConfig.logLevel as LevelWithSilent, demo ? 'tickstream-demo' : 'tickstream');
  const bus: MarketBus = gatewayConfig.redisUrl
    ? createRedisBus({ url: gatewayConfig.redisUrl, prefix: gatewayConfig.channelPrefix, limits: busLimits, logger: logger.child({ component: 'redis' }) })
    : createMemoryBus({ prefix: '', limits: busLimits, logger });

  let simulator: BybitSimulator | undefined;
  let worker: Worker | undefined;
  const gateway = new Gateway(gatewayConfig, { bus, logger: logger.child({ component: 'gateway' }), simulated: demo });
  onShutdownSignal(logger, async () => {
    await gateway.stop();
    const stats = worker ? await worker.stop() : undefined;
    await simulator?.close();
    await bus.close();
    logger.info({ stats }, 'final stats');
  });

  const env = { ...process.env };
  if (demo) {
    const port = Number(flags['simulator-port'] ?? process.env.SIMULATOR_PORT ?? 0);
    simulator = await BybitSimulator.start({ port, symbols: { linear: gatewayConfig.symbols, spot: gatewayConfig.symbols }, logger: logger.child({ component: 'simulator' }) });
    env.BYBIT_WS_URL = simulator.wsBaseUrl;
    env.BYBIT_REST_URL = simulator.restBaseUrl;
  }
  const workerConfig: WorkerConfig = loadWorkerConfig(flags, env);
  const { url } = await gateway.listen();
  logger.info(
    { url, bus: gatewayConfig.redisUrl ?? 'memory', simulator: simulator?.wsBaseUrl },
    `tickstream ${demo ? 'demo (simulated data)' : 'start'}: ${url}/api/v1/live, bus ${gatewayConfig.redisUrl ?? 'in-memory'}, ` +
      `symbols ${workerConfig.symbols.join(',')}, timeframes ${workerConfig.timeframes.join(',')}`,
  );
  try {
    worker = await Worker.start(workerConfig, { bus, logger: logger.child({ component: 'worker' }), simulated: demo });
  } catch (error) {
    return reportStartFailure(error, logger, async () => {
      await gateway.stop();
      await simulator?.close();
      await bus.close();
    });
  }
  return new Promise<number>(() => undefined);
}

async function reportStartFailure(error: unknown, logger: Logger, cleanup: () => Promise<void>): Promise<number> {
  await cleanup();
  if (error instanceof UnknownSymbolError) {
    logger.error({ symbols: error.symbols, code: error.code }, error.message);
    process.stderr.write(`tickstream: ${error.message}\n`);
    return 2;
  }
  throw error;
}
