/**
 * The worker's configuration: flags first, then environment, then defaults.
 * This module and `cli/` are the only readers of process.env; everything else
 * receives the frozen, typed result.
 * @module
 */
import { hostname } from 'node:os';
import { CATEGORIES, ORDERBOOK_DEPTHS, TIMEFRAMES, type Category, type OrderBookDepth, type Timeframe } from '../schemas/index.js';
import { DEFAULT_BUS_LIMITS, type BusLimits } from '../bus/market-bus.js';
import type { BybitConnectionTimings } from '../exchanges/bybit/bybit-connection.js';
import { ConfigError } from './config-error.js';
import { envValue, pickValue, type ValueSource, readBoolean, readChoice, readInteger, readList, readUrl } from './parse-values.js';

/** Liveness and backoff timings of the Bybit link (documented on BybitConnectionTimings). */
export type LinkTimings = BybitConnectionTimings;

export interface WorkerConfig {
  readonly category: Category;
  readonly testnet: boolean;
  readonly symbols: readonly string[];
  readonly timeframes: readonly Timeframe[];
  readonly orderBookDepth: OrderBookDepth;
  readonly statusIntervalS: number;
  readonly redisUrl: string;
  readonly channelPrefix: string;
  /** Base URLs without path; the worker appends /v5/public/{category}. */
  readonly bybitWsUrl: string;
  readonly bybitRestUrl: string;
  readonly limits: BusLimits;
  readonly link: LinkTimings;
  /** A candles, ticker or orderbook channel silent this long is reported stale (books are resynced). */
  readonly channelStaleMs: number;
  /** How often a candle hole that a failed backfill left open is tried again. */
  readonly candleRepairIntervalMs: number;
  readonly logLevel: string;
  /** Names this worker in leases, the worker registry and status messages (unique per running worker). */
  readonly workerId: string;
  /** A symbol's lease lapses this long after its worker last renewed it; another worker then takes it over. */
  readonly leaseTtlMs: number;
  /** Client-requested symbols this worker streams at most (0: only configured symbols). */
  readonly maxDynamicSymbols: number;
  /** Symbols this worker streams at most, configured and requested together (its socket's topic budget). */
  readonly maxSymbols: number;
}

export const WORKER_DEFAULTS = {
  symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
  timeframes: ['1', '5', '15'] as Timeframe[],
  category: 'linear' as Category,
  orderBookDepth: 50 as OrderBookDepth,
  statusIntervalS: 60,
  redisUrl: 'redis://127.0.0.1:6379',
  mainnet: { ws: 'wss://stream.bybit.com', rest: 'https://api.bybit.com' },
  testnet: { ws: 'wss://stream-testnet.bybit.com', rest: 'https://api-testnet.bybit.com' },
  link: {
    pingIntervalMs: 20_000,
    pongTimeoutMs: 10_000,
    silenceTimeoutMs: 15_000,
    connectTimeoutMs: 10_000,
    ackTimeoutMs: 10_000,
    reconnectBaseMs: 1_000,
    reconnectMaxMs: 30_000,
    healthyResetMs: 30_000,
  } satisfies LinkTimings,
  channelStaleMs: 60_000,
  candleRepairIntervalMs: 15_000,
  leaseTtlMs: 5_000,
  maxDynamicSymbols: 10,
} as const;

const SYMBOL_PATTERN = /^[A-Z0-9][A-Z0-9-]{0,29}$/;
/** About 200 topics per socket is what Bybit's own guidance and field reports support. */
const MAX_TOPICS_PER_WORKER = 200;

export type CliFlags = Readonly<Record<string, string | boolean | undefined>>;

