/**
 * "Redis is not answering": set when an operation misses its deadline (a hung
 * or paused Redis keeps its TCP connection open, so nothing else notices),
 * cleared by anything Redis answers. While set, Redis is pinged every second
 * (one ping at a time), so a process that only listens, such as a gateway,
 * still sees the recovery.
 * @module
 */
import type { Logger } from '../shared/logger.js';

const PROBE_INTERVAL_MS = 1_000;

export class RedisStallWatch {
  private sinceMs: number | undefined;
  private probe: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly logger: Logger,
    /** A PING when the connection is usable now, else undefined (not tried). */
    private readonly ping: () => Promise<unknown> | undefined,
  ) {}

  get stalled(): boolean {
    return this.sinceMs !== undefined;
  }

  /** An operation got no reply in time. */
  mark(what: string, deadlineMs: number): void {
    if (this.sinceMs !== undefined || this.closed) return;
    this.sinceMs = Date.now();
    this.logger.warn({ what, deadlineMs }, 'redis is not answering');
    let probing = false;
    this.probe = setInterval(() => {
      const reply = probing ? undefined : this.ping();
      if (!reply) return;
      probing = true;
      reply.then(
        () => this.clear(),
        () => undefined,
      ).finally(() => (probing = false));
    }, PROBE_INTERVAL_MS);
    this.probe.unref();
  }

  /** Redis answered something. */
  clear(): void {
    this.sinceMs = undefined;
    clearInterval(this.probe);
    this.probe = undefined;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.probe);
  }
}
