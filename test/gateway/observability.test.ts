/** /metrics (Prometheus) and /docs (OpenAPI) on a gateway fed by a real worker and simulator. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { waitFor } from '../helpers/wait-for.js';
import { startGatewayStack } from './helpers/gateway-stack.js';

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : Number.NaN;
}

describe('gateway observability', () => {
  it('exposes Prometheus metrics that move with the traffic, and the OpenAPI document', async (t) => {
    const stack = await startGatewayStack(t);
    const { defer } = stack;
    const url = new URL(stack.http).origin;
    const client = new WebSocket(`${stack.ws}/ws/orderbook/BTCUSDT`);
    defer(() => client.terminate());
    let received = 0;
    client.on('message', () => received++);
    await waitFor('book updates', () => received > 10, 10_000);
    const bad = new WebSocket(`${stack.ws}/ws/orderbook/NOPEUSDT`);
    await new Promise((resolve) => bad.once('close', resolve));

    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'tickstream_gateway_connections'), 1);
    assert.equal(metricValue(metrics, 'tickstream_gateway_subscriptions'), 1);
    assert.ok(metricValue(metrics, 'tickstream_gateway_messages_in_total') >= 8);
    assert.ok(metricValue(metrics, 'tickstream_gateway_messages_out_total') >= received);
    assert.match(metrics, /tickstream_gateway_client_errors_total\{code="UNKNOWN_SYMBOL"\} 1/);
    assert.match(metrics, /tickstream_gateway_delivery_lag_seconds_count\{subscription="orderbook"\} [1-9]\d*/);
    assert.doesNotMatch(metrics, /channel="/, 'no series per channel: their number would grow with the symbols served');
    assert.match(metrics, /process_resident_memory_bytes|tickstream_gateway_process_resident_memory_bytes/);

    const openapi = (await (await fetch(`${url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    assert.deepEqual(Object.keys(openapi.paths).sort(), ['/api/v1/live/candles/{symbol}/{timeframe}', '/api/v1/live/channels', '/api/v1/live/health']);
    const page = await fetch(`${url}/docs/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger/i);
  });
});
