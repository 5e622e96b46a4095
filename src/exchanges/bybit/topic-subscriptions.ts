/**
 * Subscription bookkeeping for one Bybit socket, with no I/O: which topics are
 * wanted, acknowledged, in flight (by req_id) or rejected. It turns wishes and
 * acks into requests; the connection sends them.
 *
 * Rules (docs/bybit-v5-protocol.md §1.3-1.4, §6.5): at most `batchSize` (10)
 * args per request; one ack per request; a failed request rejects every topic
 * in it, so the topic at fault is dropped and reported (never retried in a
 * loop) and the others are re-sent; an unnamed failure splits the batch in two;
 * an active topic is never sent again ("already subscribed" poisons a batch).
 * @module
 */
import { isAlreadySubscribed, isTopicVerdict, topicNamedInError } from './bybit-control-frames.js';

export interface TopicRequest {
  readonly reqId: string;
  readonly op: 'subscribe' | 'unsubscribe';
  readonly args: readonly string[];
}

export interface AckOutcome {
  readonly activated: readonly string[];
  readonly rejected: readonly { readonly topic: string; readonly reason: string }[];
  /** Requests to send now (retries, or the subscribe half of a resync). */
  readonly send: readonly TopicRequest[];
  /** The request could not be repaired in place: reconnect the socket. */
  readonly reconnect: boolean;
}

interface PendingRequest extends TopicRequest {
  readonly sentAtMs: number;
}

export class TopicSubscriptions {
  private readonly desired = new Set<string>();
  private readonly active = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly rejected = new Map<string, string>();
  /** Topics unsubscribed for a resync: re-subscribe once the unsubscribe is acked. */
  private readonly resyncing = new Set<string>();
  private nextReqId = 1;
  private connected = false;

  constructor(
    private readonly batchSize = 10,
    private readonly now: () => number = Date.now,
  ) {}

  /** Replaces the wanted set. Returns what to send if connected. */
  setDesired(topics: Iterable<string>): TopicRequest[] {
    const wanted = new Set(topics);
    for (const topic of wanted) this.rejected.delete(topic);
    const removed = [...this.desired].filter((topic) => !wanted.has(topic));
    this.desired.clear();
    for (const topic of wanted) this.desired.add(topic);
    if (!this.connected) return [];
    const unsubscribe = removed.filter((topic) => this.active.has(topic));
    return [...this.batch('unsubscribe', unsubscribe), ...this.subscribeMissing()];
  }

  /** A new socket: nothing is active on it; subscribe everything wanted. */
  onConnected(): TopicRequest[] {
    this.connected = true;
    this.clearConnectionState();
    return this.subscribeMissing();
  }

  onDisconnected(): void {
    this.connected = false;
    this.clearConnectionState();
  }

  /** Unsubscribe then subscribe again, for a fresh snapshot (e.g. an order book gap). */
  resync(topic: string): TopicRequest[] {
    if (!this.connected || !this.active.has(topic) || this.resyncing.has(topic)) return [];
    this.resyncing.add(topic);
    return this.batch('unsubscribe', [topic]);
  }

  onAck(reqId: string | undefined, success: boolean, retMsg: string): AckOutcome {
    const request = reqId === undefined ? undefined : this.pending.get(reqId);
    if (!request) return { activated: [], rejected: [], send: [], reconnect: false };
    this.pending.delete(request.reqId);
    for (const topic of request.args) this.inFlight.delete(topic);

    if (request.op === 'unsubscribe') return this.onUnsubscribeAck(request, success);
    if (success) {
      const activated = request.args.filter((topic) => this.desired.has(topic));
      for (const topic of activated) this.active.add(topic);
      // A topic dropped from the wish list while its subscribe was in flight.
      const unwanted = request.args.filter((topic) => !this.desired.has(topic));
      for (const topic of unwanted) this.active.add(topic);
      return { activated, rejected: [], send: this.batch('unsubscribe', unwanted), reconnect: false };
    }
    return this.onSubscribeFailure(request, retMsg);
  }

