/**
 * The Redis key layout of the Redis bus, in one place so redis-cli users and
 * the README can rely on it. Every key sits under `{prefix}tickstream:` and no
 * channel name starts with `tickstream:`, so keys never look like Pub/Sub
 * channels (which are exactly `{prefix}{channel}` and `{prefix}status`).
 *
 * | Key                                   | Type   | Holds |
 * |---------------------------------------|--------|-------|
 * | `{prefix}tickstream:seq:{channel}`     | string | last seq stamped on the channel |
 * | `{prefix}tickstream:history:{channel}` | zset   | score = seq, member = exact payload (newest messageHistorySize) |
 * | `{prefix}tickstream:state:{channel}`   | zset   | candles: score = start ms, member = candle JSON (newest candleHistorySize) |
 * |                                       | list   | trades: trade JSON, oldest first (newest tradeHistorySize) |
 * |                                       | string | ticker: ticker JSON; orderbook: full book JSON |
 * | `{prefix}tickstream:channels`          | hash   | field = channel, value = `{"seq":n,"lastPublishedAt":ms}` |
 * | `{prefix}tickstream:status:{upstream}` | string | latest StatusMessage payload of that upstream |
 * | `{prefix}tickstream:lease:{upstream}:{symbol}` | string | id of the worker streaming that symbol (expires unless renewed) |
 * | `{prefix}tickstream:lease-holders`     | hash   | field = `{upstream}:{symbol}`, value = the last worker that took the lease |
 * | `{prefix}tickstream:workers`           | hash   | field = worker id, value = WorkerRecord JSON (void after its expiresAt) |
 * | `{prefix}tickstream:demand:{upstream}` | zset   | score = epoch ms until which clients want the symbol, member = symbol |
 * | `{prefix}tickstream:instruments:{upstream}` | set | tradable symbols, as a worker last read them from the exchange |
 * | `{prefix}tickstream:epoch`             | string | id of the store's contents: changes when Redis was emptied |
 * @module
 */
import { STATUS_CHANNEL } from '../schemas/index.js';

export interface RedisKeys {
  /** Pub/Sub channel of a logical channel (or `status`). */
  topic(channel: string): string;
  readonly statusTopic: string;
  seq(channel: string): string;
  history(channel: string): string;
  state(channel: string): string;
  readonly channels: string;
  status(upstream: string): string;
  lease(resource: string): string;
  readonly leaseHolders: string;
  readonly workers: string;
  demand(upstream: string): string;
  instruments(upstream: string): string;
  readonly epoch: string;
}

export function redisKeys(prefix: string): RedisKeys {
  const base = `${prefix}tickstream:`;
  return {
    topic: (channel) => prefix + channel,
    statusTopic: prefix + STATUS_CHANNEL,
    seq: (channel) => `${base}seq:${channel}`,
    history: (channel) => `${base}history:${channel}`,
    state: (channel) => `${base}state:${channel}`,
    channels: `${base}channels`,
    status: (upstream) => `${base}status:${upstream}`,
    lease: (resource) => `${base}lease:${resource}`,
    leaseHolders: `${base}lease-holders`,
    workers: `${base}workers`,
    demand: (upstream) => `${base}demand:${upstream}`,
    instruments: (upstream) => `${base}instruments:${upstream}`,
    epoch: `${base}epoch`,
  };
}
