/**
 * `tickstream down`: stops the stack in the run directory (stop-stack.ts):
 * gateways, workers, the simulator, then Redis if `up` started it; bounded,
 * SIGKILL after the grace. No stack running is not an error: exit 0.
 * @module
 */
import { RunDir } from '../ops/run-dir.js';
import { stopStack } from '../ops/stop-stack.js';
import { parseFlags, reportConfigError } from './parse-flags.js';

const DOWN_FLAGS = { 'run-dir': { type: 'string' } } as const;

export async function runDownCommand(argv: string[]): Promise<number> {
  let runDir: RunDir;
  try {
    runDir = RunDir.resolve(parseFlags(argv, DOWN_FLAGS)['run-dir'] as string | undefined, process.env);
  } catch (error) {
    return reportConfigError(error);
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const { wasRunning } = await stopStack(runDir, out);
  out(wasRunning ? 'Stopped.' : `tickstream down: no running stack in ${runDir.display(runDir.path)}`);
  return 0;
}
