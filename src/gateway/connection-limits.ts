/**
 * Per-IP limits on the way in: how many sockets one address may hold, and how
 * fast it may open new ones (a token bucket per address). Buckets of idle
 * addresses are dropped so the table cannot grow without bound.
 * @module
 */

export interface ConnectionLimitConfig {
  readonly maxConnectionsPerIp: number;
  /** New connections per IP per minute (bucket size and refill). */
  readonly newConnectionsPerIpPerMinute: number;
}

interface Bucket {
  tokens: number;
  refilledAtMs: number;
}

const MAX_TRACKED_ADDRESSES = 100_000;

export class ConnectionLimits {
  private readonly open = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: ConnectionLimitConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** undefined when admitted (and counted), else why not. */
  admit(ip: string): 'too-many-connections' | 'rate-limited' | undefined {
    if ((this.open.get(ip) ?? 0) >= this.config.maxConnectionsPerIp) return 'too-many-connections';
    if (!this.takeToken(ip)) return 'rate-limited';
    this.open.set(ip, (this.open.get(ip) ?? 0) + 1);
    return undefined;
  }

  release(ip: string): void {
    const count = (this.open.get(ip) ?? 1) - 1;
    if (count <= 0) this.open.delete(ip);
    else this.open.set(ip, count);
  }

  private takeToken(ip: string): boolean {
    const capacity = this.config.newConnectionsPerIpPerMinute;
    const now = this.now();
    let bucket = this.buckets.get(ip);
    if (!bucket) {
      if (this.buckets.size >= MAX_TRACKED_ADDRESSES) this.evictIdle(now);
      bucket = { tokens: capacity, refilledAtMs: now };
      this.buckets.set(ip, bucket);
    }
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.refilledAtMs) / 60_000) * capacity);
    bucket.refilledAtMs = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private evictIdle(now: number): void {
    for (const [ip, bucket] of this.buckets) {
      if (now - bucket.refilledAtMs > 60_000 && !this.open.has(ip)) this.buckets.delete(ip);
    }
  }
}

/**
 * Inbound message rate per connection: a token bucket of `perSecond` tokens,
 * bursts up to `burst`.
 */
export class MessageRateLimiter {
  private tokens: number;
  private refilledAtMs: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.refilledAtMs = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAtMs) / 1000) * this.perSecond);
    this.refilledAtMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
