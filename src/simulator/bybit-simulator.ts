/**
 * A Bybit v5 public market-data server for demos, development and every test
 * (no exchange is reachable from CI). One HTTP server answers the WebSocket
 * streams on /v5/public/{linear,spot}, the REST market endpoints, and a
 * control surface for fault injection; the same instance exposes the faults
 * and counters programmatically. Its behaviour follows
 * shared/reference/bybit-v5-protocol.md: frame shapes and key order, acks and
 * error wording, order-book sequencing, and REST klines that match the stream.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Category } from '../schemas/index.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { handleFaultPost, type FaultControls } from './control-routes.js';
import { FaultState } from './fault-state.js';
import { MarketFeed } from './market-feed.js';
import { addReplaySymbols, loadReplayFile, ReplayPlayer, type ReplayFrame } from './replay-source.js';
import { marketRoute } from './rest-routes.js';
import { resolveSimulatorOptions, type SimulatorOptions } from './simulator-options.js';
import { VirtualClock } from './virtual-clock.js';
import { WsSession, type SessionHost, type SubscribeRequestRecord } from './ws-session.js';

export interface SimulatorState {
  readonly connectionCount: number;
  readonly totalConnections: number;
  readonly pingsReceived: number;
  readonly subscribeRequests: readonly SubscribeRequestRecord[];
  readonly virtualTimeMs: number;
  readonly timeScale: number;
  readonly paused: boolean;
  readonly faults: {
    readonly dataStalled: boolean;
    readonly pongsStopped: boolean;
    readonly refusingConnections: boolean;
    readonly rejectedTopicPatterns: readonly string[];
  };
  readonly replayFramesPlayed: number;
}

const PATHS: Record<string, Category> = { '/v5/public/linear': 'linear', '/v5/public/spot': 'spot' };

export class BybitSimulator implements FaultControls, SessionHost {
  readonly port: number;
  readonly options: SimulatorOptions;
  private readonly sessions = new Set<WsSession>();
  private readonly requests: SubscribeRequestRecord[] = [];
  private readonly logger: Logger;
  private readonly timer: NodeJS.Timeout;
  private total = 0;
  private pings = 0;
  private closing: Promise<void> | undefined;

  private readonly replay: ReplayPlayer | undefined;

  private constructor(
    options: SimulatorOptions,
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    private readonly clock: VirtualClock,
    private readonly feed: MarketFeed,
    private readonly faults: FaultState,
    replayFrames: readonly ReplayFrame[],
  ) {
    this.options = options;
    this.logger = options.logger ?? silentLogger();
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : options.port;
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.onRequest(request, response));
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(request, socket, head));
    this.timer = setInterval(() => this.tick(), options.tickIntervalMs);
    this.replay =
      replayFrames.length > 0
        ? new ReplayPlayer(replayFrames, options.replayIntervalMs, options.replayLoop, (frame) => this.deliverReplayed(frame))
        : undefined;
    this.replay?.start();
    this.logger.info({ url: this.wsBaseUrl, timeScale: options.timeScale, seed: options.seed }, 'bybit simulator listening');
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: Partial<SimulatorOptions> = {}): Promise<BybitSimulator> {
    let resolved = resolveSimulatorOptions(options);
    let frames: ReplayFrame[] = [];
    let replayOnly: ReadonlySet<string> = new Set<string>();
    if (resolved.replayFile !== undefined) {
      frames = await loadReplayFile(resolved.replayFile, resolved.replayCategory);
      const added = addReplaySymbols(resolved.symbols, frames);
      replayOnly = added.replayOnly;
      resolved = { ...resolved, symbols: added.symbols };
    }
    const clock = new VirtualClock(resolved.startTimeMs, resolved.timeScale);
    const faults = new FaultState();
    const feed = new MarketFeed(
      {
        symbols: resolved.symbols,
        seed: resolved.seed,
        startTimeMs: resolved.startTimeMs,
        historyCandles: resolved.historyCandles,
        maxLiveCandles: resolved.maxLiveCandles,
        modelFrames: resolved.replayFile === undefined || resolved.replayWithModel,
        replayOnly,
      },
      clock,
      faults,
    );
    const server = createServer();
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: resolved.perMessageDeflate ? { threshold: 1024 } : false });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(resolved.port, resolved.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new BybitSimulator(resolved, server, wss, clock, feed, faults, frames);
  }

  get host(): string {
    return this.options.host;
  }

  /** e.g. ws://127.0.0.1:9100; append /v5/public/linear or /v5/public/spot. */
  get wsBaseUrl(): string {
    return `ws://${this.options.host}:${this.port}`;
  }

  get restBaseUrl(): string {
    return `http://${this.options.host}:${this.port}`;
  }

  /** Sockets open now. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Sockets accepted since start. */
  get totalConnections(): number {
    return this.total;
  }

  /** Every subscribe/unsubscribe request received, in order. */
  get subscribeRequests(): readonly SubscribeRequestRecord[] {
    return this.requests;
  }

  get pingsReceived(): number {
    return this.pings;
  }

  /** The virtual clock now (epoch ms). */
  get virtualTimeMs(): number {
    return this.clock.now();
  }

  get pongsStopped(): boolean {
    return this.faults.pongsStopped;
  }

  state(): SimulatorState {
    return {
      connectionCount: this.connectionCount,
      totalConnections: this.total,
      pingsReceived: this.pings,
      subscribeRequests: this.requests,
      virtualTimeMs: this.clock.now(),
      timeScale: this.clock.timeScale,
      paused: this.clock.paused,
      faults: {
        dataStalled: this.faults.dataStalled,
        pongsStopped: this.faults.pongsStopped,
        refusingConnections: this.faults.refusingConnections,
        rejectedTopicPatterns: this.faults.rejectionPatterns,
      },
      replayFramesPlayed: this.replay?.framesPlayed ?? 0,
    };
  }

  // ---- fault injection -------------------------------------------------

  /** Kills every client socket without a close frame (clients see 1006). Returns how many. */
  dropConnections(): number {
    const sessions = [...this.sessions];
    for (const session of sessions) session.terminate();
    this.logger.info({ dropped: sessions.length }, 'simulator fault: connections dropped');
    return sessions.length;
  }

  /** Silent stall: no data frames (pings and subscribes still answered); resumes by itself after `durationMs` if given. */
  stallData(durationMs?: number): void {
    this.faults.stallData(durationMs);
  }

  resumeData(): void {
    this.faults.resumeData();
  }

  stopPongs(): void {
    this.faults.pongsStopped = true;
  }

  resumePongs(): void {
    this.faults.pongsStopped = false;
  }

  /** The next delta of each followed book of the symbol skips one `u`. Returns the number of books affected. */
  skipOrderBookUpdate(symbol: string, category?: Category): number {
    const books = this.feed.bookPublishersOf(symbol, category);
    for (const book of books) book.skipNextUpdate();
    return books.length;
  }

  /** Each followed book of the symbol next sends a snapshot with `u: 1` (service restart) and continues from it. */
  resetOrderBook(symbol: string, category?: Category): number {
    const books = this.feed.bookPublishersOf(symbol, category);
    for (const book of books) book.resetNextUpdate();
    return books.length;
  }

  /** The next update of each followed book of the symbol crosses it (best bid above best ask). */
  crossOrderBook(symbol: string, category?: Category): number {
    const books = this.feed.bookPublishersOf(symbol, category);
    for (const book of books) book.crossNextUpdate();
    return books.length;
  }

  /** New subscriptions to matching topics fail with `error:handler not found` (string: topic prefix). */
  rejectSubscriptions(pattern: string | RegExp): void {
    this.faults.rejectSubscriptions(pattern);
  }

  clearSubscriptionRejections(): void {
    this.faults.clearRejections();
  }

  /** While true, new WebSocket upgrades get HTTP 503. */
  /** REST market endpoints answer 503 while true. */
  failRest(fail = true): void {
    this.faults.restFailing = fail;
  }

  refuseConnections(refuse = true): void {
    this.faults.refusingConnections = refuse;
  }

  /** Sends `text` as is to every client (of one category if given). Returns how many got it. */
  sendRaw(text: string, category?: Category): number {
    let sent = 0;
    for (const session of this.sessions) {
      if (category !== undefined && session.category !== category) continue;
      session.send(text);
      sent += 1;
    }
    return sent;
  }

  /** Halts the market: virtual time freezes, no trades, no book changes (level-1 repeats continue). */
  pause(): void {
    this.clock.pause();
  }

  resume(): void {
    this.clock.resume();
  }

  // ---- lifecycle -------------------------------------------------------

  /** Stops everything: sockets, timers and the HTTP server. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      this.replay?.stop();
      this.faults.dispose();
      for (const session of this.sessions) session.terminate();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.logger.info('bybit simulator closed');
    })();
    return this.closing;
  }

  // ---- SessionHost -----------------------------------------------------

  accepts(category: Category, topic: string): boolean {
    return this.feed.serves(category, topic) && !this.faults.isRejected(topic);
  }

  subscribe(session: WsSession, topics: readonly string[]): void {
    this.feed.subscribe(session, topics);
  }

  unsubscribe(session: WsSession, topics: readonly string[]): void {
    this.feed.unsubscribe(session, topics);
  }

  recordRequest(record: SubscribeRequestRecord): void {
    this.requests.push(record);
    this.logger.info(
      { connId: record.connId, category: record.category, op: record.op, args: record.args, reqId: record.reqId, success: record.success },
      `simulator ${record.op}`,
    );
  }

  recordPing(): void {
    this.pings += 1;
  }

  // ---- internals -------------------------------------------------------

  private tick(): void {
    this.stepMarket();
    this.dropIdleSessions();
  }

  /** Brings the market (and the stream) up to now; a failed step is logged, never thrown at the caller. */
  private stepMarket(): void {
    try {
      this.feed.tick();
    } catch (error) {
      this.logger.error({ err: error }, 'simulator tick failed');
    }
  }

  /** Bybit closes a socket that has no subscription and sent no ping for about a minute. */
  private dropIdleSessions(): void {
    if (this.options.idleTimeoutMs <= 0) return;
    const now = Date.now();
    for (const session of this.sessions) {
      const lastSign = Math.max(session.connectedAtMs, session.lastPingAtMs ?? 0);
      if (session.topics.size === 0 && now - lastSign >= this.options.idleTimeoutMs) {
        this.logger.info({ connId: session.connId }, 'simulator: idle socket dropped');
        session.terminate();
      }
    }
  }

  private deliverReplayed(frame: ReplayFrame): void {
    if (this.faults.dataStalled) return;
    const categories = frame.category === undefined ? (['linear', 'spot'] as const) : [frame.category];
    for (const category of categories) {
      for (const session of this.feed.followersOf(category, frame.topic)) session.send(frame.raw);
    }
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const pathname = new URL(request.url ?? '/', 'http://simulator').pathname;
    const category = PATHS[pathname];
    if (category === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 18\r\nConnection: close\r\n\r\n404 page not found');
      return;
    }
    if (this.faults.refusingConnections || this.closing !== undefined) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.onConnection(ws, category));
  }

  private onConnection(ws: WebSocket, category: Category): void {
    const session = new WsSession(ws, category, this);
    this.sessions.add(session);
    this.total += 1;
    this.logger.info({ connId: session.connId, category }, 'simulator: client connected');
    ws.on('error', () => ws.terminate());
    ws.on('close', (code: number) => {
      this.sessions.delete(session);
      this.feed.removeSession(session);
      this.logger.info({ connId: session.connId, category, code }, 'simulator: client disconnected');
    });
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://simulator');
    const send = (status: number, body: unknown): void => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      response.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json' });
      response.end(text);
    };
    if (url.pathname === '/__simulator/state' && request.method === 'GET') return send(200, this.state());
    if (url.pathname === '/__simulator/faults' && request.method === 'POST') return handleFaultPost(this, request, send);
    if (request.method === 'GET' && this.faults.restFailing && url.pathname.startsWith('/v5/market/')) {
      return send(503, '{"retCode":10016,"retMsg":"service unavailable"}');
    }
    if (request.method === 'GET') {
      // The market steps on a timer; a request between two steps would see it as of the last one (no open
      // candle yet in a minute just begun, which real Bybit returns at once). Stepping to now first keeps REST
      // and the stream on one state: the stream sends this step too.
      if (url.pathname.startsWith('/v5/market/')) this.stepMarket();
      const result = marketRoute(url.pathname, url.searchParams, this.feed, this.clock.now());
      if (result !== undefined) return send(result.status, result.body);
    }
    send(404, '404 page not found');
  }
}
