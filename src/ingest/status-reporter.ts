/**
 * Tells clients (through the bus `status` channel) when the upstream link or a
 * channel changes health: connecting, live, disconnected, stale, resyncing.
 * Only changes are published, so a flapping check cannot flood the channel.
 * @module
 */
import type { MarketBus } from '../bus/market-bus.js';
import type { StatusMessage, UpstreamState } from '../schemas/index.js';
import type { Logger } from '../shared/logger.js';
import { isoNow } from '../shared/time.js';

const LINK = '*';

export class StatusReporter {
  private readonly states = new Map<string, UpstreamState>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly bus: MarketBus,
    private readonly source: { readonly upstream: string; readonly worker: string; readonly simulated: boolean },
    private readonly logger: Logger,
    /**
     * Whether this worker speaks for the link now. A standby worker (no symbol
     * leased) stays quiet, so it cannot tell clients "connecting" while
     * another worker is live.
     */
    private readonly linkAnnounced: () => boolean = () => true,
    /**
     * The channels a link change concerns: [] (the whole upstream) when this
     * worker is the only one; its own channels when others stream the rest, so
     * their clients are not told the upstream is down.
     */
    private readonly linkScope: () => readonly string[] = () => [],
  ) {}

  /** The whole upstream link (recorded always, announced when `linkAnnounced`). */
  link(state: UpstreamState, reason?: string): void {
    if (this.states.get(LINK) === state) return;
    this.states.set(LINK, state);
    if (this.linkAnnounced()) this.send({ state, channels: [...this.linkScope()], reason });
  }

  /** Several channels in one message (a symbol taken over or released). */
  channels(channels: readonly string[], state: UpstreamState, reason: string): void {
    if (channels.length === 0) return;
    for (const channel of channels) this.states.set(channel, state);
    this.send({ state, channels: [...channels], reason });
  }

  /** Channels this worker no longer streams: their state is someone else's to report. */
  forget(channels: readonly string[]): void {
    for (const channel of channels) this.states.delete(channel);
  }

  /** One channel (stale, resyncing, live again). */
  channel(channel: string, state: UpstreamState, reason?: string): void {
    const previous = this.states.get(channel);
    if (previous === state || (previous === undefined && state === 'live')) return;
    this.states.set(channel, state);
    this.send({ state, channels: [channel], reason });
  }

  /**
   * Publishes the current state again (link, and every channel not live): the
   * bus may have lost what it stored (a Redis restart) and /health reads it.
   */
  reannounce(): void {
    for (const [key, state] of this.states) {
      if (key === LINK) {
        if (this.linkAnnounced()) this.send({ state, channels: [...this.linkScope()], reason: 'status re-announced after a bus outage' });
      } else if (state !== 'live') this.send({ state, channels: [key], reason: 'status re-announced after a bus outage' });
    }
  }

  linkState(): UpstreamState | undefined {
    return this.states.get(LINK);
  }

  channelState(channel: string): UpstreamState {
    return this.states.get(channel) ?? 'live';
  }

  private send(change: { state: UpstreamState; channels: string[]; reason: string | undefined }): void {
    const message: StatusMessage = {
      type: 'status',
      state: change.state,
      upstream: this.source.upstream,
      channels: change.channels,
      ...(change.reason ? { reason: change.reason } : {}),
      simulated: this.source.simulated,
      worker: this.source.worker,
      timestamp: isoNow(),
    };
    this.logger.info({ state: change.state, channels: change.channels, reason: change.reason }, 'upstream status');
    const sent = this.bus
      .publishStatus(message)
      .catch((error: unknown) => {
        this.logger.warn({ err: (error as Error).message }, 'could not publish status');
      })
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  /** Resolves once every status message sent so far has been published or has failed. */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
