/**
 * Prometheus metrics of one gateway, on its own registry (several gateways can
 * live in one process, as in tests). Served at GET /metrics.
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly connections: Gauge;
  readonly subscriptions: Gauge;
  readonly messagesIn: Counter;
  readonly messagesOut: Counter;
  /** Writes to client sockets on the fan-out path (one per socket per turn): messages out per write is the batching. */
  readonly socketWrites: Counter;
  /** Snapshot reads sent to the bus: subscriptions to one channel in one turn share one (snapshot-reads.ts). */
  readonly snapshotReads: Counter;
  readonly droppedUpdates: Counter<'reason'>;
  readonly slowClientCloses: Counter;
  readonly refusedUpgrades: Counter<'status'>;
  readonly clientErrors: Counter<'code'>;
  /** Exchange time (exchange_ts) to the moment the gateway hands the update to the sockets. */
  /** Labelled by channel kind, not by channel: a series per channel made a scrape at 1000 symbols block the gateway ~100 ms. */
  readonly deliveryLag: Histogram<'subscription'>;

  constructor(sample: { connections: () => number; subscriptions: () => number }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'tickstream_gateway_' });
    this.connections = new Gauge({
      name: 'tickstream_gateway_connections',
      help: 'Open WebSocket connections',
      registers: [this.registry],
      collect() {
        this.set(sample.connections());
      },
    });
    this.subscriptions = new Gauge({
      name: 'tickstream_gateway_subscriptions',
      help: 'Channel subscriptions across all connections',
      registers: [this.registry],
      collect() {
        this.set(sample.subscriptions());
      },
    });
    this.messagesIn = new Counter({ name: 'tickstream_gateway_messages_in_total', help: 'Updates received from the bus', registers: [this.registry] });
    this.messagesOut = new Counter({ name: 'tickstream_gateway_messages_out_total', help: 'Messages sent to clients', registers: [this.registry] });
    this.socketWrites = new Counter({
      name: 'tickstream_gateway_socket_writes_total',
      help: 'Writes of fan-out messages to client sockets: one per socket per event-loop turn, holding all of its messages of that turn',
      registers: [this.registry],
    });
    this.snapshotReads = new Counter({
      name: 'tickstream_gateway_snapshot_reads_total',
      help: 'Snapshot reads sent to the bus (subscriptions to one channel in one event-loop turn share one)',
      registers: [this.registry],
    });
    this.droppedUpdates = new Counter({
      name: 'tickstream_gateway_dropped_updates_total',
      help: 'Updates not sent to a client (duplicate seq, replaced by a snapshot)',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.slowClientCloses = new Counter({ name: 'tickstream_gateway_slow_client_closes_total', help: 'Clients closed for a full send buffer (4409)', registers: [this.registry] });
    this.refusedUpgrades = new Counter({ name: 'tickstream_gateway_refused_upgrades_total', help: 'WebSocket upgrades refused, by HTTP status', labelNames: ['status'], registers: [this.registry] });
    this.clientErrors = new Counter({ name: 'tickstream_gateway_client_errors_total', help: 'Error messages sent to clients, by code', labelNames: ['code'], registers: [this.registry] });
    this.deliveryLag = new Histogram({
      name: 'tickstream_gateway_delivery_lag_seconds',
      help: 'From exchange time to hand-off to client sockets, by subscription type (candles, trades, ticker, orderbook)',
      labelNames: ['subscription'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }
}
