/**
 * `state.json`: the supervisor's account of the stack, for `status`, `down`,
 * `up`'s readiness wait and any script (`jq .components[].restarts`). Only the
 * supervisor writes it (atomically, see run-dir.ts); it stays after `down` so
 * `status` can still name what is expected and report it stopped.
 * @module
 */
import type { ComponentKind } from './stack-plan.js';
import type { RunDir } from './run-dir.js';

export type ComponentPhase = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

export interface ExitRecord {
  readonly code: number | null;
  readonly signal: string | null;
  readonly at: string;
  /** Set when the process could not be started at all (e.g. redis-server not on PATH). */
  readonly error?: string;
}

export interface ComponentState {
  readonly name: string;
  readonly kind: ComponentKind;
  /** The running process; null between an exit and its restart, and once stopped. */
  readonly pid: number | null;
  readonly host: string | null;
  readonly port: number | null;
  readonly phase: ComponentPhase;
  /** Unrequested exits followed by a restart. */
  readonly restarts: number;
  readonly startedAt: string | null;
  readonly lastExit: ExitRecord | null;
  readonly nextRestartAt: string | null;
}

export interface StackState {
  readonly version: 1;
  readonly supervisor: { readonly pid: number; readonly startedAt: string };
  /** May hold a password; the file is owner-only. Print `redisDisplay`. */
  readonly redisUrl: string;
  readonly redisDisplay: string;
  readonly redisManaged: boolean;
  readonly updatedAt: string;
  /** Set once the supervisor has stopped everything (`tickstream down`). */
  readonly stoppedAt: string | null;
  readonly components: readonly ComponentState[];
}

export function readState(runDir: RunDir): StackState | undefined {
  const state = runDir.readJson<StackState>(runDir.stateFile);
  return state?.version === 1 && Array.isArray(state.components) ? state : undefined;
}