export function loadWorkerConfig(flags: CliFlags, env: NodeJS.ProcessEnv): WorkerConfig {
  const value = (flag: string, envName: string) => pickValue(flags, env, flag, envName);

  const symbols = readList(value('symbols', 'SYMBOLS'), WORKER_DEFAULTS.symbols).map((symbol) => symbol.toUpperCase());
  for (const symbol of symbols) {
    if (!SYMBOL_PATTERN.test(symbol)) throw new ConfigError(`--symbols (SYMBOLS): ${JSON.stringify(symbol)} is not a symbol`);
  }
  if (symbols.length > 100) throw new ConfigError('--symbols (SYMBOLS): at most 100 symbols per worker');

  const timeframeSource = value('timeframes', 'TIMEFRAMES');
  const timeframes = readList(timeframeSource, WORKER_DEFAULTS.timeframes).map((raw) => {
    const normalized = raw.toUpperCase();
    const match = TIMEFRAMES.find((tf) => tf === normalized);
    if (!match) throw new ConfigError(`${timeframeSource.label}: ${JSON.stringify(raw)} is not one of ${TIMEFRAMES.join(' ')}`);
    return match;
  });

  const testnet = readBoolean(value('testnet', 'BYBIT_TESTNET'), false);
  const network = testnet ? WORKER_DEFAULTS.testnet : WORKER_DEFAULTS.mainnet;
  const link = WORKER_DEFAULTS.link;
  const ms = (envName: string, fallback: number, min = 10) => readInteger(envValue(env, envName), fallback, min, 3_600_000);
  const size = (envName: string, fallback: number) => readInteger(envValue(env, envName), fallback, 1, 1_000_000);

  const config: WorkerConfig = {
    category: readChoice(value('category', 'BYBIT_CATEGORY'), WORKER_DEFAULTS.category, CATEGORIES),
    testnet,
    symbols,
    timeframes: [...new Set(timeframes)],
    orderBookDepth: readChoice(value('orderbook-depth', 'ORDERBOOK_DEPTH'), WORKER_DEFAULTS.orderBookDepth, ORDERBOOK_DEPTHS),
    statusIntervalS: readInteger(value('status-interval', 'STATUS_INTERVAL_S'), WORKER_DEFAULTS.statusIntervalS, 1, 86_400),
    redisUrl: readUrl(value('redis-url', 'REDIS_URL'), WORKER_DEFAULTS.redisUrl, ['redis:', 'rediss:']),
    channelPrefix: env.REDIS_CHANNEL_PREFIX ?? '',
    bybitWsUrl: readUrl(value('bybit-ws-url', 'BYBIT_WS_URL'), network.ws, ['ws:', 'wss:']),
    bybitRestUrl: readUrl(value('bybit-rest-url', 'BYBIT_REST_URL'), network.rest, ['http:', 'https:']),
    limits: {
      candleHistorySize: size('CANDLE_HISTORY_SIZE', DEFAULT_BUS_LIMITS.candleHistorySize),
      tradeHistorySize: size('TRADE_HISTORY_SIZE', DEFAULT_BUS_LIMITS.tradeHistorySize),
      messageHistorySize: size('MESSAGE_HISTORY_SIZE', DEFAULT_BUS_LIMITS.messageHistorySize),
    },
    link: {
      pingIntervalMs: ms('BYBIT_PING_INTERVAL_MS', link.pingIntervalMs),
      pongTimeoutMs: ms('BYBIT_PONG_TIMEOUT_MS', link.pongTimeoutMs),
      silenceTimeoutMs: ms('BYBIT_SILENCE_TIMEOUT_MS', link.silenceTimeoutMs),
      connectTimeoutMs: ms('BYBIT_CONNECT_TIMEOUT_MS', link.connectTimeoutMs),
      ackTimeoutMs: ms('BYBIT_ACK_TIMEOUT_MS', link.ackTimeoutMs),
      reconnectBaseMs: ms('BYBIT_RECONNECT_BASE_MS', link.reconnectBaseMs),
      reconnectMaxMs: ms('BYBIT_RECONNECT_MAX_MS', link.reconnectMaxMs),
      healthyResetMs: ms('BYBIT_HEALTHY_RESET_MS', link.healthyResetMs),
    },
    channelStaleMs: ms('CHANNEL_STALE_MS', WORKER_DEFAULTS.channelStaleMs, 100),
    candleRepairIntervalMs: ms('CANDLE_REPAIR_INTERVAL_MS', WORKER_DEFAULTS.candleRepairIntervalMs, 100),
    logLevel: env.LOG_LEVEL ?? 'info',
    workerId: readWorkerId(envValue(env, 'WORKER_ID')),
    leaseTtlMs: readInteger(envValue(env, 'LEASE_TTL_MS'), WORKER_DEFAULTS.leaseTtlMs, 300, 600_000),
    maxDynamicSymbols: readInteger(envValue(env, 'MAX_DYNAMIC_SYMBOLS'), WORKER_DEFAULTS.maxDynamicSymbols, 0, 100),
    maxSymbols: Math.floor(MAX_TOPICS_PER_WORKER / (new Set(timeframes).size + 3)),
  };
  const topics = config.symbols.length * (config.timeframes.length + 3);
  if (topics > MAX_TOPICS_PER_WORKER) {
    throw new ConfigError(
      `--symbols × (--timeframes + 3) = ${topics} topics; one worker socket carries at most ${MAX_TOPICS_PER_WORKER} (Bybit guidance): run more workers`,
    );
  }
  if (config.link.reconnectMaxMs < config.link.reconnectBaseMs) {
    throw new ConfigError('BYBIT_RECONNECT_MAX_MS must be >= BYBIT_RECONNECT_BASE_MS');
  }
  return Object.freeze(config);
}

const WORKER_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

function readWorkerId(source: ValueSource): string {
  const value = source.raw;
  if (value === undefined) return `${hostname()}-${process.pid}`;
  if (!WORKER_ID_PATTERN.test(value)) throw new ConfigError(`${source.label}: ${JSON.stringify(value)} must be 1-64 of A-Z a-z 0-9 . _ : -`);
  return value;
}

/** The WebSocket endpoint for the configured category. */
export function bybitWsEndpoint(config: Pick<WorkerConfig, 'bybitWsUrl' | 'category'>): string {
  return `${config.bybitWsUrl}/v5/public/${config.category}`;
}
