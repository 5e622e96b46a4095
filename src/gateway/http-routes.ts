/**
 * REST under /api/v1/live: the channel catalog, health (HTTP 503 when
 * unhealthy), and recent candles for a chart's first paint.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { MarketBus } from '../bus/market-bus.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { parseChannel, type StatusMessage } from '../schemas/index.js';
import { isoNow } from '../shared/time.js';
import type { ChannelHub } from './channel-hub.js';
import type { WorkerRecord } from '../bus/coordination.js';
import type { ServedChannels } from './served-channels.js';
import { parseQueryInt } from './query-params.js';
import { resolveChannel } from './subscription-request.js';
import { LIVE_PREFIX, type WsEndpoints } from './ws-endpoints.js';
import type { LoopWatch } from './loop-watch.js';

export interface HttpRouteDeps {
  readonly config: GatewayConfig;
  readonly bus: MarketBus;
  readonly hub: ChannelHub;
  readonly served: ServedChannels;
  readonly ws: WsEndpoints;
  readonly simulated: () => boolean;
  /** Whether this gateway keeps up with its own fan-out (its event-loop delay). */
  readonly loop: Pick<LoopWatch, 'reading'>;
}

/** Response bodies are documented, not filtered: every object keeps its other fields. */
const open = (description: string, properties: Record<string, unknown> = {}) => ({ description, type: 'object', additionalProperties: true, properties });
const ERROR_BODY = open('{"success":false,"error":{"code","message"}}');

