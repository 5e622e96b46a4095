/**
 * The reference feed as a child process of the runner: started at the feed's
 * priority, and asked (SIGUSR2) for its publish hop over a measured window.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { FeedWindow } from './reference-feed.js';
import { asFeed } from './servers.js';

export class FeedProcess {
  private readonly waiting: ((window: FeedWindow) => void)[] = [];
  /** The feed's epoch (monotonic µs): its trade bursts start at epoch + k × 10 s (inBurst). */
  readonly epochUs: Promise<number>;

  private constructor(readonly child: ChildProcess) {
    let epoch!: (epochUs: number) => void;
    this.epochUs = new Promise((resolve) => (epoch = resolve));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as { window?: FeedWindow; epochUs?: number; feed?: unknown };
      if (parsed.window) this.waiting.shift()?.(parsed.window);
      else if (parsed.epochUs !== undefined) epoch(parsed.epochUs);
      else process.stderr.write(`${line}\n`);
    });
  }

  static start(redisUrl: string, symbols: number, rate: number): FeedProcess {
    const [command, argv] = asFeed(process.execPath, ['--import', 'tsx', 'bench/harness/reference-feed.ts', redisUrl, String(symbols), '0', '1', String(rate)]);
    return new FeedProcess(spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] }));
  }

  /** What the feed published since the previous call (the first call opens the window). nice execs in place: the pid is the feed's. */
  window(): Promise<FeedWindow> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the feed did not answer SIGUSR2 within 5 s')), 5_000);
      this.waiting.push((window) => {
        clearTimeout(timer);
        resolve(window);
      });
      this.child.kill('SIGUSR2');
    });
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}
