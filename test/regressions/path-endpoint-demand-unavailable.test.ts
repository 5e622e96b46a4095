/**
 * Regression (found in review): a path endpoint for a client-requested symbol, asked while the bus
 * does not answer, gets `UNAVAILABLE` ("retry later") but is closed with 4400
 * ("a request that cannot be served: unknown symbol or timeframe"), not 1013
 * ("the bus could not serve it: reconnect later"). ws-endpoints.openFixed closes
 * every failed resolveChannel with BAD_REQUEST, including the demand verdict
 * 'unavailable' (symbol-demand.ts), so a client following the close codes gives up.
 * Real parts: simulator, worker, private redis-server (killed), gateway with its
 * own Redis bus, ws client.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { delay } from '../helpers/wait-for.js';
import { startGatewayStack } from '../gateway/helpers/gateway-stack.js';
import { TestClient } from '../gateway/helpers/ws-client.js';

describe('regression: path endpoint of a requested symbol while Redis is down', { timeout: 60_000 }, () => {
  it('closes with 1013 (try again later) when the bus did not answer', { timeout: 45_000 }, async (t) => {
    const s = await startGatewayStack(t, { redis: true, gatewayEnv: { MAX_DYNAMIC_SYMBOLS: '2' } });
    await s.redis!.kill();
    await delay(1_000);
    const client = await TestClient.connect(`${s.ws}/ws/ticker/SOLUSDT`);
    t.after(() => client.socket.terminate());
    const error = await client.next((message) => message.type === 'error', 10_000, 'an error');
    const closed = await client.expectClose(10_000);
    assert.equal(error.code, 'UNAVAILABLE');
    assert.equal(closed.code, 1013, `UNAVAILABLE closed with ${closed.code} (${closed.reason}), the code for a request that can never be served`);
  });
});
