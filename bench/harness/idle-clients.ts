/**
 * The idle clients of idle-rss.ts, in their own process (pinned to CPU 1) so
 * their sockets' memory is not counted with the server's. Driven over IPC:
 * `{cmd:'grow', total}` opens connections until `total` are held, then
 * replies with how many are open and how many failed, were refused or dropped.
 * Each client subscribes to all 4 channels of one symbol, as PROTOCOL.md says.
 * @module
 */
import WebSocket from 'ws';
import { benchSymbols } from './bench-common.js';
import type { ServerKind } from './bench-clients.js';

export interface GrowRequest {
  readonly cmd: 'grow';
  readonly kind: ServerKind;
  readonly port: number;
  /** Connections to hold once done (never fewer than already open). */
  readonly total: number;
}

export interface GrowReply {
  readonly open: number;
  /** Connections that never became ready (error, close or timeout), this grow. */
  readonly failed: number;
  /** tickstream subscriptions answered with an error frame, this grow. */
  readonly refused: number;
  /** Ready connections closed since the start: an idle client must stay open. */
  readonly dropped: number;
  readonly firstError?: string;
}

const BATCH = 200;
const READY_TIMEOUT_MS = 20_000;
const SYMBOLS = benchSymbols(100);
const CHANNELS = [{ subscription: 'candles', timeframe: '1' }, { subscription: 'trades' }, { subscription: 'ticker' }, { subscription: 'orderbook' }];

const sockets: WebSocket[] = [];
let dropped = 0;

function urlFor(kind: ServerKind, port: number, symbol: string): string {
  const base = `ws://127.0.0.1:${port}`;
  if (kind === 'tickstream') return `${base}/api/v1/live/ws`;
  if (kind === 'python') return `${base}/ws/${symbol}`;
  return `${base}/socket.io/?EIO=4&transport=websocket&symbol=${symbol}`;
}

/**
 * Resolves with the number of refused subscriptions once the client is what a
 * real idle subscriber is: tickstream has answered all 4 subscribes, socket.io
 * has acknowledged the namespace connect, python has accepted the socket.
 * Snapshots (empty, as no feed runs) and other frames are ignored.
 */
function connectOne(kind: ServerKind, port: number, symbol: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // Offer permessage-deflate as browsers do; each server decides whether to accept it.
    const socket = new WebSocket(urlFor(kind, port, symbol), { perMessageDeflate: true });
    let ready = false;
    let answers = 0;
    let refused = 0;
    const timer = setTimeout(() => fail(new Error(`not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const done = () => {
      ready = true;
      clearTimeout(timer);
      sockets.push(socket);
      resolve(refused);
    };
    function fail(error: Error): void {
      clearTimeout(timer);
      socket.terminate();
      reject(error);
    }
    socket.on('error', (error) => (ready ? undefined : fail(error)));
    socket.on('close', (code) => (ready ? dropped++ : fail(new Error(`closed with ${code} before ready`))));
    socket.on('open', () => {
      if (kind === 'python') return done();
      if (kind !== 'tickstream') return;
      for (const channel of CHANNELS) socket.send(JSON.stringify({ type: 'subscribe', ...channel, symbol, limit: 1 }));
    });
    socket.on('message', (data) => {
      // ws hands every frame over as one Buffer (binaryType 'nodebuffer', the default).
      const text = (data as Buffer).toString('utf8');
      if (kind === 'socketio') {
        // engine.io: answer the server's pings or it drops the idle socket after pingTimeout.
        if (text === '2') socket.send('3');
        else if (text.startsWith('0')) socket.send('40');
        else if (text.startsWith('40') && !ready) done();
        return;
      }
      if (kind !== 'tickstream' || ready) return;
      const type = (JSON.parse(text) as { type?: string }).type;
      if (type === 'error') refused++;
      if ((type === 'subscribed' || type === 'error') && ++answers === CHANNELS.length) done();
    });
  });
}

async function grow(request: GrowRequest): Promise<GrowReply> {
  let failed = 0;
  let refused = 0;
  let firstError: string | undefined;
  // Batches bound the handshakes in flight: thousands at once would measure the accept queue, not idle memory.
  while (sockets.length + failed < request.total) {
    const batch = Math.min(BATCH, request.total - sockets.length - failed);
    const start = sockets.length + failed;
    const outcomes = await Promise.allSettled(
      Array.from({ length: batch }, (_, i) => connectOne(request.kind, request.port, SYMBOLS[(start + i) % SYMBOLS.length]!)),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') refused += outcome.value;
      else {
        failed++;
        firstError ??= String(outcome.reason);
      }
    }
  }
  return { open: sockets.length, failed, refused, dropped, ...(firstError === undefined ? {} : { firstError }) };
}

if (process.send) {
  process.on('message', (request: GrowRequest) => {
    void grow(request).then((reply) => process.send!(reply));
  });
  // The parent went away: nothing left to hold the sockets for.
  process.on('disconnect', () => process.exit(0));
}
