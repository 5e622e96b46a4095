/**
 * The live page in a real browser against the demo stack (simulator → worker
 * → bus → gateway, market clock 60x so candles close every second): it paints,
 * moves, switches symbol and timeframe without stale subscriptions, survives a
 * gateway restart without a gap, fits a phone, and leaves a screenshot in docs/.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { DEFAULT_BUS_LIMITS, type MarketBus } from '../../src/bus/market-bus.js';
import { loadGatewayConfig } from '../../src/config/gateway-config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { defaultWebRoot } from '../../src/gateway/web-page.js';
import { Worker } from '../../src/ingest/worker.js';
import { silentLogger } from '../../src/shared/logger.js';
import { launchChromium } from '../helpers/browser.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { startSimulator, workerConfigFor } from '../helpers/worker-stack.js';
import { waitFor } from '../helpers/wait-for.js';

/** What the page exposes on window.__tickstream (web/src, test hook). */
interface PageHook {
  candleCount(): number;
  lastCandle(): { time: number; open: string; high: string; low: string; close: string; confirm: boolean } | undefined;
  candleTimes(): number[];
  symbol: string;
  timeframe: string;
}

function gatewayOn(bus: MarketBus, port: number, env: Record<string, string> = {}): Gateway {
  return new Gateway(loadGatewayConfig({}, { PORT: String(port), SYMBOLS: 'BTCUSDT,ETHUSDT', TIMEFRAMES: '1,5', LOG_LEVEL: 'silent', ...env }, false), { bus, logger: silentLogger(), simulated: true });
}

interface Stack {
  readonly url: string;
  readonly port: number;
  readonly bus: MarketBus;
  gateway: Gateway;
  readonly browser: Browser;
  readonly page: Page;
  readonly consoleErrors: string[];
}

async function startStack(t: TestContext, simulatorOptions: Parameters<typeof startSimulator>[0] = {}, gatewayEnv: Record<string, string> = {}): Promise<Stack> {
  assert.ok(existsSync(defaultWebRoot()), 'the page is not built: run npm run build');
  const defer = deferCleanups(t);
  const simulator = await startSimulator(simulatorOptions);
  defer(() => simulator.close());
  const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS });
  defer(() => bus.close());
  const worker = await Worker.start(workerConfigFor(simulator, 'redis://unused:1'), { bus, logger: silentLogger(), simulated: true, marketNow: () => simulator.virtualTimeMs });
  defer(() => worker.stop());
  const stack = { bus, gateway: gatewayOn(bus, 0, gatewayEnv) } as Stack;
  defer(() => stack.gateway.stop());
  const { port, url } = await stack.gateway.listen();
  const browser = await launchChromium();
  defer(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  Object.assign(stack, { url, port, browser, page, consoleErrors });
  await page.goto(url);
  return stack;
}

/** Evaluates `expression` in the page with `h` bound to the page's window.__tickstream hook (undefined if absent). */
function hook<T>(page: Page, expression: string): Promise<T | undefined> {
  return page.evaluate(`(() => { const h = window.__tickstream; return h ? (${expression}) : undefined; })()`);
}

async function text(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).first().textContent())?.trim() ?? '';
}

async function waitForState(page: Page, state: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(`connection state ${state}`, async () => (await text(page, 'connection-state')) === state, timeoutMs, 100);
}

