/**
 * The MULTI of one publish: the channel's state (candles, trades, ticker or
 * book), its seq, its history entry and its registry line, then the PUBLISH,
 * so a snapshot read between two publishes always names the seq it holds.
 * Key layout: redis-keys.ts.
 * @module
 */
import type { ChannelStateChange } from './bus-semantics.js';
import type { BusLimits } from './market-bus.js';
import type { RedisClient } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';

export interface PublishWrite {
  readonly channel: string;
  readonly seq: number;
  /** The serialized update: Pub/Sub payload and history entry alike. */
  readonly payload: string;
  readonly change: ChannelStateChange;
}

/** Hands the MULTI to node-redis at once (call order is Redis order) and resolves when Redis has run it. */
export function execPublish(client: RedisClient, keys: RedisKeys, limits: BusLimits, { channel, seq, payload, change }: PublishWrite): Promise<unknown> {
  const state = keys.state(channel);
  const multi = client.multi();
  switch (change.subscription) {
    case 'candles':
      multi
        .zRemRangeByScore(state, change.timestamp, change.timestamp)
        .zAdd(state, { score: change.timestamp, value: change.candleJson })
        .zRemRangeByRank(state, 0, -(limits.candleHistorySize + 1));
      break;
    case 'trades':
      multi.rPush(state, [...change.tradeJsons]).lTrim(state, -limits.tradeHistorySize, -1);
      break;
    case 'ticker':
      multi.set(state, change.tickerJson);
      break;
    case 'orderbook':
      multi.set(state, change.bookJson);
      break;
  }
  const history = keys.history(channel);
  return multi
    .set(keys.seq(channel), String(seq))
    .zAdd(history, { score: seq, value: payload })
    .zRemRangeByRank(history, 0, -(limits.messageHistorySize + 1))
    .hSet(keys.channels, channel, JSON.stringify({ seq, lastPublishedAt: Date.now() }))
    .publish(keys.topic(channel), payload)
    .exec();
}
