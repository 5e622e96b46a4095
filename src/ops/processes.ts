/**
 * Process checks and stops by PID, for processes this command did not spawn
 * (the supervisor and its children outlive `up`).
 *
 * A PID file can outlive its process and the PID be reused by something else,
 * so before a signal is sent the process's command line is checked (Linux
 * /proc; elsewhere the PID is trusted). A zombie (exited, not yet reaped: the
 * supervisor is re-parented to init once `up` exits) counts as gone.
 * @module
 */
import { readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else (a reused PID): not ours, but alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** The process's arguments, or undefined where /proc is not available. */
function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg.length > 0);
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is alive and still the process a PID file named: a
 * `tickstream <subcommand>` node process, or a redis-server.
 */
export function isStackProcess(pid: number, expected: { readonly subcommand: string } | 'redis-server'): boolean {
  if (!isAlive(pid)) return false;
  const args = commandLine(pid);
  if (args === undefined) return true;
  // redis-server rewrites its title ("redis-server 127.0.0.1:6379"), so its cmdline is one string.
  if (expected === 'redis-server') return args.some((arg) => arg.includes('redis-server'));
  const entry = args.findIndex((arg) => /(^|\/)main\.(js|ts)$/.test(arg));
  return entry >= 0 && args[entry + 1] === expected.subcommand;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `pid` is gone; false when it is still alive at the deadline. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    /* already gone */
  }
}

/**
 * SIGTERM, then SIGKILL if it is still there after `graceMs`.
 * @returns how it ended: 'exited' after SIGTERM, 'killed' after SIGKILL.
 */
export async function terminate(pid: number, graceMs: number): Promise<'exited' | 'killed'> {
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return 'exited';
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
  return 'killed';
}
