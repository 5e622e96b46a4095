/** /metrics (Prometheus) and /docs (OpenAPI) on a gateway fed by a real worker and simulator. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { DEFAULT_BUS_LIMITS } from '../../src/bus/market-bus.js';
import { loadGatewayConfig } from '../../src/config/gateway-config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { Worker } from '../../src/ingest/worker.js';
import { silentLogger } from '../../src/shared/logger.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { startSimulator, workerConfigFor } from '../helpers/worker-stack.js';
import { waitFor } from '../helpers/wait-for.js';

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : Number.NaN;
}

describe('gateway observability', () => {
  it('exposes Prometheus metrics that move with the traffic, and the OpenAPI document', async (t) => {
    const defer = deferCleanups(t);
    const simulator = await startSimulator();
    defer(() => simulator.close());
    const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS });
    defer(() => bus.close());
    const worker = await Worker.start(workerConfigFor(simulator, 'redis://unused:1'), { bus, logger: silentLogger(), marketNow: () => simulator.virtualTimeMs });
    defer(() => worker.stop());
    const gateway = new Gateway(loadGatewayConfig({}, { PORT: '0', SYMBOLS: 'BTCUSDT,ETHUSDT', TIMEFRAMES: '1,5', LOG_LEVEL: 'silent' }, false), { bus, logger: silentLogger() });
    defer(() => gateway.stop());
    const { url, port } = await gateway.listen();

    const client = new WebSocket(`ws://127.0.0.1:${port}/api/v1/live/ws/orderbook/BTCUSDT`);
    defer(() => client.terminate());
    let received = 0;
    client.on('message', () => received++);
    await waitFor('book updates', () => received > 10, 10_000);
    const bad = new WebSocket(`ws://127.0.0.1:${port}/api/v1/live/ws/orderbook/NOPEUSDT`);
    await new Promise((resolve) => bad.once('close', resolve));

    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'tickstream_gateway_connections'), 1);
    assert.equal(metricValue(metrics, 'tickstream_gateway_subscriptions'), 1);
    assert.ok(metricValue(metrics, 'tickstream_gateway_messages_in_total') >= 8);
    assert.ok(metricValue(metrics, 'tickstream_gateway_messages_out_total') >= received);
    assert.match(metrics, /tickstream_gateway_client_errors_total\{code="UNKNOWN_SYMBOL"\} 1/);
    assert.match(metrics, /tickstream_gateway_delivery_lag_seconds_count\{channel="orderbook:BTCUSDT"\} \d+/);
    assert.match(metrics, /process_resident_memory_bytes|tickstream_gateway_process_resident_memory_bytes/);

    const openapi = (await (await fetch(`${url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    assert.deepEqual(Object.keys(openapi.paths).sort(), ['/api/v1/live/candles/{symbol}/{timeframe}', '/api/v1/live/channels', '/api/v1/live/health']);
    const page = await fetch(`${url}/docs/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger/i);
  });
});
