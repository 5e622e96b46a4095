/**
 * `up`'s wait: bounded, until every check `status` makes passes (Redis PING,
 * processes alive, gateways answering /health with 200, each worker listed in
 * the bus's worker registry) and each worker has stayed up a moment. A component that exits during start-up fails the wait at
 * once, with the end of its log: a bad symbol or a taken port should not be
 * discovered by waiting out the timeout.
 * @module
 */
import { readFileSync } from 'node:fs';
import { describeExit } from './exit-description.js';
import { isAlive, sleep } from './processes.js';
import type { RunDir } from './run-dir.js';
import { checkStack, type CheckLine } from './stack-checks.js';
import { readState } from './stack-state.js';

/**
 * A worker must stay up this long. Its registration on the bus (checked by
 * stack-checks.ts when a gateway reports the registry) already proves it
 * passed the exchange's symbol check; this is the floor when nothing reports it.
 */
export const WORKER_SETTLE_MS = 2_000;

export type Readiness = { readonly ok: true; readonly lines: CheckLine[] } | { readonly ok: false; readonly reason: string; readonly lines: CheckLine[] };

/** The last `count` lines of a log file, for a failure report. */
export function tailLines(path: string, count = 15): string[] {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-count);
  } catch {
    return [];
  }
}

export async function waitUntilReady(runDir: RunDir, supervisorPid: number, timeoutMs: number): Promise<Readiness> {
  const deadline = Date.now() + timeoutMs;
  let lines: CheckLine[] = [];
  for (;;) {
    if (!isAlive(supervisorPid)) {
      const log = runDir.logFile('supervisor');
      return { ok: false, reason: withTail(`the supervisor (PID ${supervisorPid}) exited; end of ${runDir.display(log)}:`, log), lines };
    }
    const state = readState(runDir);
    // Until the new supervisor has written its state, any state.json is an old one.
    if (state?.supervisor.pid === supervisorPid) {
      const crashed = state.components.find((c) => c.restarts > 0 || c.lastExit !== null);
      if (crashed?.lastExit) {
        const log = runDir.logFile(crashed.name);
        return { ok: false, reason: withTail(`${crashed.name} exited during start-up (${describeExit(crashed.lastExit)}); end of ${runDir.display(log)}:`, log), lines };
      }
      lines = await checkStack(runDir, state);
      const now = Date.now();
      const settled = state.components.every(
        (c) => c.phase === 'running' && (c.kind !== 'worker' || (c.startedAt !== null && now - Date.parse(c.startedAt) >= WORKER_SETTLE_MS)),
      );
      if (settled && lines.every((line) => line.ok)) return { ok: true, lines };
    }
    if (Date.now() >= deadline) return { ok: false, reason: `not ready after ${Math.round(timeoutMs / 1000)} s`, lines };
    await sleep(250);
  }
}

function withTail(headline: string, log: string): string {
  return [headline, ...tailLines(log).map((line) => `  ${line}`)].join('\n');
}
