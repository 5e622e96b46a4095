/**
 * One client WebSocket on /v5/public/{linear|spot}: decodes requests and
 * answers them the way Bybit does. One ack per subscribe/unsubscribe request;
 * any bad topic (unknown, lowercase symbol, removed depth, rejected by a
 * fault) or an already active one rejects the whole request, naming the first
 * offending topic; spot refuses more than 10 args; an undecodable frame gets
 * an error and the socket stays open. Data fan-out is the host's job.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket, RawData } from 'ws';
import type { Category } from '../schemas/index.js';
import { ackReply, decodeErrorMessage, errorReply, pongReply, type ReplyContext } from './control-frames.js';

export interface SubscribeRequestRecord {
  readonly connId: string;
  readonly category: Category;
  readonly op: 'subscribe' | 'unsubscribe';
  readonly args: readonly string[];
  readonly reqId: string | undefined;
  /** Real wall-clock time the request arrived. */
  readonly receivedAtMs: number;
  /** Whether the request was acknowledged with success:true. */
  readonly success: boolean;
}

/** What a session needs from the simulator. */
export interface SessionHost {
  readonly pongsStopped: boolean;
  /** A topic this category serves (known channel, depth, interval and symbol) and no fault rejects. */
  accepts(category: Category, topic: string): boolean;
  /** Called after the ack: register and send initial snapshots. */
  subscribe(session: WsSession, topics: readonly string[]): void;
  unsubscribe(session: WsSession, topics: readonly string[]): void;
  recordRequest(record: SubscribeRequestRecord): void;
  recordPing(session: WsSession): void;
}

/** Spot accepts at most this many args per request. */
const SPOT_MAX_ARGS = 10;
const CONN_ID_ALPHABET = '0123456789abcdefghijklmnopqrstuv';

/** Looks like Bybit's "da7tou12ob6fpjtusqi0-8f1rr". */
function newConnId(): string {
  const bytes = randomBytes(25);
  const chars = [...bytes].map((byte) => CONN_ID_ALPHABET[byte % 32]!);
  return `${chars.slice(0, 20).join('')}-${chars.slice(20).join('')}`;
}

export class WsSession {
  readonly connId = newConnId();
  /** Topics active on this connection. */
  readonly topics = new Set<string>();
  readonly connectedAtMs = Date.now();
  lastPingAtMs: number | undefined;

  constructor(
    private readonly socket: WebSocket,
    readonly category: Category,
    private readonly host: SessionHost,
  ) {
    socket.on('message', (data: RawData) => this.onMessage(rawText(data)));
  }

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  send(text: string): void {
    if (this.isOpen) this.socket.send(text);
  }

  /** Drops the TCP connection without a close frame (the client sees 1006). */
  terminate(): void {
    this.socket.terminate();
  }

  private onMessage(text: string): void {
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      this.send(errorReply(this.context(undefined), '', decodeErrorMessage(text)));
      return;
    }
    if (typeof request !== 'object' || Array.isArray(request)) {
      if (request !== null) {
        this.send(errorReply(this.context(undefined), '', decodeErrorMessage(text)));
        return;
      }
      request = {};
    }
    const fields = request as Record<string, unknown>;
    const reqId = typeof fields['req_id'] === 'string' || typeof fields['req_id'] === 'number' ? String(fields['req_id']) : undefined;
    const context = this.context(reqId);
    const op = fields['op'];
    if (op === 'ping') {
      this.lastPingAtMs = Date.now();
      this.host.recordPing(this);
      if (!this.host.pongsStopped) this.send(pongReply(context));
      return;
    }
    if (op === 'subscribe' || op === 'unsubscribe') {
      const args = Array.isArray(fields['args']) ? fields['args'].map((arg) => String(arg)) : [];
      const problem = op === 'subscribe' ? this.subscribeProblem(args) : this.unsubscribeProblem(args);
      this.host.recordRequest({
        connId: this.connId,
        category: this.category,
        op,
        args,
        reqId,
        receivedAtMs: Date.now(),
        success: problem === undefined,
      });
      if (problem !== undefined) {
        this.send(errorReply(context, op, problem));
        return;
      }
      this.send(ackReply(context, op));
      if (op === 'subscribe') {
        for (const topic of args) this.topics.add(topic);
        this.host.subscribe(this, args);
      } else {
        const active = args.filter((topic) => this.topics.delete(topic));
        this.host.unsubscribe(this, active);
      }
      return;
    }
    this.send(errorReply(context, typeof op === 'string' ? op : '', 'error:invalid op'));
  }

  /** The ret_msg that rejects the whole request, or undefined if it is fine. */
  private subscribeProblem(args: readonly string[]): string | undefined {
    if (this.category === 'spot' && args.length > SPOT_MAX_ARGS) return `args size >${SPOT_MAX_ARGS}`;
    const seen = new Set<string>();
    for (const topic of args) {
      if (!this.host.accepts(this.category, topic)) return `error:handler not found,topic:${topic}`;
      if (this.topics.has(topic) || seen.has(topic)) return `error:already subscribed,topic:${topic}`;
      seen.add(topic);
    }
    return undefined;
  }

  private unsubscribeProblem(args: readonly string[]): string | undefined {
    if (this.category === 'spot' && args.length > SPOT_MAX_ARGS) return `args size >${SPOT_MAX_ARGS}`;
    for (const topic of args) {
      if (!this.topics.has(topic) && !this.host.accepts(this.category, topic)) return `error:handler not found,topic:${topic}`;
    }
    return undefined;
  }

  private context(reqId: string | undefined): ReplyContext {
    return { category: this.category, connId: this.connId, reqId };
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
