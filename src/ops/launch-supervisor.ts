/**
 * Starts `tickstream supervise` so that it outlives `up`: detached (its own
 * session and process group, so the terminal's Ctrl-C or hang-up does not
 * reach the stack), unreferenced (`up` may exit), output to
 * logs/supervisor.log, and `up`'s environment passed through unchanged.
 * @module
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { tickstreamCommand } from './cli-entry.js';
import type { RunDir } from './run-dir.js';
import type { StackPlan } from './stack-plan.js';

/** Writes the plan where the supervisor reads it, starts the supervisor, returns its PID. */
export function launchSupervisor(runDir: RunDir, plan: StackPlan): number {
  runDir.writeJson(runDir.planFile, plan);
  // An earlier stack's record must not be read as this one's; the new supervisor writes its own at once.
  rmSync(runDir.stateFile, { force: true });
  const { command, args } = tickstreamCommand();
  const log = openSync(runDir.logFile('supervisor'), 'a', 0o600);
  try {
    const child = spawn(command, [...args, 'supervise', '--run-dir', runDir.path], { detached: true, stdio: ['ignore', log, log], env: process.env });
    // A spawn failure also arrives as an `error` event; unheard, it would crash `up` instead of being reported.
    child.once('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start the supervisor (${command})`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}
