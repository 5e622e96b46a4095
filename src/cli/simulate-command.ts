/** `tickstream simulate`: the Bybit v5-compatible simulator as a standalone server. @module */
import type { LevelWithSilent } from 'pino';
import { ConfigError } from '../config/config-error.js';
import { pickValue, readInteger, readList } from '../config/parse-values.js';
import { BybitSimulator } from '../simulator/index.js';
import { createLogger } from '../shared/logger.js';
import { parseFlags, reportConfigError } from './parse-flags.js';
import { onShutdownSignal } from './process-lifecycle.js';

const SIMULATE_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  seed: { type: 'string' },
  'time-scale': { type: 'string' },
  replay: { type: 'string' },
  symbols: { type: 'string' },
  'spot-symbols': { type: 'string' },
} as const;

export async function runSimulateCommand(argv: string[]): Promise<number> {
  let options: Parameters<typeof BybitSimulator.start>[0];
  try {
    const flags = parseFlags(argv, SIMULATE_FLAGS);
    const env = process.env;
    const timeScale = Number(pickValue(flags, env, 'time-scale', 'SIMULATOR_TIME_SCALE').raw ?? '1');
    if (!Number.isFinite(timeScale) || timeScale <= 0 || timeScale > 10_000) {
      throw new ConfigError('--time-scale (SIMULATOR_TIME_SCALE): expected a number > 0 and <= 10000');
    }
    const replay = pickValue(flags, env, 'replay', 'SIMULATOR_REPLAY_FILE').raw;
    options = {
      port: readInteger(pickValue(flags, env, 'port', 'SIMULATOR_PORT'), 9100, 0, 65_535),
      host: pickValue(flags, env, 'host', 'SIMULATOR_HOST').raw ?? '127.0.0.1',
      seed: readInteger(pickValue(flags, env, 'seed', 'SIMULATOR_SEED'), 1, 0, 2 ** 31 - 1),
      timeScale,
      symbols: {
        linear: readList(pickValue(flags, env, 'symbols', 'SIMULATOR_SYMBOLS'), ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']).map((s) => s.toUpperCase()),
        spot: readList(pickValue(flags, env, 'spot-symbols', 'SIMULATOR_SPOT_SYMBOLS'), ['BTCUSDT', 'ETHUSDT']).map((s) => s.toUpperCase()),
      },
      ...(replay ? { replayFile: replay } : {}),
    };
  } catch (error) {
    return reportConfigError(error);
  }
  const logger = createLogger((process.env.LOG_LEVEL ?? 'info') as LevelWithSilent, 'tickstream-simulator');
  const simulator = await BybitSimulator.start({ ...options, logger });
  logger.info(
    { ws: simulator.wsBaseUrl, rest: simulator.restBaseUrl },
    `tickstream simulator listening: BYBIT_WS_URL=${simulator.wsBaseUrl} BYBIT_REST_URL=${simulator.restBaseUrl}`,
  );
  onShutdownSignal(logger, () => simulator.close());
  return new Promise<number>(() => undefined);
}
