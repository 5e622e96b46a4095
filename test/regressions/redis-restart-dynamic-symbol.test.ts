/**
 * Regression (found in review): a Redis restart (empty, no persistence) makes the worker drop every
 * client-requested symbol while clients are still subscribed, and tell them
 * "no client wanted it".
 *
 * The demand sorted set is gone after the restart. The worker's next lease
 * round (every LEASE_TTL_MS/3) reads an empty demand and releases its dynamic
 * symbols as 'unwanted'; the gateway only renews demand every
 * DYNAMIC_SYMBOL_LINGER_S/3 (20 s by default), so the symbol stays dropped for
 * up to that long and then has to be re-subscribed and backfilled.
 * Real parts: simulator, worker, private redis-server (killed and restarted),
 * gateway on its own Redis bus, ws client.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { delay, waitFor } from '../helpers/wait-for.js';
import { startGatewayStack } from '../gateway/helpers/gateway-stack.js';
import { TestClient, type ServerMessage } from '../gateway/helpers/ws-client.js';

describe('regression: Redis restart and client-requested symbols', { timeout: 90_000 }, () => {
  it('keeps a requested symbol streamed across a Redis restart while its client stays subscribed', { timeout: 75_000 }, async (t) => {
    const s = await startGatewayStack(t, {
      redis: true,
      gatewayEnv: { MAX_DYNAMIC_SYMBOLS: '2', DYNAMIC_SYMBOL_LINGER_S: '30' },
      workerEnv: { LEASE_TTL_MS: '1500' },
    });
    const client = await TestClient.connect(`${s.ws}/ws`);
    t.after(() => client.socket.terminate());
    await client.subscribe({ subscription: 'ticker', symbol: 'SOLUSDT' });
    await client.next((message) => message.type === 'update' && message.channel === 'ticker:SOLUSDT', 15_000, 'SOLUSDT ticker');
    assert.ok(s.worker.stats().symbols.includes('SOLUSDT'));

    await s.redis!.kill();
    await delay(500);
    await s.redis!.startProcess();
    // Redis is back (empty); the client never left.
    await waitFor('the worker publishes again', async () => (await s.bus.listChannels().catch(() => [])).some((info) => info.channel === 'ticker:BTCUSDT'), 20_000, 100);

    // The gateway's half: it re-asserts the demand its client holds, well within the worker's patience.
    await waitFor('the gateway re-asserts SOLUSDT', async () => (await s.bus.coordination.readDemand('bybit:linear', Date.now()).catch((): string[] => [])).includes('SOLUSDT'), 15_000, 100);

    const until = Date.now() + 8_000;
    while (Date.now() < until) {
      const messages = client.received.map((received) => received.message);
      const stopped = messages.find((message: ServerMessage) => message.type === 'status' && message.state === 'stopped');
      const errors = messages.filter((message: ServerMessage) => message.type === 'error');
      assert.ok(
        s.worker.stats().symbols.includes('SOLUSDT') && !stopped && errors.length === 0,
        `SOLUSDT dropped after the Redis restart while subscribed; worker symbols ${JSON.stringify(s.worker.stats().symbols)}; client told: ${JSON.stringify(stopped)}; errors: ${JSON.stringify(errors)}`,
      );
      await delay(200);
    }
  });
});

/**
 * Regression (found in review): the gateway relays status changes only (ws-endpoints: `relayed` keyed
 * by upstream|worker|channels, for the whole process). A worker that streams a
 * channel a second time (here: the dynamic symbol dropped by the restart and
 * requested again by the gateway's renewal) sends the per-channel `live` again,
 * but the gateway remembers it relayed `live` for that key during the first
 * period and swallows it: the client is left with `connecting` (the web page's
 * feed-health only lifts it on a status) while data flows.
 */
