/**
 * Who may connect: optional JWT auth (HS256 secret or JWKS), allowed origins,
 * per-IP connection caps and rates, and the inbound message rate limit.
 * Refusals happen before the upgrade, with an HTTP status.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import WebSocket from 'ws';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { DEFAULT_BUS_LIMITS } from '../../src/bus/market-bus.js';
import { loadGatewayConfig } from '../../src/config/gateway-config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { silentLogger } from '../../src/shared/logger.js';
import { rawDataText as text } from '../../src/shared/raw-data.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

async function startGateway(t: TestContext, env: Record<string, string>): Promise<string> {
  const defer = deferCleanups(t);
  const bus = createMemoryBus({ prefix: '', limits: DEFAULT_BUS_LIMITS });
  defer(() => bus.close());
  const gateway = new Gateway(loadGatewayConfig({}, { PORT: '0', SYMBOLS: 'BTCUSDT', TIMEFRAMES: '1', LOG_LEVEL: 'silent', ...env }, false), { bus, logger: silentLogger() });
  defer(() => gateway.stop());
  const { port } = await gateway.listen();
  return `ws://127.0.0.1:${port}/api/v1/live`;
}

type Outcome = { opened: true; socket: WebSocket; first: Record<string, unknown> } | { opened: false; status: number };

/** Connects and resolves with the first message, or with the HTTP status of a refused upgrade. */
function connect(url: string, options: WebSocket.ClientOptions = {}, protocols?: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = protocols ? new WebSocket(url, protocols, options) : new WebSocket(url, options);
    socket.once('unexpected-response', (_request, response) => {
      resolve({ opened: false, status: response.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('message', (data) => resolve({ opened: true, socket, first: JSON.parse(text(data)) as Record<string, unknown> }));
    socket.once('error', (error) => {
      if (!error.message.includes('Unexpected server response')) reject(error);
    });
  });
}

async function token(claims: { exp?: number | string } = {}, key: Parameters<SignJWT['sign']>[0] = new TextEncoder().encode(SECRET), alg = 'HS256'): Promise<string> {
  const jwt = new SignJWT({ sub: 'tester' }).setProtectedHeader({ alg, kid: 'k1' }).setIssuedAt();
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  return jwt.sign(key);
}

function closeAll(outcomes: Outcome[]): void {
  for (const outcome of outcomes) if (outcome.opened) outcome.socket.terminate();
}

describe('gateway admission', () => {
  it('with AUTH_JWT_SECRET, a token is required: query, bearer header or subprotocol', async (t) => {
    const base = await startGateway(t, { AUTH_JWT_SECRET: SECRET });
    const endpoint = `${base}/ws/ticker/BTCUSDT`;
    assert.deepEqual(await connect(endpoint), { opened: false, status: 401 });
    assert.deepEqual(await connect(`${endpoint}?token=not.a.jwt`), { opened: false, status: 401 });
    const wrongKey = await token({}, new TextEncoder().encode('another-secret-that-is-long-enough-too!!'));
    assert.deepEqual(await connect(`${endpoint}?token=${wrongKey}`), { opened: false, status: 401 });
    assert.deepEqual(await connect(`${endpoint}?token=${await token({ exp: Math.floor(Date.now() / 1000) - 10 })}`), { opened: false, status: 401 });

    const good = await token();
    const viaQuery = await connect(`${endpoint}?token=${good}`);
    const viaHeader = await connect(endpoint, { headers: { authorization: `Bearer ${good}` } });
    const viaProtocol = await connect(endpoint, {}, ['bearer', good]);
    t.after(() => closeAll([viaQuery, viaHeader, viaProtocol]));
    for (const outcome of [viaQuery, viaHeader, viaProtocol]) {
      assert.ok(outcome.opened);
      assert.equal(outcome.first.type, 'subscribed');
    }
    assert.ok(viaProtocol.opened && viaProtocol.socket.protocol === 'bearer', 'the token is never echoed as the protocol');
  });

  it('closes a socket with 4401 when its token expires', async (t) => {
    const base = await startGateway(t, { AUTH_JWT_SECRET: SECRET });
    const expiring = await token({ exp: Math.floor(Date.now() / 1000) + 2 });
    const outcome = await connect(`${base}/ws/ticker/BTCUSDT?token=${expiring}`);
    assert.ok(outcome.opened);
    const messages: Record<string, unknown>[] = [];
    outcome.socket.on('message', (data) => messages.push(JSON.parse(text(data)) as Record<string, unknown>));
    const code = await new Promise<number>((resolve) => outcome.socket.once('close', (closeCode) => resolve(closeCode)));
    assert.equal(code, 4401);
    assert.ok(messages.some((message) => message.type === 'error' && message.code === 'UNAUTHORIZED'), 'told why before the close');
  });

  it('accepts tokens signed by a key from AUTH_JWKS_URL and refuses others', async (t) => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwks = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => jwks.close(() => resolve())));
    const address = jwks.address();
    const base = await startGateway(t, { AUTH_JWKS_URL: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/jwks.json` });
    const accepted = await connect(`${base}/ws/ticker/BTCUSDT?token=${await token({}, privateKey, 'ES256')}`);
    t.after(() => closeAll([accepted]));
    assert.ok(accepted.opened);
    assert.deepEqual(await connect(`${base}/ws/ticker/BTCUSDT?token=${await token({}, other.privateKey, 'ES256')}`), { opened: false, status: 401 });
  });

  it('refuses browser origins not in ALLOWED_ORIGINS', async (t) => {
    const base = await startGateway(t, { ALLOWED_ORIGINS: 'https://app.example,https://other.example' });
    assert.deepEqual(await connect(`${base}/ws`, { origin: 'https://evil.example' }), { opened: false, status: 403 });
    const allowed = await connect(`${base}/ws/ticker/BTCUSDT`, { origin: 'https://app.example' });
    const noOrigin = await connect(`${base}/ws/ticker/BTCUSDT`);
    t.after(() => closeAll([allowed, noOrigin]));
    assert.ok(allowed.opened && noOrigin.opened);
  });

  it('caps connections per IP and frees the slot when one closes', async (t) => {
    const base = await startGateway(t, { MAX_CONNECTIONS_PER_IP: '2' });
    const first = await connect(`${base}/ws/ticker/BTCUSDT`);
    const second = await connect(`${base}/ws/ticker/BTCUSDT`);
    t.after(() => closeAll([first, second]));
    assert.deepEqual(await connect(`${base}/ws/ticker/BTCUSDT`), { opened: false, status: 429 });
    assert.ok(first.opened);
    await new Promise<void>((resolve) => {
      first.socket.once('close', () => resolve());
      first.socket.close();
    });
    const third = await connect(`${base}/ws/ticker/BTCUSDT`);
    t.after(() => closeAll([third]));
    assert.ok(third.opened);
  });

  it('limits the rate of new connections per IP', async (t) => {
    const base = await startGateway(t, { NEW_CONNECTIONS_PER_IP_PER_MINUTE: '3' });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 3; i++) outcomes.push(await connect(`${base}/ws/ticker/BTCUSDT`));
    t.after(() => closeAll(outcomes));
    assert.ok(outcomes.every((o) => o.opened));
    assert.deepEqual(await connect(`${base}/ws/ticker/BTCUSDT`), { opened: false, status: 429 });
  });

  it('rate-limits client messages: RATE_LIMITED errors, then close 4429 if it goes on', async (t) => {
    const base = await startGateway(t, { INBOUND_MESSAGES_PER_SECOND: '2', MAX_SUBSCRIPTIONS_PER_CONNECTION: '3' });
    const socket = new WebSocket(`${base}/ws`);
    t.after(() => socket.terminate());
    await new Promise((resolve) => socket.once('open', resolve));
    const received: Record<string, unknown>[] = [];
    socket.on('message', (data) => received.push(JSON.parse(text(data)) as Record<string, unknown>));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    for (let i = 0; i < 40; i++) socket.send(JSON.stringify({ type: 'unsubscribe', subscription: 'ticker', symbol: 'BTCUSDT' }));
    assert.equal(await closed, 4429);
    const codes = received.map((message) => message.code);
    assert.equal(codes.filter((code) => code === 'NOT_SUBSCRIBED').length, 4, 'the burst allowance was served');
    assert.ok(codes.filter((code) => code === 'RATE_LIMITED').length >= 10);
  });

  it('a full set of subscriptions at connect fits in the burst, however low the rate limit', async (t) => {
    const base = await startGateway(t, { INBOUND_MESSAGES_PER_SECOND: '2', MAX_SUBSCRIPTIONS_PER_CONNECTION: '8', SYMBOLS: 'BTCUSDT,ETHUSDT' });
    const socket = new WebSocket(`${base}/ws`);
    t.after(() => socket.terminate());
    await new Promise((resolve) => socket.once('open', resolve));
    const received: Record<string, unknown>[] = [];
    let allAnswered!: () => void;
    const answered = new Promise<void>((resolve) => (allAnswered = resolve));
    socket.on('message', (data) => {
      const message = JSON.parse(text(data)) as Record<string, unknown>;
      received.push(message);
      if (received.filter((m) => m.type === 'subscribed' || m.type === 'error').length === 9) allAnswered();
    });
    const requests = ['BTCUSDT', 'ETHUSDT'].flatMap((symbol) =>
      ['ticker', 'trades', 'orderbook', 'candles'].map((subscription) => ({ type: 'subscribe', subscription, symbol, ...(subscription === 'candles' ? { timeframe: '1' } : {}) })),
    );
    // Eight subscriptions, then one message past the burst of max(2 x 2, 8).
    for (const request of [...requests, requests[0]]) socket.send(JSON.stringify(request));
    await answered;
    assert.equal(received.filter((m) => m.type === 'subscribed').length, 8, JSON.stringify(received.filter((m) => m.type === 'error')));
    assert.deepEqual(received.filter((m) => m.type === 'error').map((m) => m.code), ['RATE_LIMITED'], 'the ninth message is past the burst');
  });
});
