/**
 * One status line per component, each from a real check: Redis by PING,
 * processes by signal 0 on the PID in their PID file (and their command
 * line), gateways by GET /api/v1/live/health, the simulator by a TCP connect.
 * `status` prints these lines; `up` waits until they are all OK.
 *
 *   [OK] Redis: Running (port 6379, PID 4100)
 *   [FAIL] Worker: Not running (PID file .tickstream/worker-1.pid, process 1234 gone)
 * @module
 */
import { describeExit } from './exit-description.js';
import { hostname } from 'node:os';
import { canConnect, pingRedis, probeGateway, probeHost, type GatewayProbe, type RegisteredWorker } from './probes.js';
import { isStackProcess } from './processes.js';
import { parseRedisTarget } from './redis-target.js';
import type { RunDir } from './run-dir.js';
import { subcommandOf } from './stack-plan.js';
import type { ComponentState, StackState } from './stack-state.js';

export interface CheckLine {
  readonly ok: boolean;
  /** The component, as printed: Redis, Simulator, Worker, Gateway, Supervisor. */
  readonly label: string;
  readonly text: string;
}

export function formatLine(line: CheckLine): string {
  return `[${line.ok ? 'OK' : 'FAIL'}] ${line.label}: ${line.text}`;
}

/** Process state from the PID file: running (its process is alive and still ours), or why not. */
type ProcessCheck = { readonly running: true; readonly pid: number } | { readonly running: false; readonly why: string };

function checkProcess(runDir: RunDir, component: ComponentState): ProcessCheck {
  const pidFile = runDir.display(runDir.pidFile(component.name));
  const pid = runDir.readPid(component.name);
  if (pid === undefined) {
    if (component.phase === 'restarting' && component.lastExit) {
      return { running: false, why: `restarting after ${describeExit(component.lastExit)}, no PID file ${pidFile}` };
    }
    return { running: false, why: `no PID file ${pidFile}` };
  }
  const expected = component.kind === 'redis' ? 'redis-server' : { subcommand: subcommandOf(component.kind) };
  return isStackProcess(pid, expected) ? { running: true, pid } : { running: false, why: `PID file ${pidFile}, process ${pid} gone` };
}

/** ", restarts: 2" when there were any. */
function restartsNote(component: ComponentState | undefined): string {
  return component && component.restarts > 0 ? `, restarts: ${component.restarts}` : '';
}

async function checkRedis(runDir: RunDir, state: StackState): Promise<CheckLine> {
  const target = parseRedisTarget(state.redisUrl);
  const component = state.components.find((c) => c.kind === 'redis');
  const ping = await pingRedis(state.redisUrl, 1_500);
  const proc = component ? checkProcess(runDir, component) : undefined;
  if (ping.ok) {
    const owner = !component ? ', external: not started by tickstream up' : proc?.running ? `, PID ${proc.pid}` : '';
    return { ok: true, label: 'Redis', text: `Running (port ${target.port}${owner}${restartsNote(component)})` };
  }
  const detail = proc && !proc.running ? ` (${proc.why})` : ping.refused ? '' : ` (${ping.error})`;
  return { ok: false, label: 'Redis', text: `Not answering at ${state.redisDisplay}${detail}` };
}

function checkGateway(runDir: RunDir, component: ComponentState, probe: GatewayProbe): CheckLine {
  const port = component.port ?? 0;
  const proc = checkProcess(runDir, component);
  const label = 'Gateway';
  if (!probe.answered) {
    const why = proc.running ? `PID ${proc.pid} alive` : proc.why;
    return { ok: false, label, text: `Not answering (port ${port}, ${why})` };
  }
  if (!proc.running) {
    return { ok: false, label, text: `Not running (${proc.why}; something else answers on port ${port})` };
  }
  if (probe.httpStatus !== 200) {
    const redis = probe.redis ? `, Redis ${probe.redis}` : '';
    return { ok: false, label, text: `Unhealthy (port ${port}, PID ${proc.pid}, HTTP ${probe.httpStatus} ${probe.status}${redis}${restartsNote(component)})` };
  }
  return { ok: true, label, text: `Running (port ${port}, PID ${proc.pid}, ${probe.status}${restartsNote(component)})` };
}

