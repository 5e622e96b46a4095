/**
 * The gateway's configuration, from environment variables (the gateway has
 * no flags of its own beyond what `tickstream gateway` passes through).
 * Every limit is here, with its unit in its name.
 * @module
 */
import { DEFAULT_BUS_LIMITS, type BusLimits } from '../bus/market-bus.js';
import { CATEGORIES, TIMEFRAMES, type Timeframe } from '../schemas/index.js';
import { ConfigError } from './config-error.js';
import { envValue, pickValue, readBoolean, readChoice, readInteger, readList, readUrl } from './parse-values.js';
import { WORKER_DEFAULTS, type CliFlags } from './worker-config.js';

export interface GatewayLimits {
  /** Snapshot size when the client does not ask (`?limit=`). */
  readonly defaultSnapshotLimit: number;
  readonly maxSnapshotLimit: number;
  /** Largest inbound client message; bigger ones close the socket with 1009. */
  readonly maxInboundMessageBytes: number;
  /** Subscriptions one /ws connection may hold. */
  readonly maxSubscriptionsPerConnection: number;
  /** Outbound bytes queued for one client beyond which latest-state channels are conflated. */
  readonly softSendBufferBytes: number;
  /** Outbound bytes queued for one client beyond which it is closed as too slow (4409). */
  readonly maxSendBufferBytes: number;
  /** Live updates held for one joining or recovering subscription before it is reset from a snapshot. */
  readonly maxPendingUpdates: number;
  /** Open WebSocket connections one IP address may hold. */
  readonly maxConnectionsPerIp: number;
  /** New WebSocket connections one IP address may open per minute. */
  readonly newConnectionsPerIpPerMinute: number;
  /** Client messages per second per connection (bursts of twice that). */
  readonly inboundMessagesPerSecond: number;
}

export interface GatewaySecurity {
  /** HS256 secret: tokens required when set. */
  readonly jwtSecret: string | undefined;
  /** JWKS URL (RS256/ES256/PS256/EdDSA): tokens required when set. */
  readonly jwksUrl: string | undefined;
  /** Browser origins allowed to open WebSockets; empty = any. Requests without Origin (non-browsers) pass. */
  readonly allowedOrigins: readonly string[];
  /** permessage-deflate for clients (off by default: CPU and memory per socket). */
  readonly perMessageDeflate: boolean;
}

export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  /** undefined: the in-memory bus (only meaningful in `tickstream start`/`demo`). */
  readonly redisUrl: string | undefined;
  readonly channelPrefix: string;
  readonly heartbeatIntervalMs: number;
  /** Symbols and timeframes served (channels seen on the bus are served too). */
  readonly symbols: readonly string[];
  readonly timeframes: readonly Timeframe[];
  readonly limits: GatewayLimits;
  readonly security: GatewaySecurity;
  readonly busLimits: BusLimits;
  /** Which worker status to report, e.g. bybit:linear (from BYBIT_CATEGORY). */
  readonly upstream: string;
  /** A channel with no update for this long is listed as stale in /health. */
  readonly channelStaleMs: number;
  /** HEALTH_LOOP_DELAY_MS: an event-loop delay p99 above this makes /health degraded (the gateway is behind). */
  readonly healthLoopDelayMs: number;
  /**
   * FANOUT_FLUSH_MS: 0 (default) writes each client's messages of one event-loop turn together; above 0, those
   * of this many ms, so fewer send syscalls at wide fan-out for up to that much added latency.
   */
  readonly fanoutFlushMs: number;
  /** Folder of the built live page (WEB_ROOT; default dist/web of the package). */
  readonly webRoot: string | undefined;
  readonly logLevel: string;
  /** Client-requested symbols (see docs/client-protocol.md). */
  readonly dynamicSymbols: {
    /** Across the deployment (MAX_DYNAMIC_SYMBOLS; 0: clients may only use configured symbols). */
    readonly maxSymbols: number;
    /** Kept streamed this long after the last subscriber leaves (DYNAMIC_SYMBOL_LINGER_S). */
    readonly lingerMs: number;
  };
}

export const GATEWAY_DEFAULTS = {
  host: '127.0.0.1',
  port: 8000,
  heartbeatIntervalMs: 30_000,
  /** Half a second of event-loop delay at p99: far past anything a keeping-up gateway shows (its p99 is a few ms). */
  healthLoopDelayMs: 500,
  limits: {
    defaultSnapshotLimit: 200,
    maxSnapshotLimit: 1000,
    maxInboundMessageBytes: 4_096,
    maxSubscriptionsPerConnection: 50,
    softSendBufferBytes: 1024 * 1024,
    maxSendBufferBytes: 8 * 1024 * 1024,
    maxPendingUpdates: 10_000,
    maxConnectionsPerIp: 50,
    newConnectionsPerIpPerMinute: 120,
    inboundMessagesPerSecond: 10,
  } satisfies GatewayLimits,
} as const;

/**
 * @param requireRedis the standalone gateway needs Redis (default URL if unset);
 *   `start`/`demo` fall back to the in-memory bus when REDIS_URL is unset.
 */
