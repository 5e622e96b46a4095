/**
 * Coordination on Redis. Each lease step is one Lua script, so "read the
 * holder, then write" can never interleave with another worker's step. Keys
 * are listed in redis-keys.ts. Every call goes through the bus's command
 * connection (same fail-fast and deadline as everything else).
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Coordination, DemandAnswer, LeaseGrant, WorkerRecord } from './coordination.js';
import { BusUnavailableError } from './market-bus.js';
import type { RedisClient } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { asStrings } from './redis-replies.js';

/** Runs a command on the bus connection (see RedisBus.withClient). */
export type RedisRunner = <T>(what: string, work: (client: RedisClient) => Promise<T>) => Promise<T>;

/** KEYS: lease, last-holders hash. ARGV: owner, ttl ms, resource. Returns {acquired, holder, previous|false}. */
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, current, false}
end
if current then return {0, current, false} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local previous = redis.call('HGET', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
if previous == ARGV[1] then previous = false end
return {1, ARGV[1], previous}
`;

/** KEYS: leases. ARGV: owner, ttl ms. Returns 1/0 per key: held after the call. */
const RENEW = `
local held = {}
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if current == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    held[i] = 1
  elseif not current then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
    held[i] = 1
  else
    held[i] = 0
  end
end
return held
`;

/** KEYS: leases. ARGV: owner. */
const RELEASE = `
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0
`;

/** KEYS: demand zset. ARGV: now ms, until ms, max, symbols... Returns 1/0 per symbol. */
const REQUEST = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local answers = {}
for i = 4, #ARGV do
  local symbol = ARGV[i]
  if redis.call('ZSCORE', KEYS[1], symbol) then
    redis.call('ZADD', KEYS[1], 'GT', ARGV[2], symbol)
    answers[i - 3] = 1
  elseif redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
    redis.call('ZADD', KEYS[1], ARGV[2], symbol)
    answers[i - 3] = 1
  else
    answers[i - 3] = 0
  end
end
return answers
`;

export class RedisCoordination implements Coordination {
  constructor(
    private readonly keys: RedisKeys,
    private readonly run: RedisRunner,
  ) {}

  acquireLease(resource: string, owner: string, ttlMs: number): Promise<LeaseGrant> {
    return this.run('lease acquire', async (client) => {
      const reply = await client.eval(ACQUIRE, { keys: [this.keys.lease(resource), this.keys.leaseHolders], arguments: [owner, String(ttlMs), resource] });
      if (!Array.isArray(reply) || reply.length < 2) throw new BusUnavailableError('unexpected Redis reply to lease acquire');
      const [acquired, holder, previous] = reply as unknown[];
      return { acquired: acquired === 1, holder: String(holder), previousHolder: typeof previous === 'string' ? previous : null };
    });
  }

  renewLeases(resources: readonly string[], owner: string, ttlMs: number): Promise<Set<string>> {
    if (resources.length === 0) return Promise.resolve(new Set());
    return this.run('lease renew', async (client) => {
      const reply = await client.eval(RENEW, { keys: resources.map((resource) => this.keys.lease(resource)), arguments: [owner, String(ttlMs)] });
      if (!Array.isArray(reply)) throw new BusUnavailableError('unexpected Redis reply to lease renew');
      return new Set(resources.filter((_, index) => reply[index] === 1));
    });
  }

  async releaseLeases(resources: readonly string[], owner: string): Promise<void> {
    if (resources.length === 0) return;
    await this.run('lease release', (client) => client.eval(RELEASE, { keys: resources.map((resource) => this.keys.lease(resource)), arguments: [owner] }));
  }

  storeEpoch(): Promise<string> {
    return this.run('store epoch', async (client) => {
      await client.set(this.keys.epoch, randomUUID(), { condition: 'NX' });
      const epoch = await client.get(this.keys.epoch);
      if (typeof epoch !== 'string') throw new BusUnavailableError('store epoch vanished while read');
      return epoch;
    });
  }

  async heartbeat(record: WorkerRecord): Promise<void> {
    await this.run('worker heartbeat', (client) => client.hSet(this.keys.workers, record.id, JSON.stringify(record)));
  }

  async removeWorker(id: string): Promise<void> {
    await this.run('worker removal', (client) => client.hDel(this.keys.workers, id));
  }

  listWorkers(): Promise<WorkerRecord[]> {
    return this.run('worker list', async (client) => {
      const now = Date.now();
      const records = Object.values(await client.hGetAll(this.keys.workers)).map((json) => JSON.parse(json) as WorkerRecord);
      const expired = records.filter((record) => record.expiresAt <= now).map((record) => record.id);
      if (expired.length > 0) await client.hDel(this.keys.workers, expired);
      return records.filter((record) => record.expiresAt > now).sort((a, b) => (a.id < b.id ? -1 : 1));
    });
  }

  requestSymbols(upstream: string, symbols: readonly string[], untilMs: number, maxSymbols: number): Promise<DemandAnswer> {
    if (symbols.length === 0) return Promise.resolve({ accepted: [], refused: [] });
    return this.run('symbol demand', async (client) => {
      const reply = await client.eval(REQUEST, {
        keys: [this.keys.demand(upstream)],
        arguments: [String(Date.now()), String(untilMs), String(maxSymbols), ...symbols],
      });
      if (!Array.isArray(reply)) throw new BusUnavailableError('unexpected Redis reply to symbol demand');
      return { accepted: symbols.filter((_, index) => reply[index] === 1), refused: symbols.filter((_, index) => reply[index] !== 1) };
    });
  }

  readDemand(upstream: string, nowMs: number): Promise<string[]> {
    return this.run('demand read', async (client) => {
      const key = this.keys.demand(upstream);
      await client.zRemRangeByScore(key, '-inf', `(${nowMs}`);
      return asStrings(await client.zRange(key, 0, -1));
    });
  }

  async publishInstruments(upstream: string, symbols: readonly string[], ttlMs: number): Promise<void> {
    if (symbols.length === 0) return;
    const key = this.keys.instruments(upstream);
    await this.run('instrument list', (client) => client.multi().del(key).sAdd(key, [...symbols]).pExpire(key, ttlMs).exec());
  }

  isInstrument(upstream: string, symbol: string): Promise<boolean | undefined> {
    const key = this.keys.instruments(upstream);
    return this.run('instrument check', async (client) => {
      const [exists, member] = await client.multi().exists(key).sIsMember(key, symbol).exec();
      if (Number(exists) !== 1) return undefined;
      return Number(member) === 1;
    });
  }
}