async function checkSimulator(runDir: RunDir, component: ComponentState): Promise<CheckLine> {
  const port = component.port ?? 0;
  const proc = checkProcess(runDir, component);
  if (!proc.running) return { ok: false, label: 'Simulator', text: `Not running (${proc.why})` };
  if (!(await canConnect(probeHost(component.host ?? '127.0.0.1'), port))) {
    return { ok: false, label: 'Simulator', text: `Not answering (port ${port}, PID ${proc.pid} alive)` };
  }
  return { ok: true, label: 'Simulator', text: `Running (port ${port}, PID ${proc.pid}${restartsNote(component)})` };
}

/**
 * Alive is not enough for a worker: it registers on the bus only once its
 * symbols passed the exchange's check, so when a gateway reports the worker
 * registry, the worker must be in it (same host, same PID).
 */
function checkWorker(runDir: RunDir, component: ComponentState, registry: readonly RegisteredWorker[] | undefined): CheckLine {
  const proc = checkProcess(runDir, component);
  if (!proc.running) return { ok: false, label: 'Worker', text: `Not running (${proc.why})` };
  if (registry === undefined) return { ok: true, label: 'Worker', text: `Running (PID ${proc.pid}${restartsNote(component)})` };
  const entry = registry.find((worker) => worker.pid === proc.pid && worker.host === hostname());
  if (!entry) {
    const log = runDir.display(runDir.logFile(component.name));
    return { ok: false, label: 'Worker', text: `Not registered (PID ${proc.pid} alive, not in the bus's worker registry yet: starting, or stuck; see ${log}${restartsNote(component)})` };
  }
  const streams = entry.symbols.length > 0 ? `streams ${entry.symbols.join(',')}` : 'standby';
  return { ok: true, label: 'Worker', text: `Running (PID ${proc.pid}, ${streams}, link ${entry.link}${restartsNote(component)})` };
}

function checkSupervisor(runDir: RunDir, state: StackState): CheckLine {
  const pidFile = runDir.display(runDir.pidFile('supervisor'));
  const pid = runDir.readPid('supervisor');
  if (pid !== undefined && isStackProcess(pid, { subcommand: 'supervise' })) return { ok: true, label: 'Supervisor', text: `Running (PID ${pid})` };
  const why = pid === undefined ? `no PID file ${pidFile}` : `PID file ${pidFile}, process ${pid} gone`;
  const consequence = state.stoppedAt ? `stopped by tickstream down at ${state.stoppedAt}` : 'crashed processes will not be restarted';
  return { ok: false, label: 'Supervisor', text: `Not running (${why}; ${consequence})` };
}

/** The registry as any gateway connected to Redis reports it; undefined when none could. */
function workerRegistry(probes: Iterable<GatewayProbe>): RegisteredWorker[] | undefined {
  for (const probe of probes) if (probe.answered && probe.workers !== undefined) return [...probe.workers];
  return undefined;
}

/** Every check, in start order (Redis, simulator, workers, gateways), the supervisor last; probes run in parallel. */
export async function checkStack(runDir: RunDir, state: StackState): Promise<CheckLine[]> {
  const gateways = state.components.filter((c) => c.kind === 'gateway');
  const [probes, redis] = await Promise.all([
    Promise.all(gateways.map((g) => probeGateway(probeHost(g.host ?? '127.0.0.1'), g.port ?? 0, 2_000))),
    checkRedis(runDir, state),
  ]);
  const probeOf = new Map(gateways.map((g, index) => [g.name, probes[index]!]));
  const registry = workerRegistry(probes);
  const lines = await Promise.all(
    state.components.map(async (component): Promise<CheckLine> => {
      switch (component.kind) {
        case 'redis':
          return redis;
        case 'simulator':
          return await checkSimulator(runDir, component);
        case 'worker':
          return checkWorker(runDir, component, registry);
        case 'gateway':
          return checkGateway(runDir, component, probeOf.get(component.name)!);
      }
    }),
  );
  // A Redis that was already running is no component of ours, but the stack needs it all the same.
  if (!state.redisManaged) lines.unshift(redis);
  return [...lines, checkSupervisor(runDir, state)];
}
