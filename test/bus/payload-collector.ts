/**
 * Bounded waiting for the bus tests: a listener that records payloads and can
 * be awaited for the next N, and a poll-until helper. Every wait has a timeout
 * that fails the test with a message saying what never happened.
 */

export const DEFAULT_WAIT_MS = 5_000;

export class PayloadCollector {
  readonly payloads: string[] = [];
  private readonly waiters = new Set<() => void>();

  /** Pass this to bus.subscribe. */
  readonly listener = (payload: string): void => {
    this.payloads.push(payload);
    for (const wake of [...this.waiters]) wake();
  };

  /** seqs of everything received so far. */
  seqs(): number[] {
    return this.payloads.map((payload) => (JSON.parse(payload) as { seq: number }).seq);
  }

  /** Resolves once at least `count` payloads arrived in total. */
  async waitForCount(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<string[]> {
    await this.waitFor(() => this.payloads.length >= count, `${count} payloads (got ${this.payloads.length})`, timeoutMs);
    return this.payloads.slice(0, count);
  }

  async waitFor(done: () => boolean, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}

/** Polls `condition` every `intervalMs` until true; throws after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = DEFAULT_WAIT_MS, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Yields to the event loop a few times so anything already due gets delivered. */
export async function settleEventLoop(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** `promise`, or a rejection naming `what` after `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
