/**
 * The WebSocket endpoints under /api/v1/live: one fixed channel per path
 * (`/ws/candles/{symbol}/{timeframe}`, `/ws/trades/{symbol}`,
 * `/ws/ticker/{symbol}`, `/ws/orderbook/{symbol}`, with `?limit=` and
 * `?since=`), and `/ws`, where the client subscribes and unsubscribes itself.
 * Upgrades, heartbeats (heartbeats.ts) and shutdown live here.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { GatewaySecurity } from '../config/gateway-config.js';
import { ConnectionLimits, MessageRateLimiter } from './connection-limits.js';
import { BEARER_PROTOCOL, TokenVerifier } from './token-verifier.js';
import { SUBSCRIPTION_TYPES, WebSocketSubscriptionSchema, channelName, type StatusMessage, type WebSocketSubscription } from '../schemas/index.js';
import { rawDataText } from '../shared/raw-data.js';
import { ClientSession, type SessionDeps } from './client-session.js';
import { Heartbeats } from './heartbeats.js';
import { TurnBatcher } from './frame-writer.js';
import { SnapshotReads } from './snapshot-reads.js';
import { parseQueryInt } from './query-params.js';
import { CLOSE_CODES } from './client-errors.js';
import type { ServedChannels } from './served-channels.js';
import { parseRequest, resolveChannel, type RequestedChannel } from './subscription-request.js';
import type { SymbolDemand } from './symbol-demand.js';

export const LIVE_PREFIX = '/api/v1/live';

const checkSubscription = TypeCompiler.Compile(WebSocketSubscriptionSchema);

export interface WsEndpointOptions extends Omit<SessionDeps, 'batcher' | 'snapshots'> {
  /** FANOUT_FLUSH_MS (frame-writer.ts): 0 = per event-loop turn. */
  readonly fanoutFlushMs: number;
  readonly served: ServedChannels;
  /** Asks the workers for a symbol a subscribing client wants and none streams. */
  readonly demand: SymbolDemand;
  readonly heartbeatIntervalMs: number;
  readonly security: GatewaySecurity;
}

/** Rate-limited messages in a row after which the connection is closed (4429). */
const MAX_RATE_LIMIT_STRIKES = 20;

type Route = { readonly kind: 'multiplex' } | { readonly kind: 'fixed'; readonly request: RequestedChannel } | undefined;

const MULTIPLEX = Object.freeze({ kind: 'multiplex' as const });

function route(pathname: string): Route {
  const base = `${LIVE_PREFIX}/ws`;
  if (pathname === base) return MULTIPLEX;
  if (!pathname.startsWith(`${base}/`)) return undefined;
  let parts: string[];
  try {
    parts = pathname.slice(base.length + 1).split('/').map(decodeURIComponent);
  } catch {
    return undefined; // a malformed percent-escape is no endpoint, never a crash
  }
  const [subscription, symbol, timeframe, ...rest] = parts;
  if (!subscription || !symbol || rest.length > 0 || !(SUBSCRIPTION_TYPES as readonly string[]).includes(subscription)) return undefined;
  if (subscription === 'candles') return timeframe ? { kind: 'fixed', request: { subscription, symbol, timeframe } } : undefined;
  return timeframe === undefined ? { kind: 'fixed', request: { subscription, symbol } } : undefined;
}

/** What an admitted upgrade brings to its session. */
interface AcceptedUpgrade {
  readonly target: NonNullable<Route>;
  readonly url: URL;
  readonly ip: string;
  readonly expiresAtMs: number | undefined;
  /** The negotiated Sec-WebSocket-Extensions value ('' when none). */
  readonly extensions: string;
}

export class WsEndpoints {
  private readonly server: WebSocketServer;
  private readonly sessions = new Set<ClientSession>();
  private readonly tokens: TokenVerifier;
  private readonly connectionLimits: ConnectionLimits;
  private readonly heartbeats: Heartbeats<ClientSession>;
  private stopping = false;
  private readonly sessionDeps: SessionDeps;
  /** The Sec-WebSocket-Extensions value answered to each upgrade (`ws` exposes only the names on the socket). */
  private readonly negotiatedExtensions = new WeakMap<IncomingMessage, string>();

