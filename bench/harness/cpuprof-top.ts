/**
 * `npx tsx bench/harness/cpuprof-top.ts FILE.cpuprofile [...] [--top 25]`: the functions that took the most
 * self time in V8 CPU profiles (the `tickstream-cpuprof` server spec writes one per row to
 * bench/results/cpuprof/), as a markdown table per file: share of the samples, self ms, function and place.
 * Only user-space JavaScript and what V8 attributes to its callers is seen: kernel time (most of a fan-out's
 * cost, docs/benchmarks.md) shows up as the JS frame that made the system call, or as "(program)".
 *
 * A profile covers the server's whole life: start, 1000 connections and their subscriptions, warm-up, teardown.
 * The runner writes the row's measurement window beside it (`<file>.window.json`, monotonic µs, the clock of the
 * profile's timestamps), and only the samples taken inside it are counted; `--whole` counts them all.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
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
  /** µs from the previous sample (the first: from startTime). */
  readonly timeDeltas: readonly number[];
}

/** A measurement window on the monotonic clock, in µs, as the runner writes it beside a profile. */
export interface ProfileWindow {
  readonly label: string;
  readonly startUs: number;
  readonly endUs: number;
}

export interface SelfTime {
  readonly name: string;
  readonly samples: number;
  readonly share: number;
  readonly ms: number;
}

/** Self samples per function (name and place), largest first; only those inside `window` if given. */
export function selfTimes(profile: CpuProfile, window?: ProfileWindow): SelfTime[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.startUs || at > window.endUs)) continue;
    total++;
    const frame = byNode.get(profile.samples[i]!)?.callFrame;
    if (!frame) continue;
    const place = frame.url ? ` ${frame.url.replace(/^.*\/(src|dist|node_modules)\//, '$1/')}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'}${place}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const spanUs = window ? Math.min(window.endUs, profile.endTime) - Math.max(window.startUs, profile.startTime) : profile.endTime - profile.startTime;
  const msPerSample = spanUs / 1000 / Math.max(1, total);
  return [...counts]
    .map(([name, samples]) => ({ name, samples, share: samples / total, ms: samples * msPerSample }))
    .sort((a, b) => b.samples - a.samples);
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' }, whole: { type: 'boolean', default: false } }, allowPositionals: true });
  if (positionals.length === 0) throw new Error('usage: cpuprof-top.ts FILE.cpuprofile [...] [--top N] [--whole]');
  for (const file of positionals) {
    const windowFile = `${file}.window.json`;
    const window = !values.whole && existsSync(windowFile) ? (JSON.parse(readFileSync(windowFile, 'utf8')) as ProfileWindow) : undefined;
    const rows = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, window).slice(0, Number(values.top));
    const scope = window ? `${window.label}, measurement window only` : 'whole process life';
    console.log(`\n${basename(file)} (${scope})\n\n| share | self ms | function |\n|---|---|---|`);
    for (const row of rows) console.log(`| ${(row.share * 100).toFixed(1)}% | ${row.ms.toFixed(0)} | \`${row.name}\` |`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
