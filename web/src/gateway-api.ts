/**
 * The gateway's REST endpoints the page reads (same origin, under
 * /api/v1/live): the channel list for the pickers, older candles for the
 * chart's history and the health summary that re-seeds upstream status after
 * a reconnect (the WebSocket only reports status changes, never the current
 * state). Responses are checked just enough to fail loudly instead of drawing
 * garbage; every request has a deadline so a hung gateway cannot wedge a retry.
 * @module
 */
import type { CandleData, SubscriptionType, Timeframe, UpstreamState } from '../../src/schemas/index.js';

export const LIVE_PREFIX = '/api/v1/live';

export interface ChannelInfo {
  readonly channel: string;
  readonly subscription: SubscriptionType;
  readonly symbol: string;
  readonly timeframe?: Timeframe;
  readonly subscribers: number;
  readonly seq: number;
  readonly last_message_age_ms: number | null;
}

export interface ChannelList {
  readonly channels: readonly ChannelInfo[];
  readonly simulated: boolean;
}

export interface HealthSummary {
  /** The upstream link as the worker last reported it ('unknown' when it never did). */
  readonly upstream: { readonly name: string; readonly state: UpstreamState | 'unknown' };
  readonly staleChannels: readonly string[];
}

const REQUEST_TIMEOUT_MS = 10_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

async function getJson(path: string): Promise<Record<string, unknown>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(`${LIVE_PREFIX}${path}`, { signal: controller.signal, headers: { accept: 'application/json' } });
    const body: unknown = await response.json();
    if (!isRecord(body)) throw new Error(`${path}: not a JSON object`);
    // /health answers 503 with a body when unhealthy: still a summary worth reading.
    if (!response.ok && !(response.status === 503 && path === '/health')) throw new Error(`${path}: HTTP ${response.status}`);
    return body;
  } finally {
    clearTimeout(timer);
  }
}

function isChannelInfo(value: unknown): value is ChannelInfo {
  return isRecord(value) && typeof value['channel'] === 'string' && typeof value['subscription'] === 'string' && typeof value['symbol'] === 'string';
}

export async function fetchChannels(): Promise<ChannelList> {
  const body = await getJson('/channels');
  const channels = body['channels'];
  if (!Array.isArray(channels)) throw new Error('/channels: no channel list');
  return { channels: channels.filter(isChannelInfo), simulated: body['simulated'] === true };
}

function isCandle(value: unknown): value is CandleData {
  return isRecord(value) && typeof value['timestamp'] === 'number' && typeof value['open'] === 'string' && typeof value['close'] === 'string';
}

/** The newest `limit` candles, oldest first (the endpoint has no "before" cursor: the caller keeps what is older than its own). */
export async function fetchCandles(symbol: string, timeframe: Timeframe, limit: number): Promise<CandleData[]> {
  const body = await getJson(`/candles/${encodeURIComponent(symbol)}/${encodeURIComponent(timeframe)}?limit=${limit}`);
  const candles = body['candles'];
  if (!Array.isArray(candles)) throw new Error('/candles: no candle list');
  return candles.filter(isCandle);
}

export async function fetchHealth(): Promise<HealthSummary> {
  const body = await getJson('/health');
  const upstream = isRecord(body['upstream']) ? body['upstream'] : {};
  const stale = Array.isArray(body['stale_channels']) ? body['stale_channels'].filter((item): item is string => typeof item === 'string') : [];
  return {
    upstream: {
      name: typeof upstream['name'] === 'string' ? upstream['name'] : '',
      state: typeof upstream['state'] === 'string' ? (upstream['state'] as UpstreamState | 'unknown') : 'unknown',
    },
    staleChannels: stale,
  };
}

/** ws(s)://host/api/v1/live/ws; a `token` on the page's own URL is passed on (the gateway's `?token=` auth). */
export function liveSocketUrl(location: Pick<URL, 'protocol' | 'host' | 'search'>): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const token = new URLSearchParams(location.search).get('token');
  return `${scheme}://${location.host}${LIVE_PREFIX}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}
