/**
 * Turns what a client asked for (a path, or a /ws subscribe message) into a
 * channel, or into the error code that says why not.
 * @module
 */
import { SUBSCRIPTION_TYPES, isTimeframe, type ChannelRef, type SubscriptionType } from '../schemas/index.js';
import { channelName } from '../schemas/index.js';
import type { ClientErrorCode } from './client-errors.js';
import type { ServedChannels } from './served-channels.js';
import type { DemandVerdict, SymbolDemand } from './symbol-demand.js';

export interface RequestedChannel {
  readonly subscription: string;
  readonly symbol: string;
  readonly timeframe?: string | undefined;
}

export type ResolvedChannel = { readonly ok: true; readonly ref: ChannelRef } | { readonly ok: false; readonly code: ClientErrorCode; readonly message: string };

const SYMBOL = /^[A-Z0-9][A-Z0-9-]{0,29}$/;

const DEMAND_REFUSALS: Record<Exclude<DemandVerdict, 'accepted'>, (symbol: string) => { code: ClientErrorCode; message: string }> = {
  unlisted: (symbol) => ({ code: 'UNKNOWN_SYMBOL', message: `symbol ${symbol} is not listed on the exchange` }),
  'no-instrument-list': (symbol) => ({ code: 'UNKNOWN_SYMBOL', message: `symbol ${symbol} is not served (no worker has shared the exchange's instrument list yet)` }),
  limit: (symbol) => ({ code: 'SYMBOL_LIMIT', message: `symbol ${symbol} is not streamed and MAX_DYNAMIC_SYMBOLS client-requested symbols already are; try later` }),
  unavailable: () => ({ code: 'UNAVAILABLE', message: 'the bus did not answer; retry later' }),
};

/** The channel a request names, checked for form only (no lookup): the subscription type, symbol and timeframe. */
export function parseRequest(request: RequestedChannel): ResolvedChannel {
  const subscription = request.subscription as SubscriptionType;
  if (!SUBSCRIPTION_TYPES.includes(subscription)) {
    return { ok: false, code: 'UNKNOWN_SUBSCRIPTION', message: `unknown subscription ${JSON.stringify(request.subscription)}; one of ${SUBSCRIPTION_TYPES.join(', ')}` };
  }
  const symbol = request.symbol.toUpperCase();
  if (!SYMBOL.test(symbol)) return { ok: false, code: 'INVALID_SYMBOL', message: `invalid symbol ${JSON.stringify(request.symbol)}` };
  if (subscription !== 'candles') return { ok: true, ref: { subscription, symbol } };
  // D, W and M may come in lower case; minute counts are digits either way.
  const timeframe = (request.timeframe ?? '').toUpperCase();
  if (!isTimeframe(timeframe)) return { ok: false, code: 'UNKNOWN_TIMEFRAME', message: `unknown timeframe ${JSON.stringify(request.timeframe ?? null)} for candles` };
  return { ok: true, ref: { subscription, symbol, timeframe } };
}

/**
 * @param demand when given (a client subscribing), a symbol no worker streams
 *   is requested from the workers if the exchange lists it.
 */
export async function resolveChannel(request: RequestedChannel, served: ServedChannels, demand?: SymbolDemand): Promise<ResolvedChannel> {
  const parsed = parseRequest(request);
  if (!parsed.ok) return parsed;
  const ref = parsed.ref;
  const symbol = ref.symbol;
  const unservedTimeframe = { ok: false, code: 'UNKNOWN_TIMEFRAME', message: `timeframe ${ref.subscription === 'candles' ? ref.timeframe : ''} is not served for ${symbol}` } as const;
  if (served.isConfigured(channelName(ref))) return { ok: true, ref };
  if (demand?.enabled && !served.isConfiguredSymbol(symbol)) {
    // Asked every time, not only when the channel is unknown: a symbol streamed (or released) before must be wanted again.
    if (ref.subscription === 'candles' && !demand.timeframes.includes(ref.timeframe)) return unservedTimeframe;
    const verdict = await demand.request(symbol);
    return verdict === 'accepted' ? { ok: true, ref } : { ok: false, ...DEMAND_REFUSALS[verdict](symbol) };
  }
  if (await served.has(channelName(ref))) return { ok: true, ref };
  if (ref.subscription === 'candles' && (await served.hasSymbol(symbol))) return unservedTimeframe;
  return { ok: false, code: 'UNKNOWN_SYMBOL', message: `symbol ${symbol} is not served` };
}
