/**
 * How much of a CPU this machine actually gives a process: a busy loop reads
 * the monotonic clock back to back, and every gap longer than 100 µs is time
 * the process was not running (a hypervisor's steal, the kernel, another
 * task). On a shared VM this, not the software under test, sets the floor of
 * any p99 below a few milliseconds, so every bench report carries it.
 * @module
 */
import { spawnSync } from 'node:child_process';

export interface MachineFloor {
  readonly cpu: number;
  readonly seconds: number;
  /** Share of wall time lost in gaps > 100 µs. */
  readonly lostShare: number;
  /** Gaps per second longer than 1 ms and 5 ms, and the longest, ms. */
  readonly gapsOver1MsPerS: number;
  readonly gapsOver5MsPerS: number;
  readonly longestGapMs: number;
}

const PROBE = `
const ns = BigInt(Math.round(Number(process.argv[1]) * 1e9));
let last = process.hrtime.bigint(); const end = last + ns;
let lost = 0n, over1 = 0, over5 = 0, longest = 0n;
for (;;) {
  const now = process.hrtime.bigint(); const gap = now - last; last = now;
  if (gap > 100000n) { lost += gap; if (gap > 1000000n) over1++; if (gap > 5000000n) over5++; if (gap > longest) longest = gap; }
  if (now > end) break;
}
process.stdout.write(JSON.stringify({ lost: Number(lost), over1, over5, longest: Number(longest) }));
`;

/** Spins on one CPU (taskset) for `seconds` with nothing of ours beside it. */
export function measureMachineFloor(cpu: number, seconds = 3): MachineFloor {
  const result = spawnSync('taskset', ['-c', String(cpu), process.execPath, '-e', PROBE, String(seconds)], { encoding: 'utf8' });
  const probe = JSON.parse(result.stdout) as { lost: number; over1: number; over5: number; longest: number };
  return {
    cpu,
    seconds,
    lostShare: probe.lost / (seconds * 1e9),
    gapsOver1MsPerS: probe.over1 / seconds,
    gapsOver5MsPerS: probe.over5 / seconds,
    longestGapMs: probe.longest / 1e6,
  };
}

export function describeFloor(floor: MachineFloor): string {
  return `CPU ${floor.cpu}: ${(floor.lostShare * 100).toFixed(1)}% of time not running, ${floor.gapsOver1MsPerS.toFixed(1)}/s gaps > 1 ms, ${floor.gapsOver5MsPerS.toFixed(1)}/s > 5 ms, longest ${floor.longestGapMs.toFixed(1)} ms`;
}