  constructor(private readonly options: WsEndpointOptions) {
    this.server = new WebSocketServer({
      noServer: true,
      // Sessions are tracked here (this.sessions); ws's own Set would cost a listener and a closure per socket.
      clientTracking: false,
      // A hard frame cap well above the message limit: oversized messages up to it get an error
      // (MESSAGE_TOO_LARGE) before the 1009 close; anything beyond is cut off by ws itself.
      maxPayload: Math.max(64 * 1024, options.limits.maxInboundMessageBytes * 4),
      // Compression, when enabled, is per message and shared by every client (deflate-frames.ts): the server keeps
      // no context between messages. Clients are asked for none either (always acceptable, RFC 7692 §7.1.1.1): a
      // client then need not compress its small messages, and those that do not cost no inflater here (~15 KB).
      // (No demand on the client's window: a client that offers no client_max_window_bits would be refused.)
      perMessageDeflate: options.security.perMessageDeflate ? { serverNoContextTakeover: true, clientNoContextTakeover: true } : false,
      // Browsers pass a token as ["bearer", token]: answer with "bearer", never echo the token.
      handleProtocols: (protocols) => (protocols.has(BEARER_PROTOCOL) ? BEARER_PROTOCOL : false),
    });
    this.server.on('headers', (headers: string[], request: IncomingMessage) => {
      const line = headers.find((header) => header.toLowerCase().startsWith('sec-websocket-extensions:'));
      if (line) this.negotiatedExtensions.set(request, line.slice(line.indexOf(':') + 1).trim());
    });
    const batcher = new TurnBatcher(options.fanoutFlushMs, (sockets) => options.metrics.socketWrites.inc(sockets));
    const snapshots = new SnapshotReads(options.bus, () => options.metrics.snapshotReads.inc());
    this.sessionDeps = { ...options, batcher, snapshots };
    this.tokens = new TokenVerifier(options.security);
    this.connectionLimits = new ConnectionLimits(options.limits);
    this.heartbeats = new Heartbeats<ClientSession>(options.heartbeatIntervalMs, (session) => {
      options.logger.info({ session: session.id }, 'client missed a pong; terminating');
      session.terminate();
    });
    this.heartbeats.start();
    // Relay changes only: a worker re-announcing its state (after a bus outage) is not news to clients.
    const relayed = new Map<string, string>();
    void options.hub.onStatus((status, data) => {
      // Channel-level messages are changes by construction (a takeover, a release, live again): never filtered,
      // or a channel streamed a second time would keep its first "live" and swallow the new one.
      const key = `${status.upstream}|${status.worker ?? ''}`;
      if (status.channels.length === 0 && relayed.get(key) === status.state) return;
      // Worker ids change with every restart: the map is bounded, and forgetting only risks one repeated message.
      if (relayed.size >= 10_000) relayed.clear();
      if (status.channels.length === 0) relayed.set(key, status.state);
      for (const session of this.sessions) session.onStatus(status, data);
    });
  }

