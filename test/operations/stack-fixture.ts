/**
 * A private stack for the `up`/`status`/`down` tests: a temporary run
 * directory, free ports for Redis (nothing answers there, so `up` must start
 * redis-server), two consecutive gateway ports and the simulator, and a
 * cleanup that SIGKILLs whatever is left, whatever state a failed test left.
 */
import { readFileSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPortFree } from '../../src/ops/probes.js';
import type { StackState } from '../../src/ops/stack-state.js';
import { runCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/redis-server.js';

export interface StackFixture {
  readonly runDir: string;
  readonly redisPort: number;
  readonly redisUrl: string;
  readonly gatewayPort: number;
  readonly simulatorPort: number;
  readonly env: Record<string, string>;
  /** `tickstream <args> --run-dir <runDir>` with the fixture's environment. */
  cli(args: string[], extraEnv?: Record<string, string>): CliProcess;
  pid(name: string): number | undefined;
  state(): StackState | undefined;
  /** SIGKILL to the supervisor's process group and every PID file's process, then the run directory removed. */
  destroy(): void;
}

/** Two consecutive free ports (gateways listen on PORT and PORT+1). */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    if (port < 65_535 && (await isPortFree('127.0.0.1', port + 1))) return port;
  }
  throw new Error('no two consecutive free ports');
}

export async function createStackFixture(): Promise<StackFixture> {
  const runDir = mkdtempSync(join(tmpdir(), 'tickstream-run-'));
  const redisPort = await freePort();
  const gatewayPort = await freePortPair();
  let simulatorPort = await freePort();
  while (simulatorPort === gatewayPort || simulatorPort === gatewayPort + 1 || simulatorPort === redisPort) simulatorPort = await freePort();
  const env = {
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    PORT: String(gatewayPort),
    SIMULATOR_PORT: String(simulatorPort),
    SYMBOLS: 'BTCUSDT',
    TIMEFRAMES: '1',
    LOG_LEVEL: 'info',
    // The machine may be busy with other tests: allow a slow start.
    TICKSTREAM_UP_TIMEOUT_S: '90',
  };
  const pid = (name: string) => {
    try {
      const value = Number(readFileSync(join(runDir, `${name}.pid`), 'utf8').trim());
      return Number.isInteger(value) && value > 0 ? value : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    runDir,
    redisPort,
    redisUrl: env.REDIS_URL,
    gatewayPort,
    simulatorPort,
    env,
    cli: (args, extraEnv = {}) => runCli([...args, '--run-dir', runDir], { ...env, ...extraEnv }),
    pid,
    state: () => {
      try {
        return JSON.parse(readFileSync(join(runDir, 'state.json'), 'utf8')) as StackState;
      } catch {
        return undefined;
      }
    },
    destroy: () => {
      const supervisor = pid('supervisor');
      if (supervisor !== undefined) {
        // Detached: the supervisor leads its own process group, and its children are in it.
        for (const target of [-supervisor, supervisor]) {
          try {
            process.kill(target, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      let files: string[] = [];
      try {
        files = readdirSync(runDir);
      } catch {
        /* already removed */
      }
      for (const file of files.filter((name) => name.endsWith('.pid'))) {
        const child = pid(file.slice(0, -4));
        try {
          if (child !== undefined) process.kill(child, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie (exited, not reaped yet) is gone for our purposes.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
