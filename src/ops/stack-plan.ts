/**
 * What a local stack is made of: `up` turns its flags and the environment
 * into a plan (one spec per process, in start order), hands it to the
 * supervisor through `plan.json`, and every later command reads it back from
 * `state.json`. Pure: no I/O, so the shape of a stack is unit-tested.
 * @module
 */
import { ConfigError } from '../config/config-error.js';
import { WORKER_DEFAULTS } from '../config/worker-config.js';
import { redisServerArgs, type RedisTarget } from './redis-target.js';

export type ComponentKind = 'redis' | 'simulator' | 'worker' | 'gateway';

/** Start order; stop order is the reverse (clients first, Redis last so workers can say `stopped`). */
export const START_ORDER: readonly ComponentKind[] = ['redis', 'simulator', 'worker', 'gateway'];

export interface ComponentSpec {
  /** `redis`, `simulator`, `worker-1`, `gateway-2`: names its PID and log files. */
  readonly name: string;
  readonly kind: ComponentKind;
  readonly command: string;
  readonly args: readonly string[];
  /** Set on top of the supervisor's environment, which is `up`'s own (passed through unchanged). */
  readonly env: Readonly<Record<string, string>>;
  /** Where probes reach it (redis, simulator, gateway). */
  readonly host?: string;
  readonly port?: number;
}

export interface RestartPolicy {
  /** Backoff window (full jitter, src/shared/backoff.ts): first ceiling, largest ceiling, floor. */
  readonly baseMs: number;
  readonly maxMs: number;
  readonly minMs: number;
  /** A process that ran this long before it exited starts again from the smallest delay. */
  readonly healthyResetMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { baseMs: 1_000, maxMs: 30_000, minMs: 250, healthyResetMs: 60_000 };

/** SIGTERM → SIGKILL grace per process; the gateway's and worker's own shutdown deadline is 8 s. */
export const STOP_GRACE_MS = 10_000;

export interface StackPlan {
  readonly version: 1;
  /** The URL every process uses (may hold a password: plan and state files are owner-only). */
  readonly redisUrl: string;
  /** Whether the supervisor runs redis-server (nothing answered at a loopback URL) or Redis is someone else's. */
  readonly redisManaged: boolean;
  readonly components: readonly ComponentSpec[];
  readonly restart: RestartPolicy;
  readonly stopGraceMs: number;
}

export interface PlanOptions {
  readonly gateways: number;
  readonly workers: number;
  /** Port of a `tickstream simulate` component the workers are pointed at; undefined: real Bybit. */
  readonly simulatorPort: number | undefined;
  readonly redis: RedisTarget;
  readonly manageRedis: boolean;
  /** The `tickstream` binary (cli-entry.ts). */
  readonly tickstream: { readonly command: string; readonly args: readonly string[] };
  readonly redisWorkDir: string;
}

export const SIMULATOR_HOST = '127.0.0.1';

export function buildPlan(options: PlanOptions, env: NodeJS.ProcessEnv): StackPlan {
  const { redis, tickstream } = options;
  const components: ComponentSpec[] = [];
  if (options.manageRedis) {
    components.push({ name: 'redis', kind: 'redis', command: 'redis-server', args: redisServerArgs(redis, options.redisWorkDir), env: {}, host: redis.host, port: redis.port });
  }
  const node = (subcommand: string, extra: readonly string[] = []) => [...tickstream.args, subcommand, ...extra];
  // Every process gets the URL explicitly, so an unset REDIS_URL cannot mean different defaults to different roles.
  const common = { REDIS_URL: redis.url };

  const workerEnv: Record<string, string> = { ...common };
  if (options.simulatorPort !== undefined) {
    const symbols = env.SYMBOLS || WORKER_DEFAULTS.symbols.join(',');
    components.push({
      name: 'simulator',
      kind: 'simulator',
      command: tickstream.command,
      args: node('simulate', ['--port', String(options.simulatorPort), '--host', SIMULATOR_HOST]),
      // The simulator lists only the symbols it is told about; the worker checks its symbols against that list.
      env: { SIMULATOR_SYMBOLS: env.SIMULATOR_SYMBOLS || symbols, SIMULATOR_SPOT_SYMBOLS: env.SIMULATOR_SPOT_SYMBOLS || symbols },
      host: SIMULATOR_HOST,
      port: options.simulatorPort,
    });
    workerEnv.BYBIT_WS_URL = `ws://${SIMULATOR_HOST}:${options.simulatorPort}`;
    workerEnv.BYBIT_REST_URL = `http://${SIMULATOR_HOST}:${options.simulatorPort}`;
    workerEnv.TICKSTREAM_SIMULATED = '1';
  }

  for (let index = 0; index < options.workers; index++) {
    // Identical workers share the symbols through leases on the bus (docs/scaling.md): one streams each
    // symbol, the others stand by and take over within seconds if it dies. Only an operator-set WORKER_ID
    // must be told apart, since it names the lease holder.
    const id: Record<string, string> = options.workers > 1 && env.WORKER_ID ? { WORKER_ID: `${env.WORKER_ID}-${index + 1}` } : {};
    components.push({ name: `worker-${index + 1}`, kind: 'worker', command: tickstream.command, args: node('worker'), env: { ...workerEnv, ...id } });
  }

  const firstPort = gatewayBasePort(env);
  const host = env.HOST || '127.0.0.1';
  for (let index = 0; index < options.gateways; index++) {
    const port = firstPort + index;
    if (port > 65_535) throw new ConfigError(`PORT ${firstPort} + ${options.gateways} gateways runs past port 65535`);
    components.push({ name: `gateway-${index + 1}`, kind: 'gateway', command: tickstream.command, args: node('gateway'), env: { ...common, PORT: String(port) }, host, port });
  }
  return { version: 1, redisUrl: redis.url, redisManaged: options.manageRedis, components, restart: DEFAULT_RESTART_POLICY, stopGraceMs: STOP_GRACE_MS };
}

export function gatewayBasePort(env: NodeJS.ProcessEnv): number {
  const raw = env.PORT || '8000';
  const port = Number(raw);
  // 0 ("any free port") cannot work: status and clients need to know where each gateway is.
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new ConfigError(`PORT: expected an integer from 1 to 65535 for tickstream up, got ${JSON.stringify(raw)}`);
  return port;
}

/** Kinds in stop order, each with its components (stopped together). */
export function stopPhases<T extends { readonly kind: ComponentKind }>(components: readonly T[]): T[][] {
  return [...START_ORDER]
    .reverse()
    .map((kind) => components.filter((component) => component.kind === kind))
    .filter((phase) => phase.length > 0);
}

/** What `tickstream <subcommand>` a node component runs, to recognise its process by command line. */
export function subcommandOf(kind: ComponentKind): string {
  switch (kind) {
    case 'redis':
      return 'redis-server';
    case 'simulator':
      return 'simulate';
    case 'worker':
      return 'worker';
    case 'gateway':
      return 'gateway';
  }
}
