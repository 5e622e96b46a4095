/** `tickstream gateway`: the Redis bus → WebSocket/REST fan-out, until a signal. @module */
import type { LevelWithSilent } from 'pino';
import { createRedisBus } from '../bus/redis-bus.js';
import { loadGatewayConfig, type GatewayConfig } from '../config/gateway-config.js';
import { Gateway } from '../gateway/gateway.js';
import { createLogger } from '../shared/logger.js';
import { parseFlags, reportConfigError } from './parse-flags.js';
import { onShutdownSignal } from './process-lifecycle.js';

export const GATEWAY_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'redis-url': { type: 'string' },
  symbols: { type: 'string' },
  timeframes: { type: 'string' },
  category: { type: 'string' },
} as const;

export async function runGatewayCommand(argv: string[]): Promise<number> {
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig(parseFlags(argv, GATEWAY_FLAGS), process.env, true);
  } catch (error) {
    return reportConfigError(error);
  }
  const logger = createLogger(config.logLevel as LevelWithSilent, 'tickstream-gateway');
  const bus = createRedisBus({ url: config.redisUrl!, prefix: config.channelPrefix, limits: config.busLimits, logger: logger.child({ component: 'redis' }) });
  const gateway = new Gateway(config, { bus, logger });
  onShutdownSignal(logger, async () => {
    await gateway.stop();
    await bus.close();
  });
  const { url } = await gateway.listen();
  logger.info({ url, redis: config.redisUrl }, `tickstream gateway listening on ${url}/api/v1/live`);
  return new Promise<number>(() => undefined);
}