  /** A status message of the gateway's own (e.g. its bus lost), to every client. */
  broadcastStatus(status: StatusMessage): void {
    const data = Buffer.from(JSON.stringify(status));
    for (const session of this.sessions) session.onStatus(status, data);
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  get subscriptionCount(): number {
    let total = 0;
    for (const session of this.sessions) total += session.subscriptionCount;
    return total;
  }

  /**
   * Node's 'upgrade' handler. Refused before the upgrade, with an HTTP status:
   * 404 not an endpoint, 403 origin not allowed, 429 per-IP limits, 401 token
   * missing or invalid, 503 shutting down.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      this.admit(request, socket, head);
    } catch (error) {
      // Nothing a client sends may take the process down.
      this.options.logger.warn({ err: (error as Error).message }, 'upgrade failed');
      refuseUpgrade(socket, 400, 'Bad Request');
    }
  }

  private admit(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://gateway');
    const target = route(url.pathname);
    const refuse = (status: number, text: string) => {
      this.options.metrics.refusedUpgrades.inc({ status: String(status) });
      refuseUpgrade(socket, status, text);
    };
    if (this.stopping) return refuse(503, 'Service Unavailable');
    if (!target) return refuse(404, 'Not Found');
    const origin = request.headers.origin;
    const allowed = this.options.security.allowedOrigins;
    if (origin !== undefined && allowed.length > 0 && !allowed.includes(origin)) return refuse(403, 'Forbidden');
    const ip = request.socket.remoteAddress ?? 'unknown';
    const limited = this.connectionLimits.admit(ip);
    if (limited) return refuse(429, 'Too Many Requests');
    void this.tokens.check(request).then((auth) => {
      if (!auth.ok || this.stopping || socket.destroyed) {
        this.connectionLimits.release(ip);
        if (!auth.ok) this.options.logger.info({ ip, reason: auth.reason }, 'upgrade refused: unauthorized');
        return refuse(auth.ok ? 503 : 401, auth.ok ? 'Service Unavailable' : 'Unauthorized');
      }
      this.server.handleUpgrade(request, socket, head, (ws) => {
        const extensions = this.negotiatedExtensions.get(request) ?? '';
        this.negotiatedExtensions.delete(request);
        this.onConnection(ws, socket, { target, url, ip, expiresAtMs: auth.expiresAtMs, extensions });
      });
    });
  }

  private onConnection(ws: WebSocket, socket: Duplex, { target, url, ip, expiresAtMs, extensions }: AcceptedUpgrade): void {
    const session = new ClientSession(ws, this.sessionDeps, ip, socket, extensions);
    this.sessions.add(session);
    this.heartbeats.add(session);
    const expire = () => {
      session.sendError('UNAUTHORIZED', 'token expired');
      session.close(CLOSE_CODES.UNAUTHORIZED, 'token expired');
    };
    const expiry = expiresAtMs === undefined ? undefined : setTimeout(expire, Math.max(0, expiresAtMs - Date.now()));
    ws.on('close', () => {
      clearTimeout(expiry);
      session.dispose();
      this.sessions.delete(session);
      this.heartbeats.delete(session);
      this.connectionLimits.release(ip);
    });
    ws.on('error', (error) => this.options.logger.debug({ session: session.id, err: error.message }, 'client socket error'));
    const { inboundMessagesPerSecond, maxSubscriptionsPerConnection } = this.options.limits;
    // Bursts of twice the rate, and never less than a full set of subscriptions: a dashboard that opens its
    // 40 channels at connect is the normal case, not abuse.
    const limiter = new MessageRateLimiter(inboundMessagesPerSecond, Math.max(2 * inboundMessagesPerSecond, maxSubscriptionsPerConnection));
    let strikes = 0;
    // One message at a time, in order: a subscribe followed at once by an unsubscribe is answered as both.
    let queue: Promise<void> = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      if (rawLength(data) > this.options.limits.maxInboundMessageBytes) {
        session.sendError('MESSAGE_TOO_LARGE', `messages are limited to ${this.options.limits.maxInboundMessageBytes} bytes`);
        session.close(CLOSE_CODES.MESSAGE_TOO_BIG, 'message too large');
        return;
      }
      if (!limiter.take()) {
        if (++strikes >= MAX_RATE_LIMIT_STRIKES) session.close(CLOSE_CODES.RATE_LIMITED, 'too many messages');
        else session.sendError('RATE_LIMITED', `at most ${this.options.limits.inboundMessagesPerSecond} messages per second`);
        return;
      }
      strikes = 0;
      if (target.kind !== 'multiplex') return;
      queue = queue
        .then(() => this.onMultiplexMessage(session, data, isBinary))
        .catch((error: unknown) => this.options.logger.error({ session: session.id, err: (error as Error).message }, 'client message failed'));
    });
    if (target.kind === 'fixed') void this.openFixed(session, target.request, url.searchParams);
  }

  /** Closes every client with 1001 and stops the heartbeat. */
  async stop(reason = 'server shutting down'): Promise<void> {
    this.stopping = true;
    this.heartbeats.stop();
    for (const session of this.sessions) session.close(CLOSE_CODES.GOING_AWAY, reason);
    const deadline = Date.now() + 2_500;
    while (this.sessions.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    this.server.close();
  }

  private async openFixed(session: ClientSession, request: RequestedChannel, query: URLSearchParams): Promise<void> {
    const limit = parseQueryInt(query.get('limit'), 1, this.options.limits.maxSnapshotLimit);
    const since = parseQueryInt(query.get('since'), 0, Number.MAX_SAFE_INTEGER);
    if (limit === null || since === null) {
      session.sendError('INVALID_PARAMETER', `limit must be 1..${this.options.limits.maxSnapshotLimit}; since must be a non-negative integer`);
      session.close(CLOSE_CODES.BAD_REQUEST, 'invalid parameter');
      return;
    }
    const resolved = await resolveChannel(request, this.options.served, this.options.demand);
    if (!resolved.ok) {
      session.sendError(resolved.code, resolved.message);
      // UNAVAILABLE may pass (the bus is down): "try again later", not "this can never be served".
      session.close(resolved.code === 'UNAVAILABLE' ? CLOSE_CODES.TRY_AGAIN_LATER : CLOSE_CODES.BAD_REQUEST, resolved.code);
      return;
    }
    await session.subscribe(resolved.ref, { nameChannel: false, ...(limit !== undefined ? { limit } : {}), ...(since !== undefined ? { since } : {}) });
  }

  private async onMultiplexMessage(session: ClientSession, data: RawData, isBinary: boolean): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(isBinary ? '' : rawDataText(data));
    } catch {
      session.sendError('INVALID_MESSAGE', 'messages must be JSON text');
      return;
    }
    if (!checkSubscription.Check(message)) {
      const first = checkSubscription.Errors(message).First();
      session.sendError('INVALID_MESSAGE', `invalid subscribe/unsubscribe message: ${first?.path || '/'} ${first?.message ?? ''}`.trim());
      return;
    }
    await this.onSubscriptionMessage(session, message);
  }

