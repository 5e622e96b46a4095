/** Time helpers with the units in their names. @module */

/** ISO-8601 UTC with milliseconds: the `received_at` format. */
export function isoNow(nowMs: number = Date.now()): string {
  return new Date(nowMs).toISOString();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
