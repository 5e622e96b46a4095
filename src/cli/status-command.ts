/**
 * `tickstream status`: one line per component of the stack in the run
 * directory, each from a real check (stack-checks.ts). Exit 0 only when every
 * expected component is up; 1 otherwise, also when no stack was ever started.
 * @module
 */
import { RunDir } from '../ops/run-dir.js';
import { checkStack, formatLine } from '../ops/stack-checks.js';
import { readState } from '../ops/stack-state.js';
import { parseFlags, reportConfigError } from './parse-flags.js';

const STATUS_FLAGS = { 'run-dir': { type: 'string' } } as const;

export async function runStatusCommand(argv: string[]): Promise<number> {
  let runDir: RunDir;
  try {
    runDir = RunDir.resolve(parseFlags(argv, STATUS_FLAGS)['run-dir'] as string | undefined, process.env);
  } catch (error) {
    return reportConfigError(error);
  }
  const state = readState(runDir);
  if (!state) {
    process.stdout.write(`[FAIL] Stack: Not started (no state file ${runDir.display(runDir.stateFile)}; tickstream up starts one)\n`);
    return 1;
  }
  const lines = await checkStack(runDir, state);
  for (const line of lines) process.stdout.write(`${formatLine(line)}\n`);
  return lines.every((line) => line.ok) ? 0 : 1;
}
