/**
 * Signal handling for long-running subcommands: the first SIGINT/SIGTERM runs
 * the graceful stop (bounded by a deadline), a second one exits at once.
 * Unhandled rejections are logged, never fatal: a Redis or exchange fault must
 * not take the process down.
 * @module
 */
import type { Logger } from '../shared/logger.js';

export function onShutdownSignal(logger: Logger, stop: () => Promise<void>, deadlineMs = 8_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs }, 'graceful shutdown took too long; exiting');
      process.exit(1);
    }, deadlineMs);
    deadline.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: (error as Error).message }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection');
  });
}