  /** Requests sent before `olderThanMs` that still have no ack. */
  overdue(olderThanMs: number): TopicRequest[] {
    const cutoff = this.now() - olderThanMs;
    return [...this.pending.values()].filter((request) => request.sentAtMs < cutoff);
  }

  pendingCount(): number {
    return this.pending.size;
  }
  isActive(topic: string): boolean {
    return this.active.has(topic);
  }
  activeTopics(): string[] {
    return [...this.active];
  }
  desiredTopics(): string[] {
    return [...this.desired];
  }
  rejectedTopics(): ReadonlyMap<string, string> {
    return this.rejected;
  }
  hasDesired(): boolean {
    return this.desired.size > 0;
  }

  /** Unsubscribe requests for everything active (graceful shutdown). */
  unsubscribeAll(): TopicRequest[] {
    const topics = [...this.active];
    this.desired.clear();
    return this.batch('unsubscribe', topics);
  }

  private onUnsubscribeAck(request: PendingRequest, success: boolean): AckOutcome {
    const resubscribe: string[] = [];
    for (const topic of request.args) {
      if (this.resyncing.delete(topic)) {
        if (!success) return { activated: [], rejected: [], send: [], reconnect: true };
        this.active.delete(topic);
        if (this.desired.has(topic)) resubscribe.push(topic);
      } else if (success) {
        this.active.delete(topic);
      }
    }
    return { activated: [], rejected: [], send: this.batch('subscribe', resubscribe), reconnect: false };
  }

  private onSubscribeFailure(request: PendingRequest, retMsg: string): AckOutcome {
    const named = topicNamedInError(retMsg);
    if (named !== undefined && request.args.includes(named)) {
      const rest = request.args.filter((topic) => topic !== named && this.desired.has(topic));
      if (isAlreadySubscribed(retMsg)) {
        this.active.add(named);
        return { activated: [named], rejected: [], send: this.batch('subscribe', rest), reconnect: false };
      }
      this.reject(named, retMsg);
      return { activated: [], rejected: [{ topic: named, reason: retMsg }], send: this.batch('subscribe', rest), reconnect: false };
    }
    const wanted = request.args.filter((topic) => this.desired.has(topic));
    if (wanted.length === 1) {
      const [topic] = wanted as [string];
      // Only a verdict on the topic itself is final; anything else may be
      // transient: the topic stays wanted and is tried again on the next socket.
      if (!isTopicVerdict(retMsg)) return { activated: [], rejected: [], send: [], reconnect: false };
      this.reject(topic, retMsg);
      return { activated: [], rejected: [{ topic, reason: retMsg }], send: [], reconnect: false };
    }
    // Nothing named (e.g. "args size >10"): halve until the culprit stands alone.
    const middle = Math.ceil(wanted.length / 2);
    return {
      activated: [],
      rejected: [],
      send: [...this.request('subscribe', wanted.slice(0, middle)), ...this.request('subscribe', wanted.slice(middle))],
      reconnect: false,
    };
  }

  private reject(topic: string, reason: string): void {
    this.rejected.set(topic, reason);
    this.desired.delete(topic);
  }

  private subscribeMissing(): TopicRequest[] {
    const missing = [...this.desired].filter((topic) => !this.active.has(topic) && !this.inFlight.has(topic));
    return this.batch('subscribe', missing);
  }

  private batch(op: TopicRequest['op'], topics: readonly string[]): TopicRequest[] {
    const requests: TopicRequest[] = [];
    for (let i = 0; i < topics.length; i += this.batchSize) {
      requests.push(...this.request(op, topics.slice(i, i + this.batchSize)));
    }
    return requests;
  }

  private request(op: TopicRequest['op'], args: readonly string[]): TopicRequest[] {
    if (args.length === 0) return [];
    const reqId = `${op === 'subscribe' ? 'sub' : 'unsub'}-${this.nextReqId++}`;
    const request: PendingRequest = { reqId, op, args, sentAtMs: this.now() };
    this.pending.set(reqId, request);
    for (const topic of args) this.inFlight.add(topic);
    return [request];
  }

  private clearConnectionState(): void {
    this.active.clear();
    this.inFlight.clear();
    this.pending.clear();
    this.resyncing.clear();
  }
}
