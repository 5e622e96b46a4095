/**
 * Whether this gateway keeps up with its own fan-out: the delay of its event
 * loop over the last few seconds. A gateway past what its core delivers
 * (10k clients on one small core: turns of seconds, docs/benchmarks.md) loses
 * nothing, but every update, heartbeat and HTTP answer waits behind its turns.
 * `/health` reports it (degraded, `gateway.state: "behind"`), so an operator or
 * a load balancer hears it from the gateway and not from its clients.
 *
 * The reading is the worse of the last complete window and the current one:
 * a stall shows at once, and the gateway reads as keeping up again after one
 * clean window.
 * @module
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoopReading {
  /** Event-loop delay, ms: the 99th percentile and the maximum over the window(s) read. */
  readonly delayP99Ms: number;
  readonly delayMaxMs: number;
  /** The p99 is over the bound: the gateway is behind its own fan-out. */
  readonly behind: boolean;
}

export interface LoopWatchOptions {
  /** p99 event-loop delay above which the gateway reads as behind (HEALTH_LOOP_DELAY_MS). */
  readonly behindP99Ms: number;
  /** Length of one window. */
  readonly windowMs?: number;
}

/** How often the delay is sampled: a 20 ms timer costs nothing and sees any stall that matters here. */
const SAMPLE_RESOLUTION_MS = 20;
const DEFAULT_WINDOW_MS = 5_000;
const NS_PER_MS = 1e6;

export class LoopWatch {
  private readonly current: IntervalHistogram = monitorEventLoopDelay({ resolution: SAMPLE_RESOLUTION_MS });
  private last: { p99Ms: number; maxMs: number } = { p99Ms: 0, maxMs: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LoopWatchOptions) {}

  start(): void {
    if (this.timer) return;
    this.current.enable();
    this.timer = setInterval(() => this.roll(), this.options.windowMs ?? DEFAULT_WINDOW_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.current.disable();
  }

  reading(): LoopReading {
    const now = this.windowReading();
    const delayP99Ms = Math.max(this.last.p99Ms, now.p99Ms);
    return { delayP99Ms, delayMaxMs: Math.max(this.last.maxMs, now.maxMs), behind: delayP99Ms > this.options.behindP99Ms };
  }

  private roll(): void {
    this.last = this.windowReading();
    this.current.reset();
  }

  /**
   * The current window; an empty one (no sample yet) reads 0, not the histogram's NaN. Node records the time
   * between two ticks of its sampling timer, so an idle loop reads the resolution (20.1 ms): the delay is the rest.
   */
  private windowReading(): { p99Ms: number; maxMs: number } {
    if (this.current.count === 0) return { p99Ms: 0, maxMs: 0 };
    const delayMs = (recordedNs: number) => Math.max(0, recordedNs / NS_PER_MS - SAMPLE_RESOLUTION_MS);
    return { p99Ms: delayMs(this.current.percentile(99)), maxMs: delayMs(this.current.max) };
  }
}