describe('live page in Chromium', () => {
  it('paints candles, ticker, trades and book, marked simulated, and keeps moving', async (t) => {
    const { page, consoleErrors } = await startStack(t);
    await waitForState(page, 'live');
    await waitFor('candles painted', async () => ((await hook<number>(page, 'h.candleCount()')) ?? 0) > 100, 15_000, 100);
    await waitFor('ticker, trades and book filled', async () =>
      (await text(page, 'last-price')) !== '' && (await page.getByTestId('trade-row').count()) > 3 &&
      (await page.getByTestId('ask-row').count()) > 3 && (await page.getByTestId('bid-row').count()) > 3, 15_000, 100);
    assert.ok(await page.getByTestId('simulated-badge').isVisible(), 'simulated data is labelled');
    assert.match(await text(page, 'delay-ms'), /^\d+/);
    const first = await hook<ReturnType<PageHook['lastCandle']>>(page, 'h.lastCandle()');
    await waitFor('the forming candle moves and a new one starts', async () => {
      const now = await hook<ReturnType<PageHook['lastCandle']>>(page, 'h.lastCandle()');
      return now !== undefined && first !== undefined && now !== null && first !== null && now.time > first.time;
    }, 10_000, 100);
    const rows = page.getByTestId('trade-row');
    const sides = await Promise.all(Array.from({ length: await rows.count() }, (_, i) => rows.nth(i).getAttribute('data-side')));
    assert.ok(sides.every((side) => side === 'Buy' || side === 'Sell'));
    assert.deepEqual(consoleErrors, []);
  });

  it('looks right at market speed (the screenshot in the README comes from here)', async (t) => {
    // Real-time market clock: the delay shown is the true exchange-to-display delay.
    const { page, consoleErrors } = await startStack(t, { timeScale: 1, startTimeMs: Date.now() });
    await waitForState(page, 'live');
    await waitFor('page filled', async () =>
      ((await hook<number>(page, 'h.candleCount()')) ?? 0) > 100 && (await page.getByTestId('trade-row').count()) > 5 &&
      (await page.getByTestId('bid-row').count()) > 5, 15_000, 100);
    const delayMs = Number((await text(page, 'delay-ms')).replace(/\D/g, ''));
    assert.ok(delayMs < 1_000, `exchange-to-display delay ${delayMs} ms`);
    await page.screenshot({ path: 'docs/live-page.png' });
    assert.deepEqual(consoleErrors, []);
  });

  it('switches symbol and timeframe without leaving a stale subscription', async (t) => {
    const { page, url, consoleErrors } = await startStack(t);
    await waitForState(page, 'live');
    await waitFor('candles painted', async () => ((await hook<number>(page, 'h.candleCount()')) ?? 0) > 100, 15_000, 100);
    await page.getByTestId('symbol-picker').selectOption('ETHUSDT');
    await page.getByTestId('timeframe-picker').selectOption('5');
    await waitFor('ETHUSDT 5m painted', async () => {
      const state = await hook<{ symbol: string; timeframe: string; last: ReturnType<PageHook['lastCandle']>; count: number }>(page, '({ symbol: h.symbol, timeframe: h.timeframe, last: h.lastCandle(), count: h.candleCount() })');
      return state?.symbol === 'ETHUSDT' && state.timeframe === '5' && state.count > 50 && state.last !== undefined && state.last.time % 300_000 === 0;
    }, 15_000, 100);
    await waitFor('old channels released', async () => {
      const body = (await (await fetch(`${url}/api/v1/live/channels`)).json()) as { channels: { channel: string; subscribers: number }[] };
      const held = new Map(body.channels.map((c) => [c.channel, c.subscribers]));
      return ['candles:BTCUSDT:1', 'ticker:BTCUSDT', 'trades:BTCUSDT', 'orderbook:BTCUSDT'].every((c) => held.get(c) === 0) && (held.get('candles:ETHUSDT:5') ?? 0) === 1;
    }, 5_000, 100);
    assert.deepEqual(consoleErrors, []);
  });

  it('shows reconnecting when the gateway goes away, then live again with no gap in the candles', async (t) => {
    const stack = await startStack(t);
    const { page } = stack;
    await waitForState(page, 'live');
    await waitFor('candles painted', async () => ((await hook<number>(page, 'h.candleCount()')) ?? 0) > 100, 15_000, 100);
    await stack.gateway.stop();
    // Read together and retried: a retry attempt ('connecting', no countdown) can come between two reads.
    await waitFor('reconnecting, with a countdown', async () => (await text(page, 'connection-state')) === 'reconnecting' && (await page.getByTestId('reconnect-countdown').isVisible()), 5_000, 50);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // two candles close meanwhile
    stack.gateway = gatewayOn(stack.bus, stack.port);
    await stack.gateway.listen();
    await waitForState(page, 'live', 20_000);
    await waitFor('candles continue after the restart', async () => {
      const times = (await hook<number[]>(page, 'h.candleTimes()')) ?? [];
      return times.length > 0 && times.at(-1)! >= Date.now() - 6 * 3_600_000;
    }, 10_000, 100);
    const times = (await hook<number[]>(page, 'h.candleTimes()')) ?? [];
    for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 60_000, `gap after ${times[i - 1]}`);
  });

  it('loads older candles when the chart is scrolled back to its left edge', async (t) => {
    const { page, consoleErrors } = await startStack(t);
    await waitForState(page, 'live');
    await waitFor('first paint', async () => ((await hook<number>(page, 'h.candleCount()')) ?? 0) >= 200, 15_000, 100);
    const painted = (await hook<number>(page, 'h.candleCount()')) ?? 0;
    const box = await page.getByTestId('chart').boundingBox();
    assert.ok(box, 'chart on screen');
    // Drag the time axis to the right (back in time) until the left edge shows, like a user would.
    for (let i = 0; i < 6; i++) {
      await page.mouse.move(box.x + 60, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width - 60, box.y + box.height / 2, { steps: 8 });
      await page.mouse.up();
    }
    await waitFor('older candles prepended', async () => ((await hook<number>(page, 'h.candleCount()')) ?? 0) > painted + 100, 10_000, 100);
    const times = (await hook<number[]>(page, 'h.candleTimes()')) ?? [];
    for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 60_000, `gap after ${times[i - 1]}`);
    assert.deepEqual(consoleErrors, []);
  });

  it('fits a phone screen and switches theme', async (t) => {
    const { page, consoleErrors } = await startStack(t);
    await page.setViewportSize({ width: 375, height: 812 });
    await waitForState(page, 'live');
    await waitFor('candles painted', async () => ((await hook<number>(page, 'h.candleCount()')) ?? 0) > 50, 15_000, 100);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    assert.ok(overflow <= 1, `horizontal overflow of ${overflow} px at phone width`);
    const background = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    const before = await background();
    await page.getByTestId('theme-toggle').click();
    await waitFor('theme changed', async () => (await background()) !== before, 2_000, 50);
    await page.screenshot({ path: 'docs/live-page-phone.png' });
    assert.deepEqual(consoleErrors, []);
  });

  it('with WS_PERMESSAGE_DEFLATE, Chromium negotiates compression, reads the shared compressed frames and paints', async (t) => {
    const { page, url, consoleErrors } = await startStack(t, {}, { WS_PERMESSAGE_DEFLATE: 'true' });
    await waitForState(page, 'live');
    await waitFor('candles and book painted', async () =>
      ((await hook<number>(page, 'h.candleCount()')) ?? 0) > 100 && (await page.getByTestId('ask-row').count()) > 3, 15_000, 100);
    // A socket of the browser's own, beside the page's: the extension it negotiated and a run of book updates.
    const seen = await page.evaluate<{ extensions: string; seqs: number[]; types: string[] }, string>(async (wsUrl) => {
      const socket = new WebSocket(wsUrl);
      const seqs: number[] = [];
      const types: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('not enough messages')), 10_000);
        socket.onmessage = (event: { data: unknown }) => {
          const message = JSON.parse(String(event.data)) as { type: string; seq?: number };
          types.push(message.type);
          if (message.type === 'update' && message.seq !== undefined) seqs.push(message.seq);
          if (seqs.length >= 20) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      socket.close();
      return { extensions: socket.extensions, seqs, types: [...new Set(types)] };
    }, `${url.replace('http', 'ws')}/api/v1/live/ws/orderbook/BTCUSDT`);
    assert.match(seen.extensions, /permessage-deflate/);
    assert.match(seen.extensions, /server_no_context_takeover/);
    assert.deepEqual(seen.types.slice(0, 2), ['subscribed', 'snapshot']);
    assert.deepEqual(seen.seqs, seen.seqs.map((_, i) => seen.seqs[0]! + i), 'updates in order, no hole');
    assert.deepEqual(consoleErrors, []);
  });
});
