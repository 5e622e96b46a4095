/**
 * `npx tsx bench/harness/cpuprof-top.ts FILE.cpuprofile [...] [--top 25]`: the functions that took the most
 * self time in V8 CPU profiles (the `tickstream-cpuprof` server spec writes one per row to
 * bench/results/cpuprof/), as a markdown table per file: share of the samples, self ms, function and place.
 * Only user-space JavaScript and what V8 attributes to its callers is seen: kernel time (most of a fan-out's
 * cost, docs/benchmarks.md) shows up as the JS frame that made the system call, or as "(program)".
 * @module
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly samples: number;
  readonly share: number;
  readonly ms: number;
}

/** Self samples per function (name and place), largest first. */
export function selfTimes(profile: CpuProfile): SelfTime[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byNode.get(id)?.callFrame;
    if (!frame) continue;
    const place = frame.url ? ` ${frame.url.replace(/^.*\/(src|dist|node_modules)\//, '$1/')}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'}${place}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, total);
  return [...counts]
    .map(([name, samples]) => ({ name, samples, share: samples / total, ms: samples * msPerSample }))
    .sort((a, b) => b.samples - a.samples);
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true });
  if (positionals.length === 0) throw new Error('usage: cpuprof-top.ts FILE.cpuprofile [...] [--top N]');
  for (const file of positionals) {
    const rows = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile).slice(0, Number(values.top));
    console.log(`\n${basename(file)}\n\n| share | self ms | function |\n|---|---|---|`);
    for (const row of rows) console.log(`| ${(row.share * 100).toFixed(1)}% | ${row.ms.toFixed(0)} | \`${row.name}\` |`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
