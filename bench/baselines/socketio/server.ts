/**
 * Socket.IO baseline (a benchmark fixture, not part of the product): what a
 * Node user would write from the Socket.IO and @socket.io/redis-adapter docs.
 *
 *   PORT=8092 REDIS_URL=redis://127.0.0.1:6379 npx tsx bench/baselines/socketio/server.ts
 *
 * A client connects to ws://HOST:PORT/socket.io/?EIO=4&transport=websocket&symbol=BTCUSDT
 * and is joined to the room "BTCUSDT". The first client of a symbol makes the
 * server subscribe (once, for the life of the process) to that symbol's four
 * Redis Pub/Sub channels; each message is emitted to the room as event "m"
 * with the payload text as its one argument, through the Redis adapter
 * (io.to(room).emit), as a multi-node deployment would. See README.md beside
 * this file for the wire format.
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';

interface ServerToClientEvents {
  m: (payload: string) => void;
}
type ClientToServerEvents = Record<string, never>;

const port = Number(process.env.PORT ?? 8092);
const host = process.env.HOST ?? '127.0.0.1';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SYMBOL = /^[A-Z0-9]{1,32}$/;

// The adapter's own pair of clients, as in its README.
const pubClient = createClient({ url: redisUrl });
const subClient = pubClient.duplicate();
// A third connection for the market-data channels (a client in subscriber mode
// can issue nothing but (un)subscribe commands).
const feedClient = pubClient.duplicate();
for (const [name, client] of [['pub', pubClient], ['sub', subClient], ['feed', feedClient]] as const) {
  client.on('error', (error: unknown) => console.error(`redis ${name} client error:`, error));
}
await Promise.all([pubClient.connect(), subClient.connect(), feedClient.connect()]);

const httpServer = createServer();
const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, {
  adapter: createAdapter(pubClient, subClient),
  transports: ['websocket'],
});

const subscribed = new Set<string>();

function subscribe(symbol: string): void {
  if (subscribed.has(symbol)) return;
  subscribed.add(symbol);
  const channels = [`candles:${symbol}:1`, `trades:${symbol}`, `ticker:${symbol}`, `orderbook:${symbol}`];
  feedClient
    .subscribe(channels, (message) => {
      io.to(symbol).emit('m', message);
    })
    .catch((error: unknown) => {
      subscribed.delete(symbol);
      console.error(`subscribe ${symbol} failed:`, error);
    });
}

io.use((socket, next) => {
  const { symbol } = socket.handshake.query;
  if (typeof symbol !== 'string' || !SYMBOL.test(symbol)) return next(new Error('invalid symbol'));
  next();
});

io.on('connection', (socket) => {
  const symbol = socket.handshake.query.symbol as string; // checked by the middleware above
  void socket.join(symbol);
  subscribe(symbol);
});

httpServer.listen(port, host, () => {
  console.log(`socket.io baseline listening on ws://${host}:${port}/socket.io/ (redis ${redisUrl})`);
});

function shutdown(): void {
  void io.close().then(async () => {
    await Promise.allSettled([feedClient.close(), subClient.close(), pubClient.close()]);
    process.exit(0);
  });
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
