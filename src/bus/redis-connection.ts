/**
 * One node-redis connection that can never take the process down: an `error`
 * listener is always attached (an unhandled `error` event is a crash, as the
 * socket.io redis-adapter learned), it reconnects forever with capped
 * exponential backoff and full jitter, and commands are never queued while it
 * is offline (`disableOfflineQueue`), so callers fail fast instead of building
 * an unbounded backlog. It also tracks a connection state worth reporting and
 * lets callers wait, briefly, for the very first connection attempt.
 * @module
 */
import { createClient, type RedisClientOptions } from 'redis';
import { Backoff } from '../shared/backoff.js';
import type { Logger } from '../shared/logger.js';
import { BusUnavailableError, type BusConnectionState } from './market-bus.js';

export type RedisClient = ReturnType<typeof createClient>;

/** First reconnect delay ceiling and the largest one: 100 ms doubling to 5 s. */
export const RECONNECT_BASE_DELAY_MS = 100;
export const RECONNECT_MAX_DELAY_MS = 5_000;
/** A TCP connect that takes longer than this counts as failed. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long an operation waits for the first connection attempt to settle. */
const FIRST_CONNECT_WAIT_MS = 3_000;

/** Socket options with a fresh backoff: each connection needs its own retry state. */
function socketOptions() {
  const backoff = new Backoff({ baseMs: RECONNECT_BASE_DELAY_MS, maxMs: RECONNECT_MAX_DELAY_MS, minMs: RECONNECT_BASE_DELAY_MS });
  return {
    connectTimeout: CONNECT_TIMEOUT_MS,
    // node-redis counts retries from 0 again after every successful connection.
    reconnectStrategy: (retries: number): number => {
      if (retries === 0) backoff.reset();
      return backoff.next();
    },
  };
}

/**
 * No `commandsQueueMaxLength`: it counts single commands, so when full it can
 * reject a command from the middle of a MULTI and Redis would run the rest.
 * The bus bounds its own backlog instead (MAX_PENDING_PUBLISHES, MAX_PENDING_READS).
 */
export function redisClientOptions(url: string): RedisClientOptions {
  return { url, disableOfflineQueue: true, socket: socketOptions() };
}

export class RedisConnection {
  readonly client: RedisClient;
  private firstAttemptSettled = false;
  private failedSinceReady = false;
  /** Times the connection was lost (or the first attempt failed); read by watchers that poll. */
  losses = 0;
  private lostAtMs: number | undefined;
  private closed = false;
  private readonly waiters = new Set<(event: 'ready' | 'error' | 'closed') => void>();
  private readonly readyHooks: (() => void)[] = [];

  /** Starts connecting in the background; never throws, whatever state Redis is in. */
  constructor(
    client: RedisClient,
    private readonly name: string,
    private readonly logger: Logger,
  ) {
    this.client = client;
    client.on('error', (error: Error) => this.handleError(error));
    client.on('ready', () => this.handleReady());
    client.connect().catch((error: unknown) => {
      // With a reconnect strategy that never gives up this only happens on close.
      if (!this.closed) this.logger.error({ err: error, connection: this.name }, 'redis connect gave up');
    });
  }

  static open(url: string, name: string, logger: Logger): RedisConnection {
    return new RedisConnection(createClient(redisClientOptions(url)), name, logger);
  }

  /** A second connection to the same server (Pub/Sub needs its own), with its own retry state. */
  duplicate(name: string): RedisConnection {
    return new RedisConnection(this.client.duplicate({ socket: socketOptions() }), name, this.logger);
  }

  get isReady(): boolean {
    return !this.closed && this.client.isReady;
  }

  /** `connecting` only until the first attempt settles; after a loss it is `disconnected` until ready again. */
  state(): BusConnectionState {
    if (this.isReady) return 'connected';
    if (this.closed || this.failedSinceReady) return 'disconnected';
    return 'connecting';
  }

  /** Runs after every (re)connection, once node-redis has restored its Pub/Sub subscriptions. */
  onReady(hook: () => void): void {
    this.readyHooks.push(hook);
  }

  /**
   * The client, if usable now. While the very first connection attempt is in
   * flight it waits for it (bounded); otherwise a down connection rejects at
   * once, unless `catchUpMs` is given: then it waits that long for the next
   * successful reconnect (for a connection still in backoff when Redis is
   * known to be back).
   */
  whenUsable(catchUpMs = 0): Promise<RedisClient> {
    if (this.isReady) return Promise.resolve(this.client);
    if (this.closed) return Promise.reject(this.unavailable());
    const firstAttempt = !this.firstAttemptSettled;
    if (!firstAttempt && catchUpMs <= 0) return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      const settle = (event: 'ready' | 'error' | 'timeout' | 'closed') => {
        // A failed retry does not end a catch-up wait; only success, close or the deadline do.
        if (event === 'error' && !firstAttempt) return;
        clearTimeout(timer);
        this.waiters.delete(settle);
        if (this.isReady) resolve(this.client);
        else reject(this.unavailable());
      };
      const timer = setTimeout(() => settle('timeout'), firstAttempt ? Math.max(FIRST_CONNECT_WAIT_MS, catchUpMs) : catchUpMs);
      this.waiters.add(settle);
    });
  }

  unavailable(): BusUnavailableError {
    return new BusUnavailableError(this.closed ? 'redis bus is closed' : `redis ${this.name} connection is down`);
  }

  /** Idempotent. Rejects whatever is in flight and stops reconnecting. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A connect attempt racing with destroy() may still open a socket: never let it hold the process.
    this.client.unref();
    try {
      this.client.destroy();
    } catch {
      // Already closed by node-redis: nothing to release.
    }
    this.wakeWaiters('closed');
  }

  private handleReady(): void {
    this.firstAttemptSettled = true;
    this.failedSinceReady = false;
    if (this.lostAtMs === undefined) this.logger.info({ connection: this.name }, 'redis connected');
    else this.logger.info({ connection: this.name, downMs: Date.now() - this.lostAtMs }, 'redis reconnected');
    this.lostAtMs = undefined;
    this.wakeWaiters('ready');
    for (const hook of this.readyHooks) hook();
  }

  private handleError(error: Error): void {
    this.firstAttemptSettled = true;
    if (this.closed) return;
    if (!this.failedSinceReady) {
      // Log the transition once at warn; the retries that follow are noise.
      this.failedSinceReady = true;
      this.losses++;
      this.lostAtMs = Date.now();
      this.logger.warn({ err: error, connection: this.name }, 'redis unavailable; reconnecting');
    } else {
      this.logger.debug({ err: error.message, connection: this.name }, 'redis reconnect attempt failed');
    }
    this.wakeWaiters('error');
  }

  private wakeWaiters(event: 'ready' | 'error' | 'closed'): void {
    for (const settle of [...this.waiters]) settle(event);
  }
}

/** Maps any transport failure to the bus's one error type (keeping the cause). */
export function toBusError(error: unknown, what: string): BusUnavailableError {
  if (error instanceof BusUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BusUnavailableError(`redis ${what} failed: ${message}`, { cause: error });
}

/** Waits for `promise` at most `timeoutMs`; never rejects. */
export async function settleWithin(promise: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    await Promise.race([promise.then(noop, noop), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {}