const CHANNELS_SCHEMA = {
  tags: ['live'],
  summary: 'Every served channel with its subscribers on this gateway, last seq and last message age',
  response: { 200: open('{"success":true,"channels":[...],"count":N,"simulated":bool}', { success: { type: 'boolean' }, count: { type: 'integer' } }) },
};
const HEALTH_SCHEMA = {
  tags: ['live'],
  summary: 'healthy, degraded (upstream not live, stale channels, this gateway behind its fan-out) or unhealthy (bus down: HTTP 503)',
  response: { 200: open('healthy or degraded', { status: { type: 'string', enum: ['healthy', 'degraded'] } }), 503: open('unhealthy', { status: { type: 'string', enum: ['unhealthy'] } }) },
};
const CANDLES_SCHEMA = {
  tags: ['live'],
  summary: 'Recent candles, oldest first; the last may be the forming one (chart first paint)',
  params: { type: 'object', properties: { symbol: { type: 'string', description: 'e.g. BTCUSDT' }, timeframe: { type: 'string', description: '1 3 5 15 30 60 120 240 360 720 D W M' } }, required: ['symbol', 'timeframe'] },
  querystring: { type: 'object', properties: { limit: { type: 'string', description: '1..SNAPSHOT_MAX_LIMIT, default SNAPSHOT_DEFAULT_LIMIT' } } },
  response: { 200: open('{"success":true,"symbol","timeframe","seq","count","candles":[CandleData]}'), 400: ERROR_BODY, 404: ERROR_BODY, 503: ERROR_BODY },
};

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export function registerHttpRoutes(app: FastifyInstance, deps: HttpRouteDeps): void {
  const { bus, hub, served, config } = deps;

  app.get(`${LIVE_PREFIX}/channels`, { schema: CHANNELS_SCHEMA }, async () => {
    await served.refresh();
    const now = Date.now();
    const published = new Map((await bus.listChannels().catch(() => [])).map((info) => [info.channel, info]));
    const local = new Map(hub.channelInfo().map((info) => [info.channel, info]));
    const channels = [...new Set([...served.all(), ...published.keys()])].sort().map((channel) => {
      const ref = parseChannel(channel);
      const info = published.get(channel);
      return {
        channel,
        subscription: ref?.subscription,
        symbol: ref?.symbol,
        ...(ref?.subscription === 'candles' ? { timeframe: ref.timeframe } : {}),
        subscribers: local.get(channel)?.subscribers ?? 0,
        seq: info?.seq ?? 0,
        last_message_age_ms: info ? now - info.lastPublishedAt : null,
      };
    });
    return { success: true, channels, count: channels.length, simulated: deps.simulated() };
  });

  app.get(`${LIVE_PREFIX}/health`, { schema: HEALTH_SCHEMA }, async (_request, reply) => {
    const redis = config.redisUrl ? bus.connectionState() : 'memory';
    const now = Date.now();
    let upstream: StatusMessage | null = null;
    let stale: string[] = [];
    let activeChannels = 0;
    let workers: WorkerRecord[] = [];
    if (redis === 'connected' || redis === 'memory') {
      upstream = await bus.readLatestStatus(config.upstream).catch(() => null);
      workers = (await bus.coordination.listWorkers().catch(() => [])).filter((worker) => worker.upstream === config.upstream);
      const channels = await bus.listChannels().catch(() => []);
      activeChannels = channels.filter((info) => now - info.lastPublishedAt <= config.channelStaleMs).length;
      // A channel is stale only if someone should be publishing it: a released client-requested symbol is not.
      const expected = new Set([...config.symbols, ...workers.flatMap((worker) => worker.symbols)]);
      stale = channels
        .filter((info) => now - info.lastPublishedAt > config.channelStaleMs && !info.channel.startsWith('trades:') && expected.has(parseChannel(info.channel)?.symbol ?? ''))
        .map((info) => info.channel);
    }
    // A worker that died cannot say so: its last status may still read live. No live worker means no upstream.
    const upstreamState = upstreamStateOf(workers);
    const loop = deps.loop.reading();
    const status: HealthStatus =
      redis !== 'connected' && redis !== 'memory' ? 'unhealthy' : upstreamState === 'live' && stale.length === 0 && !loop.behind ? 'healthy' : 'degraded';
    void reply.code(status === 'unhealthy' ? 503 : 200);
    return {
      status,
      redis,
      active_channels: activeChannels,
      timestamp: isoNow(),
      upstream: { name: config.upstream, state: upstreamState, since: upstream?.timestamp ?? null, reason: upstream?.reason ?? null },
      workers: workers.map((worker) => ({ id: worker.id, host: worker.host, pid: worker.pid, link: worker.link, symbols: worker.symbols })),
      stale_channels: stale,
      connections: deps.ws.connectionCount,
      gateway: {
        state: loop.behind ? 'behind' : 'keeping-up',
        event_loop_delay_p99_ms: Math.round(loop.delayP99Ms),
        event_loop_delay_max_ms: Math.round(loop.delayMaxMs),
      },
      simulated: deps.simulated(),
    };
  });

  app.get<{ Params: { symbol: string; timeframe: string }; Querystring: { limit?: string } }>(
    `${LIVE_PREFIX}/candles/:symbol/:timeframe`,
    { schema: CANDLES_SCHEMA },
    async (request, reply) => {
      // An empty `?limit=` is a mistake here, not "the default".
      const raw = request.query.limit;
      const requested = raw === '' ? null : parseQueryInt(raw, 1, config.limits.maxSnapshotLimit);
      const limit = requested === undefined ? config.limits.defaultSnapshotLimit : requested;
      if (limit === null) {
        return reply.code(400).send({ success: false, error: { code: 'INVALID_PARAMETER', message: `limit must be 1..${config.limits.maxSnapshotLimit}` } });
      }
      const resolved = await resolveChannel({ subscription: 'candles', symbol: request.params.symbol, timeframe: request.params.timeframe }, served);
      if (!resolved.ok) {
        const status = resolved.code === 'INVALID_SYMBOL' ? 400 : 404;
        return reply.code(status).send({ success: false, error: { code: resolved.code, message: resolved.message } });
      }
      const ref = resolved.ref;
      try {
        const snapshot = await bus.readSnapshot(`candles:${ref.symbol}:${ref.subscription === 'candles' ? ref.timeframe : ''}`, limit);
        const candles = snapshot.subscription === 'candles' ? snapshot.candles : [];
        return { success: true, symbol: ref.symbol, timeframe: ref.subscription === 'candles' ? ref.timeframe : null, seq: snapshot.seq, count: candles.length, candles, simulated: deps.simulated() };
      } catch (error) {
        return reply.code(503).send({ success: false, error: { code: 'UNAVAILABLE', message: (error as Error).message } });
      }
    },
  );
}

/**
 * The upstream as the live workers report it in the registry (each worker's
 * own link): a dead worker cannot say it died, and with several workers the
 * last status message names one of them only. Standby workers do not count.
 */
function upstreamStateOf(workers: readonly WorkerRecord[]): string {
  if (workers.length === 0) return 'no-worker';
  const streaming = workers.filter((worker) => worker.symbols.length > 0);
  if (streaming.length === 0) return 'connecting';
  return streaming.find((worker) => worker.link !== 'live')?.link ?? 'live';
}
