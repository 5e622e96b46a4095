/**
 * Keeps one component's process running: spawns it with its output appended
 * to its log file, writes its PID file, and restarts it with capped, jittered
 * backoff whenever it exits without being asked to. A process that ran for
 * `healthyResetMs` before it exited starts the backoff over, so a crash a day
 * is restarted at once while a crash loop slows down to one try per `maxMs`.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { Backoff } from '../shared/backoff.js';
import type { Logger } from '../shared/logger.js';
import { describeExit } from './exit-description.js';
import type { RunDir } from './run-dir.js';
import type { ComponentSpec, RestartPolicy } from './stack-plan.js';
import type { ComponentPhase, ComponentState, ExitRecord } from './stack-state.js';

export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private phase: ComponentPhase = 'starting';
  private restarts = 0;
  private startedAtMs: number | undefined;
  private lastExit: ExitRecord | null = null;
  private restartTimer: NodeJS.Timeout | undefined;
  private nextRestartAtMs: number | undefined;
  private stopRequested = false;
  /** Resolves when the current child has exited (or failed to start). */
  private exited: Promise<void> = Promise.resolve();
  private readonly backoff: Backoff;

  constructor(
    readonly spec: ComponentSpec,
    private readonly runDir: RunDir,
    private readonly policy: RestartPolicy,
    private readonly logger: Logger,
    /** Called after every change worth recording (the supervisor rewrites state.json). */
    private readonly onChange: () => void,
  ) {
    this.backoff = new Backoff({ baseMs: policy.baseMs, maxMs: policy.maxMs, minMs: policy.minMs });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process unless a stop was requested first (a signal during the start sequence). */
  start(): void {
    if (this.stopRequested) return;
    this.restartTimer = undefined;
    this.nextRestartAtMs = undefined;
    const log = openSync(this.runDir.logFile(this.spec.name), 'a', 0o600);
    // A marker between runs in the appended log: which start this is, and why.
    writeSync(log, `--- ${new Date().toISOString()} tickstream supervisor: starting ${this.spec.name}${this.restarts > 0 ? ` (restart #${this.restarts})` : ''}\n`);
    let child: ChildProcess;
    try {
      child = spawn(this.spec.command, [...this.spec.args], { env: { ...process.env, ...this.spec.env }, stdio: ['ignore', log, log] });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(log);
    }
    this.child = child;
    this.startedAtMs = Date.now();
    this.phase = 'running';
    this.exited = new Promise<void>((resolve) => {
      let settled = false;
      const settle = (exit: ExitRecord) => {
        if (settled) return;
        settled = true;
        this.onExit(child, exit);
        resolve();
      };
      child.once('exit', (code, signal) => settle({ code, signal, at: new Date().toISOString() }));
      // Spawn failures (ENOENT, EACCES) emit `error` and may never emit `exit`.
      child.once('error', (error) => {
        if (child.pid === undefined) settle({ code: null, signal: null, at: new Date().toISOString(), error: error.message });
        else this.logger.warn({ err: error.message }, 'child process error');
      });
    });
    if (child.pid !== undefined) {
      this.runDir.writePid(this.spec.name, child.pid);
      this.logger.info({ childPid: child.pid }, `started ${this.spec.name} (PID ${child.pid})`);
    }
    this.onChange();
  }

  private onExit(child: ChildProcess, exit: ExitRecord): void {
    if (this.child !== child) return;
    this.lastExit = exit;
    this.runDir.removePid(this.spec.name);
    if (this.stopRequested) {
      this.phase = 'stopped';
      this.onChange();
      return;
    }
    const ranMs = Date.now() - (this.startedAtMs ?? Date.now());
    if (ranMs >= this.policy.healthyResetMs) this.backoff.reset();
    const delayMs = this.backoff.next();
    this.restarts++;
    this.phase = 'restarting';
    this.nextRestartAtMs = Date.now() + delayMs;
    this.logger.warn(
      { childPid: child.pid, code: exit.code, signal: exit.signal, error: exit.error, ranMs, restart: this.restarts, delayMs },
      `restarting ${this.spec.name} after ${describeExit(exit)} (restart #${this.restarts}, in ${delayMs} ms)`,
    );
    this.restartTimer = setTimeout(() => this.start(), delayMs);
    this.onChange();
  }

  /** SIGTERM, SIGKILL after `graceMs`; a pending restart is cancelled. Resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopRequested = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.nextRestartAtMs = undefined;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      this.phase = 'stopped';
      this.runDir.removePid(this.spec.name);
      this.onChange();
      return;
    }
    this.phase = 'stopping';
    this.onChange();
    this.logger.info({ childPid: child.pid }, `stopping ${this.spec.name} (PID ${child.pid})`);
    child.kill('SIGTERM');
    if (!(await settlesWithin(this.exited, graceMs))) {
      this.logger.warn({ childPid: child.pid, graceMs }, `${this.spec.name} still running ${graceMs} ms after SIGTERM: SIGKILL`);
      child.kill('SIGKILL');
      await settlesWithin(this.exited, 5_000);
    }
    this.logger.info({ childPid: child.pid, exit: this.lastExit }, `stopped ${this.spec.name}`);
  }

  snapshot(): ComponentState {
    const running = this.phase === 'running' || this.phase === 'stopping';
    return {
      name: this.spec.name,
      kind: this.spec.kind,
      pid: running ? (this.child?.pid ?? null) : null,
      host: this.spec.host ?? null,
      port: this.spec.port ?? null,
      phase: this.phase,
      restarts: this.restarts,
      startedAt: running && this.startedAtMs !== undefined ? new Date(this.startedAtMs).toISOString() : null,
      lastExit: this.lastExit,
      nextRestartAt: this.nextRestartAtMs !== undefined ? new Date(this.nextRestartAtMs).toISOString() : null,
    };
  }
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
