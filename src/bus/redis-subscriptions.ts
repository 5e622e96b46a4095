/**
 * Pub/Sub for the Redis bus: one subscriber connection, opened lazily on the
 * first `subscribe` (a publish-only worker holds just its command connection),
 * and one Redis subscription per topic shared by all of that topic's
 * listeners (ref-counted).
 *
 * After a reconnect node-redis (v5) re-sends SUBSCRIBE for every topic it still
 * has listeners for before it reports `ready` (the redis-fault tests prove
 * listeners receive again). What it cannot know is an UNSUBSCRIBE lost in the
 * outage, so on every `ready` topics nobody listens to any more are dropped.
 * @module
 */
import type { Logger } from '../shared/logger.js';
import { BusUnavailableError, type PayloadListener, type Unsubscribe } from './market-bus.js';
import { settleWithin, toBusError, type RedisConnection } from './redis-connection.js';

/** How long an unsubscribe waits for Redis to confirm before returning anyway. */
const UNSUBSCRIBE_CONFIRM_WAIT_MS = 2_000;
/**
 * How long subscribe waits for the subscriber connection to come back when the
 * command connection shows Redis is up again (just over the largest backoff).
 */
const SUBSCRIBER_CATCH_UP_WAIT_MS = 6_000;

interface TopicEntry {
  /** One token per subscribe() call, so the same function subscribed twice is counted twice. */
  readonly listeners: Set<{ readonly listener: PayloadListener }>;
  /** The single node-redis listener for the topic. */
  readonly dispatch: (message: string) => void;
  /** Settles when Redis has confirmed the SUBSCRIBE. */
  readonly active: Promise<void>;
}

export class RedisSubscriptions {
  private connection: RedisConnection | undefined;
  private readonly topics = new Map<string, TopicEntry>();
  private closed = false;

  constructor(
    private readonly openConnection: () => RedisConnection,
    /** true when the command connection is up, i.e. Redis is reachable. */
    private readonly redisReachable: () => boolean,
    private readonly logger: Logger,
  ) {}

  async subscribe(topic: string, listener: PayloadListener): Promise<Unsubscribe> {
    if (this.closed) throw new BusUnavailableError('redis bus is closed');
    let entry = this.topics.get(topic);
    if (!entry) {
      entry = this.createEntry(topic);
      this.topics.set(topic, entry);
    }
    const token = { listener };
    entry.listeners.add(token);
    try {
      await entry.active;
    } catch (error) {
      entry.listeners.delete(token);
      if (this.topics.get(topic) === entry) this.topics.delete(topic);
      throw toBusError(error, `subscribe to ${topic}`);
    }
    let released = false;
    const subscribed = entry;
    return async () => {
      if (released) return;
      released = true;
      await this.release(topic, subscribed, token);
    };
  }

  /** Idempotent: drops every listener and the subscriber connection. */
  close(): void {
    this.closed = true;
    this.topics.clear();
    this.connection?.close();
  }

  private createEntry(topic: string): TopicEntry {
    const listeners = new Set<{ readonly listener: PayloadListener }>();
    const dispatch = (message: string) => {
      for (const token of [...listeners]) {
        try {
          token.listener(message);
        } catch (error) {
          // A throw here would unwind into node-redis's reply parser.
          this.logger.error({ err: error, topic }, 'bus listener threw');
        }
      }
    };
    const connection = this.subscriberConnection();
    const catchUpMs = this.redisReachable() ? SUBSCRIBER_CATCH_UP_WAIT_MS : 0;
    const active = connection.whenUsable(catchUpMs).then((client) => client.subscribe(topic, dispatch));
    return { listeners, dispatch, active };
  }

  private async release(topic: string, entry: TopicEntry, token: { readonly listener: PayloadListener }): Promise<void> {
    entry.listeners.delete(token);
    if (entry.listeners.size > 0 || this.topics.get(topic) !== entry || this.closed) return;
    this.topics.delete(topic);
    const connection = this.subscriberConnection();
    const unsubscribed = connection.client.unsubscribe(topic, entry.dispatch);
    // While offline the command waits for the reconnect (or is dropped then, see dropOrphans).
    if (connection.isReady) await settleWithin(unsubscribed, UNSUBSCRIBE_CONFIRM_WAIT_MS);
    else unsubscribed.catch(() => undefined);
  }

  private subscriberConnection(): RedisConnection {
    if (!this.connection) {
      const connection = this.openConnection();
      connection.onReady(() => this.dropOrphans(connection));
      this.connection = connection;
    }
    return this.connection;
  }

  /** Unsubscribes topics node-redis restored but no listener wants any more. */
  private dropOrphans(connection: RedisConnection): void {
    for (const topic of [...connection.client.getPubSubListeners('CHANNELS').keys()]) {
      if (this.topics.has(topic)) continue;
      this.logger.debug({ topic }, 'dropping a subscription left over from an outage');
      connection.client.unsubscribe(topic).catch(() => undefined);
    }
  }
}
