/**
 * Options of the simulator, with defaults chosen so `BybitSimulator.start({})`
 * is a sensible demo and tests only override what they care about. They map
 * one to one onto the CLI flags (`--port`, `--seed`, `--time-scale`,
 * `--replay`).
 * @module
 */
import type { Category } from '../schemas/index.js';
import type { Logger } from '../shared/logger.js';

export interface SimulatorSymbols {
  readonly linear: readonly string[];
  readonly spot: readonly string[];
}

export interface SimulatorOptions {
  /** TCP port; 0 picks a free one (the CLI defaults to 9100). */
  readonly port: number;
  readonly host: string;
  readonly symbols: SimulatorSymbols;
  /** Seed of every random walk: same seed and start time, same history. */
  readonly seed: number;
  /** Virtual market time runs this many times faster than real time. */
  readonly timeScale: number;
  /** Virtual clock at start (default: now). With timeScale > 1 pass a past time so virtual time stays behind real time. */
  readonly startTimeMs: number;
  /** How often (real ms) the market model steps and frames are pushed. */
  readonly tickIntervalMs: number;
  /** JSONL file of raw Bybit frames to replay to subscribers of their topics. */
  readonly replayFile?: string;
  /** Real ms between replayed frames. */
  readonly replayIntervalMs: number;
  /** Start over at the end of the replay file. */
  readonly replayLoop: boolean;
  /** Also push the model's frames while replaying (default: the replay replaces them). */
  readonly replayWithModel: boolean;
  /** Category of every replayed frame; inferred per frame when absent. */
  readonly replayCategory?: Category;
  /** Candles synthesized before the start, per interval (never before the 2020-01-01 listing). */
  readonly historyCandles: number;
  /** Live candles kept per interval before the oldest are dropped. */
  readonly maxLiveCandles: number;
  /** Accept permessage-deflate when a client offers it, as Bybit does (turn off to save CPU in heavy tests). */
  readonly perMessageDeflate: boolean;
  /** Real ms after which a socket with no subscription and no ping is dropped (Bybit: about 61 s); 0 disables. */
  readonly idleTimeoutMs: number;
  /** One line per connection and subscription request; silent when absent. */
  readonly logger?: Logger;
}

export const DEFAULT_SYMBOLS: SimulatorSymbols = {
  linear: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
  spot: ['BTCUSDT', 'ETHUSDT'],
};

export const DEFAULT_SIMULATOR_OPTIONS: Omit<SimulatorOptions, 'startTimeMs'> = {
  port: 0,
  host: '127.0.0.1',
  symbols: DEFAULT_SYMBOLS,
  seed: 1,
  timeScale: 1,
  tickIntervalMs: 100,
  replayIntervalMs: 100,
  replayLoop: false,
  replayWithModel: false,
  historyCandles: 1500,
  maxLiveCandles: 20_000,
  idleTimeoutMs: 61_000,
  perMessageDeflate: true,
};

const SYMBOL = /^[A-Z0-9][A-Z0-9-]{0,29}$/;

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`simulator option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
  }
  return value;
}

/** Fills defaults and rejects nonsense early (a bad option should fail at start, not mid-test). */
export function resolveSimulatorOptions(options: Partial<SimulatorOptions>, nowMs: number = Date.now()): SimulatorOptions {
  const resolved: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS, startTimeMs: nowMs, ...stripUndefined(options) };
  for (const category of ['linear', 'spot'] as const) {
    for (const symbol of resolved.symbols[category]) {
      if (!SYMBOL.test(symbol)) throw new RangeError(`simulator symbol ${JSON.stringify(symbol)} (${category}) must be upper case`);
    }
  }
  positive('port', resolved.port, true);
  positive('timeScale', resolved.timeScale);
  positive('tickIntervalMs', resolved.tickIntervalMs);
  positive('replayIntervalMs', resolved.replayIntervalMs);
  positive('historyCandles', resolved.historyCandles, true);
  positive('maxLiveCandles', resolved.maxLiveCandles);
  positive('idleTimeoutMs', resolved.idleTimeoutMs, true);
  if (!Number.isInteger(resolved.seed)) throw new RangeError(`simulator seed must be an integer, got ${resolved.seed}`);
  if (!Number.isInteger(resolved.startTimeMs) || resolved.startTimeMs <= 0) throw new RangeError('simulator startTimeMs must be epoch ms');
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
