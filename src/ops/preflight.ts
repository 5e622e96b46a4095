/**
 * What `up` settles before it starts anything, so a mistake fails at once and
 * clearly rather than as a crash loop: is a stack already running here, is
 * Redis there or may we start one (loopback URL, redis-server on PATH), are
 * the ports free, do the worker and gateway configurations load. The result
 * is the plan the supervisor runs.
 * @module
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { loadGatewayConfig } from '../config/gateway-config.js';
import { loadWorkerConfig } from '../config/worker-config.js';
import { ConfigError } from '../config/config-error.js';
import { tickstreamCommand } from './cli-entry.js';
import { anyFreePort, isPortFree, pingRedis } from './probes.js';
import { isStackProcess } from './processes.js';
import { parseRedisTarget, type RedisTarget } from './redis-target.js';
import type { RunDir } from './run-dir.js';
import { buildPlan, SIMULATOR_HOST, subcommandOf, type StackPlan } from './stack-plan.js';
import { readState } from './stack-state.js';

/** A reason not to start, for the operator; `up` prints it and exits 1. */
export class StackError extends Error {
  override readonly name = 'StackError';
}

export interface UpOptions {
  readonly gateways: number;
  readonly workers: number;
  readonly simulator: boolean;
}

export const DEFAULT_SIMULATOR_PORT = 9100;

/** A supervisor from this run directory still running: `up` refuses (see docs/operations.md). */
export function runningSupervisor(runDir: RunDir): number | undefined {
  const pid = runDir.readPid('supervisor');
  return pid !== undefined && isStackProcess(pid, { subcommand: 'supervise' }) ? pid : undefined;
}

/** Processes a previous stack left behind (its supervisor crashed): they hold the ports, `down` stops them. */
function leftovers(runDir: RunDir): string[] {
  const state = readState(runDir);
  return (state?.components ?? []).flatMap((component) => {
    const pid = runDir.readPid(component.name);
    const expected = component.kind === 'redis' ? 'redis-server' : { subcommand: subcommandOf(component.kind) };
    return pid !== undefined && isStackProcess(pid, expected) ? [`${component.name} (PID ${pid})`] : [];
  });
}

function onPath(program: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Whether `up` must start Redis: only when nothing answers at a loopback URL. */
async function decideRedis(target: RedisTarget, env: NodeJS.ProcessEnv): Promise<boolean> {
  const ping = await pingRedis(target.url, 2_000);
  if (ping.ok) return false;
  if (!target.loopback) {
    throw new StackError(
      `Redis does not answer at ${target.display} (${ping.error}); tickstream up starts Redis only for a loopback REDIS_URL (127.0.0.1, localhost, ::1): start that Redis, or point REDIS_URL at one that runs`,
    );
  }
  if (!ping.refused) {
    throw new StackError(`Redis at ${target.display} did not answer PING (${ping.error}); not starting one there: is the port taken by something else?`);
  }
  if (target.username !== undefined) {
    throw new StackError(`Redis does not answer at ${target.display}, and a redis-server started here would not know the ACL user "${target.username}": start Redis yourself`);
  }
  if (!onPath('redis-server', env)) {
    throw new StackError(`Redis does not answer at ${target.display} and redis-server is not on PATH: install it (e.g. apt-get install redis-server) or start Redis yourself`);
  }
  return true;
}

/** SIMULATOR_PORT when set (it must be free); else 9100, or any free port when 9100 is taken. */
async function simulatorPort(env: NodeJS.ProcessEnv): Promise<number> {
  if (env.SIMULATOR_PORT) {
    const port = Number(env.SIMULATOR_PORT);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new ConfigError(`SIMULATOR_PORT: expected an integer from 1 to 65535, got ${JSON.stringify(env.SIMULATOR_PORT)}`);
    if (!(await isPortFree(SIMULATOR_HOST, port))) throw new StackError(`SIMULATOR_PORT ${port} is already in use on ${SIMULATOR_HOST}`);
    return port;
  }
  if (await isPortFree(SIMULATOR_HOST, DEFAULT_SIMULATOR_PORT)) return DEFAULT_SIMULATOR_PORT;
  // Port 0 once, here: the port is then fixed for the stack's life, so restarts keep the worker's URLs valid.
  return anyFreePort(SIMULATOR_HOST);
}

export async function preparePlan(runDir: RunDir, options: UpOptions, env: NodeJS.ProcessEnv): Promise<StackPlan> {
  const supervisor = runningSupervisor(runDir);
  if (supervisor !== undefined) throw new StackError(`a stack is already running from ${runDir.display(runDir.path)} (supervisor PID ${supervisor})`);
  const left = leftovers(runDir);
  if (left.length > 0) {
    throw new StackError(`processes of an earlier stack in ${runDir.display(runDir.path)} are still running: ${left.join(', ')}; run tickstream down first`);
  }

  const redis = parseRedisTarget(env.REDIS_URL);
  const manageRedis = await decideRedis(redis, env);
  const plan = buildPlan(
    {
      gateways: options.gateways,
      workers: options.workers,
      simulatorPort: options.simulator ? await simulatorPort(env) : undefined,
      redis,
      manageRedis,
      tickstream: tickstreamCommand(),
      redisWorkDir: runDir.redisDir,
    },
    env,
  );

  // Each process's configuration, loaded as it will load it: a bad value fails here, once, with its name.
  for (const component of plan.components) {
    const componentEnv = { ...env, ...component.env };
    if (component.kind === 'worker') loadWorkerConfig({}, componentEnv);
    if (component.kind === 'gateway') loadGatewayConfig({}, componentEnv, true);
  }
  for (const component of plan.components) {
    if (component.kind !== 'gateway' || component.port === undefined) continue;
    if (!(await isPortFree(component.host ?? '127.0.0.1', component.port))) {
      throw new StackError(`port ${component.port} (${component.name}) is already in use on ${component.host}: set PORT to a free range`);
    }
  }
  return plan;
}
