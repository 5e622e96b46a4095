/**
 * The supervisor owns a stack's processes (`tickstream supervise`, started
 * detached by `up`): it starts them in dependency order, keeps each one
 * running (supervised-process.ts), records everything in state.json, and on
 * SIGTERM stops them in reverse order: gateways (clients get 1001), workers
 * (they announce `stopped` while Redis is still there), the simulator, then
 * Redis if it started it.
 * @module
 */
import type { Logger } from '../shared/logger.js';
import { canConnect, pingRedis } from './probes.js';
import { sleep } from './processes.js';
import { parseRedisTarget } from './redis-target.js';
import type { RunDir } from './run-dir.js';
import { START_ORDER, stopPhases, type ComponentKind, type StackPlan } from './stack-plan.js';
import type { StackState } from './stack-state.js';
import { SupervisedProcess } from './supervised-process.js';

/** How long the start sequence waits for Redis or the simulator before starting what depends on them anyway. */
const DEPENDENCY_WAIT_MS = 15_000;

export class Supervisor {
  private readonly processes: SupervisedProcess[];
  private readonly startedAt = new Date().toISOString();
  private stopping = false;
  private stoppedAt: string | null = null;

  constructor(
    private readonly runDir: RunDir,
    private readonly plan: StackPlan,
    private readonly logger: Logger,
  ) {
    // Every process exists from the start (not yet spawned), so a stop during the start sequence sees them all.
    this.processes = plan.components.map(
      (spec) => new SupervisedProcess(spec, runDir, plan.restart, logger.child({ component: spec.name }), () => this.writeState()),
    );
    this.writeState();
  }

  /** Starts kind by kind; waits (bounded) for Redis and the simulator to answer before starting their users. */
  async start(): Promise<void> {
    this.logger.info({ components: this.plan.components.map((c) => c.name), redisManaged: this.plan.redisManaged }, 'starting the stack');
    for (const kind of START_ORDER) {
      const group = this.processes.filter((p) => p.spec.kind === kind);
      for (const member of group) {
        if (this.stopping) return;
        member.start();
      }
      if (group.length > 0) await this.waitForDependency(kind);
    }
    if (!this.stopping) this.logger.info('every component started');
  }

  private async waitForDependency(kind: ComponentKind): Promise<void> {
    const spec = this.plan.components.find((c) => c.kind === kind);
    let ready: (() => Promise<boolean>) | undefined;
    if (kind === 'redis') ready = async () => (await pingRedis(this.plan.redisUrl, 1_000)).ok;
    if (kind === 'simulator' && spec?.host !== undefined && spec.port !== undefined) ready = () => canConnect(spec.host!, spec.port!);
    if (!ready) return;
    const deadline = Date.now() + DEPENDENCY_WAIT_MS;
    while (!this.stopping && Date.now() < deadline) {
      if (await ready()) return;
      await sleep(100);
    }
    if (!this.stopping) {
      // Workers and gateways cope with a late Redis (they reconnect); the start-up check in `up` reports it.
      const where = kind === 'redis' ? parseRedisTarget(this.plan.redisUrl).display : `port ${spec?.port}`;
      this.logger.warn({ kind, waitedMs: DEPENDENCY_WAIT_MS }, `${kind} not answering at ${where} after ${DEPENDENCY_WAIT_MS} ms; starting the rest anyway`);
    }
  }

  /** Stops everything in reverse dependency order; each group in parallel, each process bounded by the plan's grace. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.info('stopping the stack: gateways, workers, simulator, then Redis if started here');
    for (const phase of stopPhases(this.plan.components)) {
      const names = new Set(phase.map((spec) => spec.name));
      await Promise.all(this.processes.filter((p) => names.has(p.spec.name)).map((p) => p.stop(this.plan.stopGraceMs)));
    }
    this.stoppedAt = new Date().toISOString();
    this.writeState();
    this.logger.info('stack stopped');
  }

  /** state.json after every change; small and rare enough to write synchronously. */
  private writeState(): void {
    const state: StackState = {
      version: 1,
      supervisor: { pid: process.pid, startedAt: this.startedAt },
      redisUrl: this.plan.redisUrl,
      redisDisplay: parseRedisTarget(this.plan.redisUrl).display,
      redisManaged: this.plan.redisManaged,
      updatedAt: new Date().toISOString(),
      stoppedAt: this.stoppedAt,
      components: this.processes.map((p) => p.snapshot()),
    };
    try {
      this.runDir.writeJson(this.runDir.stateFile, state);
    } catch (error) {
      // A full disk must not stop the supervision itself.
      this.logger.error({ err: (error as Error).message }, 'could not write state.json');
    }
  }
}
