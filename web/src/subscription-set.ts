/**
 * Keeps the gateway client's subscriptions equal to what the page wants to
 * show, at a pace the gateway accepts. The gateway drops client messages
 * beyond INBOUND_MESSAGES_PER_SECOND (10/s, bursts of 20) and a dropped
 * unsubscribe would leave a stale subscription behind; so messages are paid
 * from a token bucket kept below that limit, and when a trader flips through
 * symbols faster than that, only the latest wish is carried out (the
 * intermediate markets are never subscribed at all).
 *
 * A channel marked `fresh` is subscribed again even if held: its view was
 * cleared and needs a new snapshot (subscribing again restarts a channel).
 * @module
 */
import type { ChannelHandlers, ChannelRequest } from './gateway-client.js';
import { channelOf } from './gateway-client.js';

export interface Subscriber {
  subscribe(request: ChannelRequest, handlers: ChannelHandlers): () => void;
}

export interface Wanted {
  readonly request: ChannelRequest;
  readonly handlers: ChannelHandlers;
}

/** Below the gateway's defaults (10/s, burst 20), leaving room for the client's own resubscribes. */
const BUCKET_SIZE = 12;
const REFILL_PER_SECOND = 6;

export class SubscriptionSet {
  private readonly held = new Map<string, () => void>();
  private wanted = new Map<string, Wanted>();
  private readonly fresh = new Set<string>();
  private tokens = BUCKET_SIZE;
  private refilledAt = Date.now();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly client: Subscriber) {}

  /** The channels to hold from now on; those in `fresh` restart with a new snapshot. */
  want(entries: readonly Wanted[], fresh: readonly string[]): void {
    this.wanted = new Map(entries.map((entry) => [channelOf(entry.request), entry]));
    for (const channel of fresh) this.fresh.add(channel);
    this.reconcile();
  }

  /** Restarts one held channel with a new snapshot (e.g. an order book that lost a delta). */
  restart(channel: string): void {
    if (!this.wanted.has(channel)) return;
    this.fresh.add(channel);
    this.reconcile();
  }

  private reconcile(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.refill();
    // Subscribe first: the new market's data is what the trader waits for; the old one's is ignored meanwhile.
    for (const [channel, entry] of this.wanted) {
      if (this.held.has(channel) && !this.fresh.has(channel)) continue;
      if (!this.take()) {
        this.later();
        return;
      }
      // Subscribing again replaces the held subscription in the client; its old unsubscribe must not be called.
      this.held.set(channel, this.client.subscribe(entry.request, entry.handlers));
      this.fresh.delete(channel);
    }
    for (const [channel, unsubscribe] of this.held) {
      if (this.wanted.has(channel)) continue;
      if (!this.take()) {
        this.later();
        return;
      }
      unsubscribe();
      this.held.delete(channel);
    }
    for (const channel of this.fresh) if (!this.wanted.has(channel)) this.fresh.delete(channel);
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(BUCKET_SIZE, this.tokens + ((now - this.refilledAt) / 1000) * REFILL_PER_SECOND);
    this.refilledAt = now;
  }

  private take(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private later(): void {
    const waitMs = Math.ceil(((1 - this.tokens) / REFILL_PER_SECOND) * 1000);
    this.timer = setTimeout(() => this.reconcile(), Math.max(50, waitMs));
  }
}
