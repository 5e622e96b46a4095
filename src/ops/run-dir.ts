/**
 * The run directory of a local stack (`tickstream up`): where every PID file,
 * log and the state file live, so `status` and `down` find a stack started
 * from another shell. Default `.tickstream/` in the current directory
 * (gitignored), else `--run-dir` or TICKSTREAM_RUN_DIR.
 *
 *   supervisor.pid  redis.pid  simulator.pid  worker-1.pid  gateway-1.pid ...
 *   plan.json       what `up` asked the supervisor to run (read once by it)
 *   state.json      written only by the supervisor, atomically (tmp + rename)
 *   logs/<name>.log stdout + stderr of each component, appended across runs
 *   redis/          redis-server's working directory (it saves nothing there)
 * @module
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

export const DEFAULT_RUN_DIR = '.tickstream';

export class RunDir {
  readonly path: string;

  constructor(path: string) {
    this.path = resolve(path);
  }

  /** `--run-dir` wins over TICKSTREAM_RUN_DIR, which wins over `.tickstream` in the current directory. */
  static resolve(flag: string | undefined, env: NodeJS.ProcessEnv): RunDir {
    return new RunDir(flag || env.TICKSTREAM_RUN_DIR || DEFAULT_RUN_DIR);
  }

  /** Owner-only: the plan and the logs may carry a Redis password or tokens from the environment. */
  ensure(): void {
    // Parents as any directory would be; only the run directory and its own folders are private.
    mkdirSync(dirname(this.path), { recursive: true });
    for (const dir of [this.path, this.logsDir, this.redisDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  get logsDir(): string {
    return join(this.path, 'logs');
  }

  get redisDir(): string {
    return join(this.path, 'redis');
  }

  get stateFile(): string {
    return join(this.path, 'state.json');
  }

  get planFile(): string {
    return join(this.path, 'plan.json');
  }

  pidFile(name: string): string {
    return join(this.path, `${name}.pid`);
  }

  logFile(name: string): string {
    return join(this.logsDir, `${name}.log`);
  }

  /** A path as an operator would type it: relative to the current directory when inside it. */
  display(path: string): string {
    const rel = relative(process.cwd(), path);
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  }

  /** The PID in `<name>.pid`, or undefined when the file is missing or not a PID. */
  readPid(name: string): number | undefined {
    let text: string;
    try {
      text = readFileSync(this.pidFile(name), 'utf8');
    } catch {
      return undefined;
    }
    const pid = Number(text.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  writePid(name: string, pid: number): void {
    writeAtomically(this.pidFile(name), `${pid}\n`);
  }

  removePid(name: string): void {
    rmSync(this.pidFile(name), { force: true });
  }

  readJson<T>(path: string): T | undefined {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined;
    }
  }

  writeJson(path: string, value: unknown): void {
    writeAtomically(path, `${JSON.stringify(value, null, 2)}\n`);
  }
}

/**
 * A reader never sees half a file: the content goes to a temporary file in the
 * same directory (same filesystem, so rename is atomic) and replaces the old one.
 */
export function writeAtomically(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  renameSync(temporary, path);
}
