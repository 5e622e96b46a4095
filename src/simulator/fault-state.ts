/**
 * The switches tests flip to make the simulator misbehave the way Bybit
 * sometimes does: a silent data stall, missing pongs, refused connections and
 * subscriptions rejected with `handler not found`. Book-level faults (gap,
 * restart, crossed book) live on the book publishers; this holds the
 * connection-level ones.
 * @module
 */

export class FaultState {
  /** Data frames are dropped; pings and subscribes are still answered. */
  dataStalled = false;
  /** Pings are counted but not answered. */
  pongsStopped = false;
  /** New WebSocket upgrades get HTTP 503. */
  refusingConnections = false;
  /** REST market endpoints answer HTTP 503 (an exchange REST outage). */
  restFailing = false;
  private readonly rejections: RegExp[] = [];
  private stallTimer: NodeJS.Timeout | undefined;

  /** A string is a topic prefix ("orderbook." or "kline.1.BTCUSDT"); a RegExp is matched as is. */
  rejectSubscriptions(pattern: string | RegExp): void {
    this.rejections.push(typeof pattern === 'string' ? new RegExp(`^${escapeRegExp(pattern)}`) : pattern);
  }

  clearRejections(): void {
    this.rejections.length = 0;
  }

  isRejected(topic: string): boolean {
    return this.rejections.some((pattern) => {
      pattern.lastIndex = 0;
      return pattern.test(topic);
    });
  }

  get rejectionPatterns(): string[] {
    return this.rejections.map((pattern) => pattern.source);
  }

  /** Stops data frames; with a duration, resumes by itself after that many real ms. */
  stallData(durationMs?: number): void {
    this.dataStalled = true;
    this.clearStallTimer();
    if (durationMs !== undefined && durationMs > 0) {
      this.stallTimer = setTimeout(() => {
        this.stallTimer = undefined;
        this.dataStalled = false;
      }, durationMs);
    }
  }

  resumeData(): void {
    this.clearStallTimer();
    this.dataStalled = false;
  }

  dispose(): void {
    this.clearStallTimer();
  }

  private clearStallTimer(): void {
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
