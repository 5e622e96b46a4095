/**
 * Decides the one word the connection badge shows, from everything that can
 * make the screen lie: the socket (connecting, reconnecting), the upstream's
 * own status messages for the link or for a channel on screen (stale,
 * disconnected, resyncing, stopped), and plain silence: a candles channel
 * with no message for {@link CANDLE_SILENCE_MS} is stale whatever anyone
 * reported, because a frozen chart must never look live.
 *
 * The gateway only reports status *changes*, so after a reconnect or a switch
 * the page seeds the current state from /health ({@link FeedHealth.seed}),
 * and data arriving on a channel clears a "stale" mark for it (the worker
 * itself calls a channel live again as soon as data flows). Pure logic: time
 * is passed in, no DOM, no timers.
 * @module
 */
import type { StatusMessage, UpstreamState } from '../../src/schemas/index.js';
import type { HealthSummary } from './gateway-api.js';
import type { ConnectionState, StateChange } from './gateway-client.js';

export type DisplayState = 'connecting' | 'live' | 'reconnecting' | 'stale';

export interface FeedView {
  readonly state: DisplayState;
  /** When reconnecting: time left before the next attempt. */
  readonly reconnectInMs?: number;
  /** Why, in words, for the badge's tooltip. */
  readonly reason: string;
}

export const CANDLE_SILENCE_MS = 10_000;

interface UpstreamMark {
  readonly state: UpstreamState;
  readonly reason: string;
  readonly at: number;
}

const LINK_PREFIX = 'link:';

export class FeedHealth {
  private link: ConnectionState = 'connecting';
  private reconnectAt = 0;
  private linkLiveAt = 0;
  /** Latest known state, keyed by channel or by `link:<upstream>` for the whole link; 'live' marks are kept so older news cannot overwrite them. */
  private readonly marks = new Map<string, UpstreamMark>();
  private watched = new Set<string>();
  private watchSince = 0;
  private candleDataAt: number | undefined;

  setLink(change: StateChange, now: number): void {
    this.link = change.state;
    if (change.state === 'reconnecting') this.reconnectAt = now + (change.reconnectInMs ?? 0);
    if (change.state === 'live') this.linkLiveAt = now;
  }

  /** A new set of channels on screen (a switch): forget channel marks, which may be outdated, and wait for candles again. */
  watch(channels: readonly string[], now: number): void {
    this.watched = new Set(channels);
    this.watchSince = now;
    this.candleDataAt = undefined;
    for (const key of [...this.marks.keys()]) if (!key.startsWith(LINK_PREFIX)) this.marks.delete(key);
  }

  /** A snapshot or an update arrived on the candles channel. */
  noteCandleData(now: number): void {
    this.candleDataAt = now;
  }

  /** Live data arrived on `channel`: whatever made it stale is over. Resyncing and stopped are only lifted by status. */
  noteData(channel: string, now: number): void {
    if (this.marks.get(channel)?.state === 'stale') this.marks.set(channel, { state: 'live', reason: '', at: now });
  }

  noteStatus(status: StatusMessage, now: number): void {
    const keys = status.channels.length === 0 ? [`${LINK_PREFIX}${status.upstream}`] : status.channels;
    const reason = `${status.upstream} ${status.state}${status.reason ? `: ${status.reason}` : ''}`;
    for (const key of keys) this.marks.set(key, { state: status.state, reason, at: now });
  }

  /** The current state from /health, fetched at `fetchedAt`: marks set since then are newer and win. */
  seed(health: HealthSummary, fetchedAt: number): void {
    const { name, state } = health.upstream;
    if (name && state !== 'unknown') this.seedMark(`${LINK_PREFIX}${name}`, state, `${name} ${state} (from /health)`, fetchedAt);
    const stale = new Set(health.staleChannels);
    for (const channel of this.watched) {
      this.seedMark(channel, stale.has(channel) ? 'stale' : 'live', `${channel} has published nothing recently (from /health)`, fetchedAt);
    }
  }

  evaluate(now: number): FeedView {
    if (this.link === 'reconnecting') {
      return { state: 'reconnecting', reconnectInMs: Math.max(0, this.reconnectAt - now), reason: 'connection to the gateway lost' };
    }
    if (this.link !== 'live') return { state: 'connecting', reason: 'connecting to the gateway' };
    for (const [key, mark] of this.marks) {
      if (mark.state !== 'live' && (key.startsWith(LINK_PREFIX) || this.watched.has(key))) return { state: 'stale', reason: mark.reason };
    }
    const since = Math.max(this.watchSince, this.linkLiveAt);
    if (this.candleDataAt === undefined) {
      return now - since > CANDLE_SILENCE_MS ? { state: 'stale', reason: 'no candles received' } : { state: 'connecting', reason: 'waiting for the first candles' };
    }
    const silentMs = now - Math.max(this.candleDataAt, since);
    if (silentMs > CANDLE_SILENCE_MS) return { state: 'stale', reason: `no candle update for ${Math.round(silentMs / 1000)} s` };
    return { state: 'live', reason: 'receiving live data' };
  }

  private seedMark(key: string, state: UpstreamState, reason: string, fetchedAt: number): void {
    const held = this.marks.get(key);
    if (held && held.at >= fetchedAt) return;
    this.marks.set(key, { state, reason, at: fetchedAt });
  }
}
