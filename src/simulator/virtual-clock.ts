/**
 * Virtual market time: starts at `startTimeMs` and runs `timeScale` times
 * faster than real time, so a test can watch 1 m candles close every half
 * second. Pausing freezes it (the market halts); resuming continues from the
 * frozen instant rather than jumping ahead.
 * @module
 */
import { performance } from 'node:perf_hooks';

export class VirtualClock {
  private baseRealMs: number;
  private baseVirtualMs: number;
  private pausedAtMs: number | undefined;

  constructor(
    startTimeMs: number,
    readonly timeScale: number,
    private readonly realNow: () => number = () => performance.now(),
  ) {
    this.baseRealMs = realNow();
    this.baseVirtualMs = startTimeMs;
  }

  now(): number {
    if (this.pausedAtMs !== undefined) return this.pausedAtMs;
    return this.baseVirtualMs + Math.floor((this.realNow() - this.baseRealMs) * this.timeScale);
  }

  get paused(): boolean {
    return this.pausedAtMs !== undefined;
  }

  pause(): void {
    if (this.pausedAtMs === undefined) this.pausedAtMs = this.now();
  }

  resume(): void {
    if (this.pausedAtMs === undefined) return;
    this.baseVirtualMs = this.pausedAtMs;
    this.baseRealMs = this.realNow();
    this.pausedAtMs = undefined;
  }
}
