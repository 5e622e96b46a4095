/**
 * Heartbeats for every client: once per interval each gets a JSON heartbeat
 * and a protocol ping, and a client that did not answer the previous ping is
 * terminated.
 *
 * Spread over the interval: the clients are split into slices, and one slice
 * is visited per tick (interval / slices), each client always in the same
 * slice, so its pings stay one interval apart. Visiting 10k clients in one turn
 * is 10k writes at once: a stall of a few hundred ms every interval on a small
 * machine, which every client's updates would wait behind.
 *
 * The heartbeat bytes are built once per tick and written through the client's
 * send path (framed once, corked), and the ping joins the same write.
 * @module
 */
import type { HeartbeatMessage } from '../schemas/index.js';
import { isoNow } from '../shared/time.js';

export interface HeartbeatClient {
  /** Set by every pong; cleared by every heartbeat ping. */
  alive: boolean;
  send(data: Buffer): void;
  ping(): void;
}

/** Ticks per interval. */
export const HEARTBEAT_SLICES = 10;

export class Heartbeats<Client extends HeartbeatClient> {
  private readonly slices: Set<Client>[] = Array.from({ length: HEARTBEAT_SLICES }, () => new Set<Client>());
  private tick = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    /** A client that missed its pong: cut it off. */
    private readonly onDead: (client: Client) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.visitNextSlice(), Math.max(1, Math.floor(this.intervalMs / HEARTBEAT_SLICES)));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Into the smallest slice, so the slices stay even as clients come and go. */
  add(client: Client): void {
    let smallest = this.slices[0]!;
    for (const slice of this.slices) if (slice.size < smallest.size) smallest = slice;
    smallest.add(client);
  }

  delete(client: Client): void {
    for (const slice of this.slices) if (slice.delete(client)) return;
  }

  private visitNextSlice(): void {
    const slice = this.slices[this.tick++ % HEARTBEAT_SLICES]!;
    if (slice.size === 0) return;
    const heartbeat: HeartbeatMessage = { type: 'heartbeat', timestamp: isoNow() };
    const payload = Buffer.from(JSON.stringify(heartbeat));
    for (const client of slice) {
      if (!client.alive) {
        this.onDead(client);
        continue;
      }
      client.alive = false;
      client.send(payload);
      client.ping();
    }
  }
}
