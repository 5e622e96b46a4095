/**
 * Regression (found in review): releasing a client-requested symbol leaves /health degraded for good.
 *
 * - the worker's release announces a channel-level `stopped`, which becomes the
 *   upstream's latest status (`tickstream:status:{upstream}`): /health reports
 *   `upstream.state: "stopped"` although the link and every streamed channel are live;
 * - the released channels stay in the bus channel list (`tickstream:channels`)
 *   with their last publish time, so after CHANNEL_STALE_MS they are listed in
 *   `stale_channels` forever.
 * Real parts: simulator, worker, memory bus, gateway, ws client, HTTP.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/wait-for.js';
import { getJson, startGatewayStack } from '../gateway/helpers/gateway-stack.js';
import { TestClient } from '../gateway/helpers/ws-client.js';

describe('regression: /health after a dynamic symbol is released', { timeout: 60_000 }, () => {
  it('is healthy again once the released symbol is gone', { timeout: 45_000 }, async (t) => {
    const s = await startGatewayStack(t, {
      gatewayEnv: { MAX_DYNAMIC_SYMBOLS: '1', DYNAMIC_SYMBOL_LINGER_S: '1', CHANNEL_STALE_MS: '3000' },
      workerEnv: { LEASE_TTL_MS: '900' },
    });
    const health = async () => (await getJson(`${s.http}/health`)).body as { status: string; upstream: { state: string }; stale_channels: string[] };
    await waitFor('healthy before', async () => (await health()).status === 'healthy', 10_000, 100);

    const client = await TestClient.connect(`${s.ws}/ws`);
    t.after(() => client.socket.terminate());
    await client.subscribe({ subscription: 'ticker', symbol: 'SOLUSDT' });
    await client.next((message) => message.type === 'update' && message.channel === 'ticker:SOLUSDT', 10_000, 'SOLUSDT ticker');
    client.socket.terminate();
    await waitFor('SOLUSDT released', () => !s.worker.stats().symbols.includes('SOLUSDT'), 10_000);

    // BTCUSDT and ETHUSDT keep streaming live; nothing is wrong with the deployment.
    let last = await health();
    try {
      await waitFor('healthy after the release', async () => (last = await health()).status === 'healthy', 8_000, 200);
    } catch {
      assert.fail(`/health stays ${last.status} after the release: upstream.state=${last.upstream.state}, stale_channels=${JSON.stringify(last.stale_channels)}`);
    }
  });
});