export function loadGatewayConfig(flags: CliFlags, env: NodeJS.ProcessEnv, requireRedis: boolean): GatewayConfig {
  const value = (flag: string, envName: string) => pickValue(flags, env, flag, envName);
  const size = (envName: string, fallback: number, max = 1_000_000_000) => readInteger(envValue(env, envName), fallback, 1, max);
  const redisSource = value('redis-url', 'REDIS_URL');
  const redisUrl =
    redisSource.raw === undefined && !requireRedis ? undefined : readUrl(redisSource, WORKER_DEFAULTS.redisUrl, ['redis:', 'rediss:']);
  const timeframeSource = value('timeframes', 'TIMEFRAMES');
  const timeframes = readList(timeframeSource, WORKER_DEFAULTS.timeframes).map((raw) => {
    const match = TIMEFRAMES.find((tf) => tf === raw.toUpperCase());
    if (!match) throw new ConfigError(`${timeframeSource.label}: ${JSON.stringify(raw)} is not one of ${TIMEFRAMES.join(' ')}`);
    return match;
  });
  const limits: GatewayLimits = {
    defaultSnapshotLimit: size('SNAPSHOT_DEFAULT_LIMIT', GATEWAY_DEFAULTS.limits.defaultSnapshotLimit, 1000),
    maxSnapshotLimit: size('SNAPSHOT_MAX_LIMIT', GATEWAY_DEFAULTS.limits.maxSnapshotLimit, 1000),
    maxInboundMessageBytes: size('MAX_INBOUND_MESSAGE_BYTES', GATEWAY_DEFAULTS.limits.maxInboundMessageBytes, 1_048_576),
    maxSubscriptionsPerConnection: size('MAX_SUBSCRIPTIONS_PER_CONNECTION', GATEWAY_DEFAULTS.limits.maxSubscriptionsPerConnection, 10_000),
    softSendBufferBytes: size('SOFT_SEND_BUFFER_BYTES', GATEWAY_DEFAULTS.limits.softSendBufferBytes),
    maxSendBufferBytes: size('MAX_SEND_BUFFER_BYTES', GATEWAY_DEFAULTS.limits.maxSendBufferBytes),
    maxPendingUpdates: size('MAX_PENDING_UPDATES', GATEWAY_DEFAULTS.limits.maxPendingUpdates),
    maxConnectionsPerIp: size('MAX_CONNECTIONS_PER_IP', GATEWAY_DEFAULTS.limits.maxConnectionsPerIp),
    newConnectionsPerIpPerMinute: size('NEW_CONNECTIONS_PER_IP_PER_MINUTE', GATEWAY_DEFAULTS.limits.newConnectionsPerIpPerMinute),
    inboundMessagesPerSecond: size('INBOUND_MESSAGES_PER_SECOND', GATEWAY_DEFAULTS.limits.inboundMessagesPerSecond, 100_000),
  };
  const jwksUrl = env.AUTH_JWKS_URL ? readUrl(envValue(env, 'AUTH_JWKS_URL'), '', ['https:', 'http:']) : undefined;
  const security: GatewaySecurity = {
    jwtSecret: env.AUTH_JWT_SECRET || undefined,
    jwksUrl,
    allowedOrigins: env.ALLOWED_ORIGINS ? readList(envValue(env, 'ALLOWED_ORIGINS'), []) : [],
    perMessageDeflate: readBoolean(envValue(env, 'WS_PERMESSAGE_DEFLATE'), false),
  };
  if (security.jwtSecret !== undefined && security.jwtSecret.length < 32) {
    throw new ConfigError('AUTH_JWT_SECRET: use at least 32 characters (HS256 keys shorter than the hash are weak)');
  }
  if (limits.softSendBufferBytes >= limits.maxSendBufferBytes) throw new ConfigError('SOFT_SEND_BUFFER_BYTES must be below MAX_SEND_BUFFER_BYTES');
  if (limits.defaultSnapshotLimit > limits.maxSnapshotLimit) throw new ConfigError('SNAPSHOT_DEFAULT_LIMIT must be <= SNAPSHOT_MAX_LIMIT');
  return Object.freeze({
    host: value('host', 'HOST').raw ?? GATEWAY_DEFAULTS.host,
    port: readInteger(value('port', 'PORT'), GATEWAY_DEFAULTS.port, 0, 65_535),
    redisUrl,
    channelPrefix: env.REDIS_CHANNEL_PREFIX ?? '',
    heartbeatIntervalMs: readInteger(envValue(env, 'HEARTBEAT_INTERVAL_MS'), GATEWAY_DEFAULTS.heartbeatIntervalMs, 50, 3_600_000),
    symbols: readList(value('symbols', 'SYMBOLS'), WORKER_DEFAULTS.symbols).map((symbol) => symbol.toUpperCase()),
    timeframes: [...new Set(timeframes)],
    limits,
    security,
    busLimits: DEFAULT_BUS_LIMITS,
    upstream: `bybit:${readChoice(value('category', 'BYBIT_CATEGORY'), WORKER_DEFAULTS.category, CATEGORIES)}`,
    channelStaleMs: readInteger(envValue(env, 'CHANNEL_STALE_MS'), WORKER_DEFAULTS.channelStaleMs, 100, 86_400_000),
    healthLoopDelayMs: readInteger(envValue(env, 'HEALTH_LOOP_DELAY_MS'), GATEWAY_DEFAULTS.healthLoopDelayMs, 10, 60_000),
    fanoutFlushMs: readInteger(envValue(env, 'FANOUT_FLUSH_MS'), 0, 0, 100),
    webRoot: env.WEB_ROOT || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    dynamicSymbols: {
      maxSymbols: readInteger(envValue(env, 'MAX_DYNAMIC_SYMBOLS'), WORKER_DEFAULTS.maxDynamicSymbols, 0, 100),
      lingerMs: 1000 * readInteger(envValue(env, 'DYNAMIC_SYMBOL_LINGER_S'), 60, 1, 86_400),
    },
  });
}
