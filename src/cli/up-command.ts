/**
 * `tickstream up`: Redis (when none answers at a loopback REDIS_URL), the
 * worker(s), N gateways and optionally the simulator, as background processes
 * under a detached supervisor. Waits, bounded, until `status` would say OK;
 * on failure reports why, stops what it started and exits 1. A stack already
 * running from the same run directory is reported with its status, exit 1:
 * `up` was asked to start one with these flags and did not.
 * @module
 */
import { readInteger, pickValue } from '../config/parse-values.js';
import { launchSupervisor } from '../ops/launch-supervisor.js';
import { preparePlan, runningSupervisor, StackError, type UpOptions } from '../ops/preflight.js';
import { waitUntilReady } from '../ops/readiness.js';
import { RunDir } from '../ops/run-dir.js';
import { checkStack, formatLine } from '../ops/stack-checks.js';
import { readState } from '../ops/stack-state.js';
import { stopStack } from '../ops/stop-stack.js';
import { parseFlags, reportConfigError } from './parse-flags.js';

const UP_FLAGS = {
  gateways: { type: 'string' },
  workers: { type: 'string' },
  simulator: { type: 'boolean' },
  'run-dir': { type: 'string' },
  timeout: { type: 'string' },
} as const;

const out = (line: string) => process.stdout.write(`${line}\n`);

export async function runUpCommand(argv: string[]): Promise<number> {
  let runDir: RunDir;
  let options: UpOptions;
  let timeoutS: number;
  try {
    const flags = parseFlags(argv, UP_FLAGS);
    const flag = (name: string) => ({ raw: typeof flags[name] === 'string' ? flags[name] : undefined, label: `--${name}` });
    options = {
      gateways: readInteger(flag('gateways'), 1, 1, 32),
      workers: readInteger(flag('workers'), 1, 1, 32),
      simulator: flags.simulator === true,
    };
    timeoutS = readInteger(pickValue(flags, process.env, 'timeout', 'TICKSTREAM_UP_TIMEOUT_S'), 30, 1, 600);
    runDir = RunDir.resolve(flags['run-dir'] as string | undefined, process.env);
  } catch (error) {
    return reportConfigError(error);
  }

  const existing = runningSupervisor(runDir);
  if (existing !== undefined) {
    out(`tickstream up: a stack is already running from ${runDir.display(runDir.path)} (supervisor PID ${existing}); tickstream down stops it`);
    const state = readState(runDir);
    if (state) for (const line of await checkStack(runDir, state)) out(formatLine(line));
    return 1;
  }

  let supervisorPid: number;
  try {
    const plan = await preparePlan(runDir, options, process.env);
    runDir.ensure();
    supervisorPid = launchSupervisor(runDir, plan);
  } catch (error) {
    if (error instanceof StackError) {
      process.stderr.write(`tickstream up: ${error.message}\n`);
      return 1;
    }
    return reportConfigError(error);
  }

  // Ctrl-C while waiting: the operator gave up on this start, so nothing is left running behind their back.
  let onInterrupt: () => void = () => undefined;
  const interruption = new Promise<undefined>((resolve) => {
    onInterrupt = () => resolve(undefined);
  });
  process.once('SIGINT', onInterrupt);
  const ready = await Promise.race([waitUntilReady(runDir, supervisorPid, timeoutS * 1000), interruption]);
  process.removeListener('SIGINT', onInterrupt);

  if (ready?.ok) {
    out(`tickstream up: stack running from ${runDir.display(runDir.path)} (supervisor PID ${supervisorPid})`);
    for (const line of ready.lines) out(formatLine(line));
    out(`Logs in ${runDir.display(runDir.logsDir)}; tickstream status checks it, tickstream down stops it.`);
    return 0;
  }
  process.stderr.write(`tickstream up: ${ready ? ready.reason : 'interrupted'}\n`);
  for (const line of ready?.lines ?? []) out(formatLine(line));
  out('tickstream up: stopping what was started');
  await stopStack(runDir, out, supervisorPid);
  return ready ? 1 : 130;
}
