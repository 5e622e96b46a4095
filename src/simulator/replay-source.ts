/**
 * Replays a JSONL file of raw Bybit frames (one per line, sent byte for byte)
 * to the subscribers of each frame's topic, in file order at a fixed real
 * interval, optionally looping. Lines without a `topic` (acks, pongs, client
 * requests) are skipped. A frame's category is given by an option or
 * inferred from its shape: spot trades have no `L`, spot tickers carry
 * `usdIndexPrice`, spot order books put `ts` before `type`; klines look the
 * same in both and go to both.
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { Category } from '../schemas/index.js';
import type { SimulatorSymbols } from './simulator-options.js';
import { parseTopic } from './topic-parser.js';

export interface ReplayFrame {
  readonly raw: string;
  readonly topic: string;
  readonly symbol: string;
  /** Undefined: deliver to both categories. */
  readonly category: Category | undefined;
}

export async function loadReplayFile(path: string, category?: Category): Promise<ReplayFrame[]> {
  const text = await readFile(path, 'utf8');
  const frames: ReplayFrame[] = [];
  for (const line of text.split(/\r?\n/)) {
    const raw = line.trim();
    if (raw === '') continue;
    let frame: unknown;
    try {
      frame = JSON.parse(raw);
    } catch {
      continue;
    }
    if (typeof frame !== 'object' || frame === null || typeof (frame as { topic?: unknown }).topic !== 'string') continue;
    const record = frame as Record<string, unknown>;
    const topic = record['topic'] as string;
    const parsed = parseTopic(topic);
    if (parsed === undefined) continue;
    frames.push({ raw, topic, symbol: parsed.symbol, category: category ?? inferCategory(record) });
  }
  return frames;
}

export function inferCategory(frame: Record<string, unknown>): Category | undefined {
  const topic = String(frame['topic']);
  const data = frame['data'];
  const first = Array.isArray(data) ? (data[0] as Record<string, unknown> | undefined) : (data as Record<string, unknown> | undefined);
  if (topic.startsWith('publicTrade.') && first !== undefined) return 'L' in first || 'RPI' in first ? 'linear' : 'spot';
  if (topic.startsWith('tickers.') && first !== undefined) {
    if ('usdIndexPrice' in first) return 'spot';
    return 'markPrice' in first || frame['type'] === 'delta' ? 'linear' : undefined;
  }
  if (topic.startsWith('orderbook.')) {
    const keys = Object.keys(frame);
    return keys.indexOf('ts') < keys.indexOf('type') ? 'spot' : 'linear';
  }
  return undefined;
}

/**
 * Symbols found in the file become subscribable in their category (both when
 * unknown); `replayOnly` lists the `category|symbol` markets that only the
 * file streams (their model serves REST but pushes no frames).
 */
export function addReplaySymbols(
  symbols: SimulatorSymbols,
  frames: readonly ReplayFrame[],
): { symbols: SimulatorSymbols; replayOnly: ReadonlySet<string> } {
  const linear = new Set(symbols.linear);
  const spot = new Set(symbols.spot);
  const replayOnly = new Set<string>();
  for (const frame of frames) {
    for (const [category, set] of [['linear', linear], ['spot', spot]] as const) {
      if (frame.category === (category === 'linear' ? 'spot' : 'linear') || set.has(frame.symbol)) continue;
      set.add(frame.symbol);
      replayOnly.add(`${category}|${frame.symbol}`);
    }
  }
  return { symbols: { linear: [...linear], spot: [...spot] }, replayOnly };
}

export class ReplayPlayer {
  private timer: NodeJS.Timeout | undefined;
  private position = 0;
  private played = 0;

  constructor(
    private readonly frames: readonly ReplayFrame[],
    private readonly intervalMs: number,
    private readonly loop: boolean,
    private readonly deliver: (frame: ReplayFrame) => void,
  ) {}

  /** Frames sent (or dropped by a stall) so far. */
  get framesPlayed(): number {
    return this.played;
  }

  start(): void {
    if (this.timer !== undefined || this.frames.length === 0) return;
    this.timer = setInterval(() => this.step(), this.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private step(): void {
    if (this.position >= this.frames.length) {
      if (!this.loop) return this.stop();
      this.position = 0;
    }
    const frame = this.frames[this.position]!;
    this.position += 1;
    this.played += 1;
    this.deliver(frame);
  }
}
