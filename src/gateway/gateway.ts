/**
 * The gateway: bus → clients. Builds the HTTP app (Fastify) and the WebSocket
 * endpoints from (config, deps) without listening; `listen()` opens the port,
 * `stop()` closes every client with 1001 and releases the bus subscriptions.
 * It owns neither the bus nor the process.
 * @module
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { MarketBus } from '../bus/market-bus.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { parseChannel } from '../schemas/index.js';
import type { Logger } from '../shared/logger.js';
import { registerApiDocs } from './api-docs.js';
import { defaultWebRoot, registerWebPage } from './web-page.js';
import { ChannelHub } from './channel-hub.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { registerHttpRoutes } from './http-routes.js';
import { ServedChannels } from './served-channels.js';
import { BusWatch } from './bus-watch.js';
import { LoopWatch } from './loop-watch.js';
import { SymbolDemand } from './symbol-demand.js';
import { WsEndpoints } from './ws-endpoints.js';

export interface GatewayDeps {
  readonly bus: MarketBus;
  readonly logger: Logger;
  /** Data comes from the simulator (`tickstream demo`); otherwise read from the worker's status. */
  readonly simulated?: boolean;
}

export class Gateway {
  readonly app: FastifyInstance;
  private readonly hub: ChannelHub;
  private readonly metrics: GatewayMetrics;
  private readonly ws: WsEndpoints;
  private readonly demand: SymbolDemand;
  private readonly busWatch: BusWatch;
  private readonly loopWatch: LoopWatch;
  private simulatedUpstream: boolean;
  private stopped: Promise<void> | undefined;

  private readonly bus: MarketBus;

  constructor(
    private readonly config: GatewayConfig,
    deps: GatewayDeps,
  ) {
    this.bus = deps.bus;
    this.simulatedUpstream = deps.simulated ?? false;
    const simulated = () => this.simulatedUpstream;
    this.metrics = new GatewayMetrics({ connections: () => this.ws.connectionCount, subscriptions: () => this.ws.subscriptionCount });
    this.hub = new ChannelHub(deps.bus, deps.logger.child({ component: 'hub' }), this.metrics);
    const served = new ServedChannels(deps.bus, config.symbols, config.timeframes);
    this.demand = new SymbolDemand(
      deps.bus.coordination,
      { upstream: config.upstream, timeframes: config.timeframes, configuredSymbols: config.symbols, ...config.dynamicSymbols },
      () => new Set(this.hub.channelInfo().flatMap((info) => (info.subscribers > 0 ? [parseChannel(info.channel)?.symbol ?? ''] : []))),
      deps.logger.child({ component: 'demand' }),
    );
    this.ws = new WsEndpoints({
      demand: this.demand,
      hub: this.hub,
      bus: deps.bus,
      limits: config.limits,
      logger: deps.logger.child({ component: 'ws' }),
      simulated,
      served,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      fanoutFlushMs: config.fanoutFlushMs,
      security: config.security,
      metrics: this.metrics,
    });
    this.busWatch = new BusWatch(deps.bus, simulated, (status) => {
      deps.logger.warn({ state: status.state }, status.reason);
      this.ws.broadcastStatus(status);
      // A Redis that comes back may have lost the demand for symbols clients here hold: say so before a worker lets them go.
      if (status.state === 'live') void this.demand.reassert();
    });
    void this.hub.onStatus((status) => {
      if (status.upstream === config.upstream) this.simulatedUpstream ||= status.simulated;
    });
    this.loopWatch = new LoopWatch({ behindP99Ms: config.healthLoopDelayMs });
    this.app = Fastify({ logger: false, forceCloseConnections: true });
    registerApiDocs(this.app);
    registerWebPage(this.app, config.webRoot ?? defaultWebRoot());
    // Routes inside a plugin registered after the docs plugin, so the OpenAPI document sees them.
    const routeDeps = { config, bus: deps.bus, hub: this.hub, served, ws: this.ws, simulated, loop: this.loopWatch };
    void this.app.register((instance, _options, done) => {
      registerHttpRoutes(instance, routeDeps);
      instance.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
        void reply.header('content-type', this.metrics.registry.contentType);
        return this.metrics.registry.metrics();
      });
      done();
    });
    this.app.server.on('upgrade', (request, socket, head: Buffer) => this.ws.handleUpgrade(request, socket, head));
  }

  /** Opens the port; resolves with the bound address (port 0 picks a free one). */
  async listen(): Promise<{ host: string; port: number; url: string }> {
    // A worker that went live before this gateway started announced itself already: read what it said.
    const latest = await this.bus.readLatestStatus(this.config.upstream).catch(() => null);
    if (latest?.simulated) this.simulatedUpstream = true;
    await this.app.listen({ host: this.config.host, port: this.config.port });
    this.demand.start();
    this.busWatch.start();
    this.loopWatch.start();
    const address = this.app.server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    return { host: this.config.host, port, url: `http://${this.config.host}:${port}` };
  }

  get connectionCount(): number {
    return this.ws.connectionCount;
  }

  /** Idempotent: 1001 to every client, then the HTTP server and bus subscriptions. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.demand.stop();
      this.busWatch.stop();
      this.loopWatch.stop();
      await this.ws.stop();
      await this.app.close();
      await this.hub.close();
    })();
    return this.stopped;
  }
}
