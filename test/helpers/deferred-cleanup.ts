import type { TestContext } from 'node:test';

/**
 * Cleanups that run last-registered-first (node:test's `after` hooks run in
 * registration order, which would stop Redis before the clients using it).
 */
export function deferCleanups(t: TestContext): (cleanup: () => unknown) => void {
  const cleanups: (() => unknown)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        /* keep cleaning up */
      }
    }
  });
  return (cleanup) => cleanups.push(cleanup);
}
