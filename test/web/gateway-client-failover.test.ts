/**
 * GatewayClient (web/src) against a scripted fake WebSocket: several gateway
 * URLs are tried round robin on reconnect, every subscription resumes with
 * `since` on whichever gateway it lands, a lone URL behaves as before, and a
 * channel answered with UNAVAILABLE is subscribed again (other errors are not).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayClient, type StateChange, type WebSocketLike } from '../../web/src/gateway-client.js';
import type { MarketUpdate } from '../../src/schemas/index.js';
import { deferCleanups } from '../helpers/deferred-cleanup.js';
import { waitFor } from '../helpers/wait-for.js';

class FakeSocket implements WebSocketLike {
  static readonly opened: FakeSocket[] = [];
  readyState = 0;
  readonly sent: Record<string, unknown>[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    this.drop(1000);
  }

  /** The server side: accept, talk, die. */
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  drop(code = 1006): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

function startClient(t: Parameters<typeof deferCleanups>[0], url: string | string[]): { client: GatewayClient; states: StateChange[]; latest: () => FakeSocket } {
  FakeSocket.opened.length = 0;
  const client = new GatewayClient({ url, WebSocket: FakeSocket, reconnectBaseMs: 100, reconnectMaxMs: 100, random: () => 0, silenceTimeoutMs: 60_000 });
  deferCleanups(t)(() => client.close());
  const states: StateChange[] = [];
  client.onStateChange((change) => states.push(change));
  return { client, states, latest: () => FakeSocket.opened.at(-1)! };
}

const tickerUpdate = (seq: number) => ({ type: 'update', subscription: 'ticker', channel: 'ticker:BTCUSDT', symbol: 'BTCUSDT', seq });

describe('GatewayClient: several gateways, retries', () => {
  it('reconnects round robin over the URLs it was given and says where it goes', async (t) => {
    const { client, states, latest } = startClient(t, ['ws://a/ws', 'ws://b/ws', 'ws://c/ws']);
    const visited: string[] = [];
    for (let i = 0; i < 4; i++) {
      await waitFor(`socket ${i + 1}`, () => FakeSocket.opened.length === i + 1, 2_000);
      visited.push(latest().url);
      latest().open();
      assert.equal(client.url, latest().url);
      latest().drop();
    }
    assert.deepEqual(visited, ['ws://a/ws', 'ws://b/ws', 'ws://c/ws', 'ws://a/ws']);
    const reconnecting = states.filter((change) => change.state === 'reconnecting').map((change) => change.url);
    assert.deepEqual(reconnecting, ['ws://b/ws', 'ws://c/ws', 'ws://a/ws', 'ws://b/ws'], 'each reconnecting state names the next gateway');
    assert.deepEqual(states.filter((change) => change.state === 'live').map((change) => change.url), visited);
  });

  it('a single URL (a string, as before) is reconnected to itself', async (t) => {
    const { latest } = startClient(t, 'ws://only/ws');
    latest().open();
    latest().drop();
    await waitFor('second socket', () => FakeSocket.opened.length === 2, 2_000);
    assert.deepEqual(FakeSocket.opened.map((socket) => socket.url), ['ws://only/ws', 'ws://only/ws']);
  });

  it('an empty URL list is refused', () => {
    assert.throws(() => new GatewayClient({ url: [], WebSocket: FakeSocket }), /at least one gateway URL/);
  });

  it('resumes every subscription with since on the next gateway and never delivers a seq twice', async (t) => {
    const { client, latest } = startClient(t, ['ws://a/ws', 'ws://b/ws']);
    const seqs: number[] = [];
    client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' }, { onSnapshot: (s) => seqs.push(s.seq), onUpdate: (u: MarketUpdate) => seqs.push(u.seq) });
    const a = latest();
    a.open();
    assert.deepEqual(a.sent, [{ type: 'subscribe', subscription: 'ticker', symbol: 'BTCUSDT' }]);
    a.receive({ type: 'snapshot', channel: 'ticker:BTCUSDT', seq: 5 });
    a.receive(tickerUpdate(6));
    a.receive(tickerUpdate(7));
    a.drop();
    await waitFor('socket to b', () => FakeSocket.opened.length === 2, 2_000);
    const b = latest();
    assert.equal(b.url, 'ws://b/ws');
    b.open();
    assert.deepEqual(b.sent, [{ type: 'subscribe', subscription: 'ticker', symbol: 'BTCUSDT', since: 7 }]);
    b.receive(tickerUpdate(7)); // a replay overlapping what a delivered
    b.receive(tickerUpdate(8));
    assert.deepEqual(seqs, [5, 6, 7, 8]);
  });

  it('subscribes again (with since) after UNAVAILABLE, not within a second; not after other errors', async (t) => {
    const { client, latest } = startClient(t, 'ws://a/ws');
    const errors: string[] = [];
    const handlers = { onSnapshot: () => undefined, onUpdate: () => undefined, onError: (error: { code: string }) => errors.push(error.code) };
    client.subscribe({ subscription: 'ticker', symbol: 'BTCUSDT' }, handlers);
    client.subscribe({ subscription: 'trades', symbol: 'NOPEUSDT' }, handlers);
    const socket = latest();
    socket.open();
    socket.receive({ type: 'snapshot', channel: 'ticker:BTCUSDT', seq: 3 });
    socket.receive({ type: 'error', code: 'UNAVAILABLE', message: 'ticker:BTCUSDT: history unavailable', channel: 'ticker:BTCUSDT' });
    socket.receive({ type: 'error', code: 'UNKNOWN_SYMBOL', message: 'no channel', channel: 'trades:NOPEUSDT' });
    assert.deepEqual(errors, ['UNAVAILABLE', 'UNKNOWN_SYMBOL'], 'the handlers still hear every error');
    await new Promise((resolve) => setTimeout(resolve, 900));
    assert.equal(socket.sent.length, 2, 'no retry within the first second');
    await waitFor('ticker subscribed again', () => socket.sent.length === 3, 3_000);
    assert.deepEqual(socket.sent[2], { type: 'subscribe', subscription: 'ticker', symbol: 'BTCUSDT', since: 3 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(socket.sent.length, 3, 'the unknown symbol is not retried');
  });
});
