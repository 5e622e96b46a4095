/**
 * Tells this gateway's clients when the gateway itself loses its bus (Redis)
 * and when it has it back: without this a client would only see updates stop
 * (heartbeats go on) and could not tell a quiet market from a broken pipe.
 * The messages are StatusMessages with `upstream: "redis"` and no channels
 * (they concern every channel); the worker's own status is separate.
 * @module
 */
import type { MarketBus } from '../bus/market-bus.js';
import type { StatusMessage } from '../schemas/index.js';
import { isoNow } from '../shared/time.js';

/** How often the bus connection state is looked at (a cheap property read). */
const POLL_INTERVAL_MS = 250;
export const BUS_UPSTREAM = 'redis';

export class BusWatch {
  private timer: NodeJS.Timeout | undefined;
  /** A `disconnected` went out and no `live` since: only then is being connected news. */
  private announcedDown = false;
  /** The bus's loss count at the last look. */
  private seenLosses = 0;

  constructor(
    private readonly bus: MarketBus,
    private readonly simulated: () => boolean,
    private readonly announce: (status: StatusMessage) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.check(), POLL_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    // 'connecting' (the first attempt) is not news either way.
    const state = this.bus.connectionState();
    const losses = this.bus.connectionLosses();
    const lostUnseen = losses > this.seenLosses;
    this.seenLosses = losses;
    if (state === 'disconnected' && !this.announcedDown) this.send(false);
    else if (state === 'connected') {
      // Lost and back between two looks: still news (updates may have been missed, an emptied Redis may have
      // lost this gateway's symbol demand), so both messages go out.
      if (lostUnseen && !this.announcedDown) this.send(false);
      if (this.announcedDown) this.send(true);
    }
  }

  private send(connected: boolean): void {
    this.announcedDown = !connected;
    this.announce({
      type: 'status',
      state: connected ? 'live' : 'disconnected',
      upstream: BUS_UPSTREAM,
      channels: [],
      reason: connected
        ? 'the gateway has its Redis connection back; updates resume (a gap is repaired from history, or a reset snapshot follows)'
        : 'the gateway lost its Redis connection; updates pause until it is back',
      simulated: this.simulated(),
      timestamp: isoNow(),
    });
  }
}
