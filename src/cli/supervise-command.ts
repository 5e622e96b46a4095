/**
 * `tickstream supervise --run-dir DIR` (internal, started by `up`): runs the
 * plan `up` wrote until SIGTERM/SIGINT, then stops the stack in order and
 * exits 0. It logs at info whatever LOG_LEVEL says: its lines (starts,
 * restarts, stops) are the operator's record of what happened.
 * @module
 */
import { RunDir } from '../ops/run-dir.js';
import type { StackPlan } from '../ops/stack-plan.js';
import { Supervisor } from '../ops/supervisor.js';
import { createLogger } from '../shared/logger.js';
import { parseFlags, reportConfigError } from './parse-flags.js';

const SUPERVISE_FLAGS = { 'run-dir': { type: 'string' } } as const;

export async function runSuperviseCommand(argv: string[]): Promise<number> {
  let runDir: RunDir;
  try {
    runDir = RunDir.resolve(parseFlags(argv, SUPERVISE_FLAGS)['run-dir'] as string | undefined, process.env);
  } catch (error) {
    return reportConfigError(error);
  }
  const plan = runDir.readJson<StackPlan>(runDir.planFile);
  if (plan?.version !== 1 || !Array.isArray(plan.components)) {
    process.stderr.write(`tickstream supervise: no usable plan at ${runDir.planFile} (tickstream up writes it)\n`);
    return 2;
  }
  const logger = createLogger('info', 'tickstream-supervisor');
  runDir.writePid('supervisor', process.pid);
  const supervisor = new Supervisor(runDir, plan, logger);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal changes nothing: the stop is already bounded (SIGKILL after the grace), and `down` escalates itself.
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${signal}: stopping`);
    supervisor.stop().then(
      () => {
        runDir.removePid('supervisor');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: (error as Error).message }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Detached from any terminal already; a stray hang-up must not take the stack down.
  process.on('SIGHUP', () => logger.info('SIGHUP ignored'));
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection');
  });

  await supervisor.start();
  return new Promise<number>(() => undefined);
}