  private async onSubscriptionMessage(session: ClientSession, message: WebSocketSubscription): Promise<void> {
    const limit = message.limit;
    const named = parseRequest(message);
    if (message.type === 'subscribe' && named.ok) {
      // Refusals that need no lookup come first: a refused subscription must not start a symbol upstream.
      const channel = channelName(named.ref);
      if (limit !== undefined && limit > this.options.limits.maxSnapshotLimit) {
        session.sendError('INVALID_PARAMETER', `limit must be 1..${this.options.limits.maxSnapshotLimit}`, channel);
        return;
      }
      if (session.subscriptionCount >= this.options.limits.maxSubscriptionsPerConnection && !session.isSubscribed(channel)) {
        session.sendError('TOO_MANY_SUBSCRIPTIONS', `at most ${this.options.limits.maxSubscriptionsPerConnection} subscriptions per connection`, channel);
        return;
      }
    }
    const resolved = await resolveChannel(message, this.options.served, message.type === 'subscribe' ? this.options.demand : undefined);
    if (!resolved.ok) {
      session.sendError(resolved.code, resolved.message);
      return;
    }
    if (message.type === 'unsubscribe') {
      if (!session.unsubscribe(resolved.ref)) {
        session.sendError('NOT_SUBSCRIBED', `not subscribed to ${message.symbol} ${message.subscription}`, channelName(resolved.ref));
      }
      return;
    }
    await session.subscribe(resolved.ref, {
      nameChannel: true,
      ...(limit !== undefined ? { limit } : {}),
      ...(message.since !== undefined ? { since: message.since } : {}),
    });
  }
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((total, part) => total + part.length, 0);
  return data.byteLength;
}

