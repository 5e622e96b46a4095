/**
 * Stopping a stack from outside it (`tickstream down`, and `up` when its
 * start-up fails): SIGTERM to the supervisor, which stops its processes in
 * order; then a sweep of every PID file, so processes orphaned by a
 * supervisor that crashed or had to be killed are stopped too, in the same
 * order and with the same SIGTERM → SIGKILL grace.
 * @module
 */
import { readdirSync } from 'node:fs';
import { isStackProcess, signal, terminate, waitForExit } from './processes.js';
import type { RunDir } from './run-dir.js';
import { STOP_GRACE_MS, stopPhases, subcommandOf, type ComponentKind } from './stack-plan.js';
import { readState, type StackState } from './stack-state.js';

interface StackMember {
  readonly name: string;
  readonly kind: ComponentKind;
}

export interface StopResult {
  /** Whether anything was running (the supervisor or any process a PID file named). */
  readonly wasRunning: boolean;
}

/** What a PID file's name says the process is: redis, simulator, worker-N, gateway-N. */
function kindOfName(name: string): ComponentKind | undefined {
  const kind = name.replace(/-\d+$/, '');
  return kind === 'redis' || kind === 'simulator' || kind === 'worker' || kind === 'gateway' ? kind : undefined;
}

/** The components to sweep: those in state.json, plus any other PID file (a state file may be missing or older). */
function knownComponents(runDir: RunDir, state: StackState | undefined): StackMember[] {
  const components = new Map<string, StackMember>((state?.components ?? []).map((c) => [c.name, { name: c.name, kind: c.kind }]));
  let files: string[] = [];
  try {
    files = readdirSync(runDir.path);
  } catch {
    /* no run directory: nothing to sweep */
  }
  for (const file of files) {
    const name = file.endsWith('.pid') ? file.slice(0, -4) : undefined;
    const kind = name === undefined ? undefined : kindOfName(name);
    if (name !== undefined && kind !== undefined && !components.has(name)) components.set(name, { name, kind });
  }
  return [...components.values()];
}

/**
 * @param knownSupervisorPid the supervisor `up` just started: it may not have written its PID file yet
 *   when `up` gives up (Ctrl-C), and must be stopped all the same.
 */
export async function stopStack(runDir: RunDir, report: (line: string) => void, knownSupervisorPid?: number): Promise<StopResult> {
  const before = readState(runDir);
  const components = knownComponents(runDir, before);
  const graceMs = STOP_GRACE_MS;
  let wasRunning = false;

  const supervisorPid = knownSupervisorPid ?? runDir.readPid('supervisor');
  if (supervisorPid !== undefined && isStackProcess(supervisorPid, { subcommand: 'supervise' })) {
    wasRunning = true;
    report(`Stopping the stack in ${runDir.display(runDir.path)} (supervisor PID ${supervisorPid}): gateways, workers, simulator, then Redis if it was started here`);
    signal(supervisorPid, 'SIGTERM');
    // The supervisor bounds each phase by the grace (+ 5 s after SIGKILL); allow for every phase, then a margin.
    const supervisorDeadlineMs = stopPhases(components).length * (graceMs + 5_000) + 5_000;
    if (!(await waitForExit(supervisorPid, supervisorDeadlineMs))) {
      report(`supervisor (PID ${supervisorPid}) still running after ${Math.round(supervisorDeadlineMs / 1000)} s: SIGKILL`);
      signal(supervisorPid, 'SIGKILL');
      await waitForExit(supervisorPid, 5_000);
    }
    const after = readState(runDir);
    for (const component of stopPhases(before?.components ?? []).flat()) {
      const final = after?.components.find((c) => c.name === component.name);
      if (component.pid !== null && final?.phase === 'stopped') report(`  stopped ${component.name} (PID ${component.pid})`);
    }
  }

  // The sweep: whatever a PID file still names and is still ours.
  for (const phase of stopPhases(components)) {
    await Promise.all(
      phase.map(async (component) => {
        const pid = runDir.readPid(component.name);
        const expected = component.kind === 'redis' ? 'redis-server' : { subcommand: subcommandOf(component.kind) };
        if (pid !== undefined && isStackProcess(pid, expected)) {
          wasRunning = true;
          const how = await terminate(pid, graceMs);
          report(`  stopped ${component.name} (PID ${pid}, left behind by the supervisor${how === 'killed' ? ', needed SIGKILL' : ''})`);
        }
        runDir.removePid(component.name);
      }),
    );
  }
  runDir.removePid('supervisor');
  if (before && before.stoppedAt === null) markStopped(runDir);
  return { wasRunning };
}

/**
 * When the supervisor could not record the stop itself (it had crashed or was
 * killed), the state file says so on its behalf; nobody else writes it now.
 */
function markStopped(runDir: RunDir): void {
  const state = readState(runDir);
  if (!state || state.stoppedAt !== null) return;
  const now = new Date().toISOString();
  runDir.writeJson(runDir.stateFile, {
    ...state,
    updatedAt: now,
    stoppedAt: now,
    components: state.components.map((c) => ({ ...c, pid: null, phase: 'stopped', startedAt: null, nextRestartAt: null })),
  } satisfies StackState);
}
