/**
 * From repeated rows to what docs/benchmarks.md shows: per server and
 * scenario the median of every figure with min–max of the ones that vary
 * most, the knee of each server, and the markdown table.
 * @module
 */
import type { RunResult } from './bench-run.js';

export interface Summary {
  readonly server: string;
  readonly scenario: string;
  readonly connections: number;
  readonly repeats: number;
  readonly median: RunResult;
  readonly p99Range: readonly [number, number];
  readonly cpuRange: readonly [number, number];
  readonly deliveredRange: readonly [number, number];
  /** Any repeat was client-bound: the row says so rather than pass the clients' limit off as the server's. */
  readonly clientBound: boolean;
  /** Any repeat had a load process at a full core: delivered/s may be the clients' limit. */
  readonly loadBound: boolean;
}

/** The knee: the first load a server did not carry (p99 over 50 ms, or anything lost or undelivered). */
export const KNEE_P99_MS = 50;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function range(values: readonly number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

export function summarize(results: readonly RunResult[]): Summary[] {
  const groups = new Map<string, RunResult[]>();
  for (const result of results) {
    const key = `${result.server}|${result.scenario}|${result.connections}`;
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  return [...groups.values()].map((rows) => {
    const first = rows[0]!;
    // Every number is the median of the repeats, every flag set if any repeat set it, the rest the first's.
    const medianRow = Object.fromEntries(
      Object.entries(first).map(([key, value]) => {
        const values = rows.map((row) => (row as unknown as Record<string, unknown>)[key]);
        if (typeof value === 'number') return [key, median(values as number[])];
        if (typeof value === 'boolean') return [key, values.some(Boolean)];
        return [key, value];
      }),
    ) as unknown as RunResult;
    return {
      server: first.server,
      scenario: first.scenario,
      connections: first.connections,
      repeats: rows.length,
      median: medianRow,
      p99Range: range(rows.map((r) => r.p99Ms)),
      cpuRange: range(rows.map((r) => r.cpuSecondsPer100k)),
      deliveredRange: range(rows.map((r) => r.deliveredPerS)),
      clientBound: medianRow.clientBound,
      loadBound: medianRow.loadBound,
    };
  });
}

export function carried(summary: Summary): boolean {
  const row = summary.median;
  return row.p99Ms <= KNEE_P99_MS && row.lost === 0 && row.deliveredPerS >= 0.99 * row.offeredPerS;
}

/** Per server, over its `zipf` rows by load: the highest delivered rate carried and the first not carried. */
export function knees(summaries: readonly Summary[]): string[] {
  const servers = [...new Set(summaries.map((s) => s.server))];
  return servers.map((server) => {
    const rows = summaries.filter((s) => s.server === server && s.scenario === 'zipf').sort((a, b) => a.connections - b.connections);
    const firstFailed = rows.find((row) => !carried(row));
    const carriedRows = rows.filter((row) => carried(row) && (!firstFailed || row.connections < firstFailed.connections));
    const best = carriedRows.at(-1);
    const bestText = best ? `carried ${best.median.deliveredPerS} msgs/s (${best.connections} connections)` : 'carried none of the loads';
    if (!firstFailed) return `${server}: ${bestText}; knee not reached in this run`;
    const why = firstFailed.median.p99Ms > KNEE_P99_MS ? `p99 ${firstFailed.median.p99Ms.toFixed(0)} ms` : `delivered ${firstFailed.median.deliveredPerS} of ${firstFailed.median.offeredPerS} offered`;
    return `${server}: ${bestText}; knee at ${firstFailed.connections} connections (${why}${firstFailed.clientBound ? ', client-bound' : ''})`;
  });
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

export function table(summaries: readonly Summary[]): string {
  const rows = summaries.map((s) => {
    const r = s.median;
    const notes = [s.clientBound ? 'client-bound' : '', s.loadBound ? 'load clients at a full core' : '', r.closedDuringRun ? `${r.closedDuringRun} closed` : '', r.errors ? `${r.errors} errors` : ''].filter(Boolean).join(', ');
    return `| ${s.server} | ${s.scenario} | ${s.connections} | ${s.repeats} | ${r.offeredPerS} | ${r.deliveredPerS} | ${fixed(r.p50Ms, 1)} | ${fixed(r.p99Ms, 1)} (${fixed(s.p99Range[0], 1)}–${fixed(s.p99Range[1], 1)}) | ${fixed(r.p999Ms, 1)} | ${fixed(r.fromSendP50Ms, 1)} / ${fixed(r.fromSendP99Ms, 1)} | ${fixed(r.calmP50Ms, 1)} / ${fixed(r.calmP99Ms, 1)} | ${fixed(r.burstP50Ms, 1)} / ${fixed(r.burstP99Ms, 1)} (${fixed(r.burstShare * 100, 0)}%) | ${fixed(r.cpuSecondsPer100k, 2)} (${fixed(s.cpuRange[0], 2)}–${fixed(s.cpuRange[1], 2)}) | ${fixed(r.kernelCpuShare * 100, 0)}% | ${fixed(r.messagesPerWrite, 2)} | ${(r.serverCpuShare * 100).toFixed(0)}% | ${r.serverRssMb.toFixed(0)} | ${r.lost}/${r.reordered} | ${fixed(r.publishHopP99Ms, 2)} / ${fixed(r.redisHopP99Ms, 2)} | ${(r.clientCpuShare * 100).toFixed(0)}% / ${(r.loadCpuShare * 100).toFixed(0)}% | ${notes} |`;
  });
  return [
    '| server | scenario | conns | runs | offered/s | delivered/s | p50 ms | p99 ms (min–max) | p99.9 ms | from send p50 / p99 ms | outside bursts p50 / p99 ms | in bursts p50 / p99 ms (share) | CPU-s / 100k (min–max) | of it kernel | msgs / write | server CPU | RSS MB | lost/reordered | hops p99 ms: publish / receipt | CPU: sampler / load | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
