/**
 * Smoke check of the Socket.IO baseline with raw `ws` clients, the way the
 * benchmark clients speak to it (no socket.io-client). Not part of `npm test`.
 *
 *   npx tsx bench/baselines/socketio/smoke.ts [--clients 3] [--quick] [--settle 2]
 *
 * Starts a private redis-server and the server (node --import tsx, so the
 * child's pid is the server's own) on free ports, connects N clients to
 * BTCUSDT speaking engine.io v4 / socket.io v5 over one WebSocket, publishes
 * on trades:BTCUSDT with node-redis and checks every client got the payload
 * unchanged as 42["m", payload]. Unless --quick, it then waits for the
 * server's first ping (pingInterval, 25 s by default), answers it with 3 and
 * checks a second message still arrives. Also checks that a connection with
 * no symbol is refused. Prints the server's VmRSS with 0 and N idle clients:
 * the median (min-max) of one sample a second over --settle seconds, taken
 * before any client connects and again once all N are connected, idle.
 * Exits 1 on any failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import WebSocket from 'ws';
import { freePort, TestRedisServer } from '../../../test/helpers/redis-server.js';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '3' }, quick: { type: 'boolean', default: false }, settle: { type: 'string', default: '2' } } });
const settleSeconds = Math.max(1, Number(values.settle));
const clientCount = Number(values.clients);
const SYMBOL = 'BTCUSDT';

interface OpenPacket {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

/** One raw WebSocket speaking engine.io v4 + socket.io v5 (main namespace only). */
class RawClient {
  readonly ws: WebSocket;
  readonly frames: string[] = [];
  readonly events: unknown[][] = [];
  open: OpenPacket | undefined;
  connectReply: string | undefined;
  pings = 0;
  closed = false;
  private waiters: (() => void)[] = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = isBinary ? `<binary ${data.length} bytes>` : data.toString('utf8');
      this.frames.push(frame);
      if (frame.startsWith('0')) {
        this.open = JSON.parse(frame.slice(1)) as OpenPacket;
        this.ws.send('40'); // socket.io CONNECT to the main namespace "/"
      } else if (frame === '2') {
        this.pings++;
        this.ws.send('3'); // engine.io pong
      } else if (frame.startsWith('40') || frame.startsWith('44')) {
        this.connectReply = frame;
      } else if (frame.startsWith('42')) {
        this.events.push(JSON.parse(frame.slice(2)) as unknown[]);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.ws.on('close', () => {
      this.closed = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.ws.on('error', (error) => console.error('client error:', error.message));
  }

  /** Resolves once `done()` holds, re-checked after every frame; rejects after `ms`. */
  async until(what: string, done: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

function vmRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  if (line === undefined) throw new Error('no VmRSS');
  return Number(line.split(/\s+/)[1]) / 1024;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** VmRSS sampled once a second for --settle seconds: "median MB (min-max)". */
async function settledRss(pid: number): Promise<string> {
  const samples: number[] = [];
  for (let i = 0; i < settleSeconds; i++) {
    await sleep(1000);
    samples.push(vmRssMb(pid));
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor((samples.length - 1) / 2)]!;
  return `${median.toFixed(1)} MB (${samples[0]!.toFixed(1)}-${samples.at(-1)!.toFixed(1)})`;
}


function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

async function startServer(port: number, redisUrl: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redisUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(`[server] ${chunk.toString()}`);
      if (chunk.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

const redis = await TestRedisServer.start();
const publisher = createClient({ url: redis.url });
publisher.on('error', (error: unknown) => console.error('publisher error:', error));
// Sees what the adapter publishes for other nodes: proves io.to(room).emit went through Redis.
const adapterWatcher = publisher.duplicate();
adapterWatcher.on('error', (error: unknown) => console.error('adapter watcher error:', error));
let adapterBroadcasts = 0;
let server: ChildProcess | undefined;
const clients: RawClient[] = [];
let failed = false;

try {
  await publisher.connect();
  await adapterWatcher.connect();
  await adapterWatcher.pSubscribe(
    'socket.io#/#*',
    (_message, channel) => {
      if (channel.toString() === `socket.io#/#${SYMBOL}#`) adapterBroadcasts++;
    },
    true,
  );
  const port = await freePort();
  server = await startServer(port, redis.url);
  const pid = server.pid!;
  const base = `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;

  const rss0 = await settledRss(pid);

  // Refused without a symbol: CONNECT_ERROR 44{"message":"invalid symbol"}.
  const bad = new RawClient(base);
  await bad.until('connect reply without symbol', () => bad.connectReply !== undefined, 5000);
  check(bad.connectReply === '44{"message":"invalid symbol"}', `no-symbol connection got ${bad.connectReply}`);
  bad.ws.close();

  for (let i = 0; i < clientCount; i++) clients.push(new RawClient(`${base}&symbol=${SYMBOL}`));
  await Promise.all(clients.map((c) => c.until('40{"sid":...}', () => c.connectReply !== undefined, 10_000)));
  for (const c of clients) {
    check(c.open !== undefined && c.open.upgrades.length === 0, `bad open packet: ${c.frames[0]}`);
    check(/^40\{"sid":"[^"]+"\}$/.test(c.connectReply!), `bad connect reply: ${c.connectReply}`);
  }
  console.log(`open packet: ${clients[0]!.frames[0]}`);
  console.log(`connect reply: ${clients[0]!.connectReply}`);

  // The server subscribes after the first client of the symbol connects.
  const deadline = Date.now() + 5000;
  while (((await publisher.pubSubNumSub(`trades:${SYMBOL}`))[`trades:${SYMBOL}`] ?? 0) < 1) {
    check(Date.now() < deadline, 'server did not subscribe to trades:BTCUSDT');
    await sleep(20);
  }
  const rssN = await settledRss(pid);

  async function publishAndCheck(seq: number): Promise<void> {
    // Quotes, a backslash, non-ASCII and an astral character: all must survive both JSON layers.
    const payload = JSON.stringify({
      type: 'update',
      channel: `trades:${SYMBOL}`,
      symbol: SYMBOL,
      seq,
      note: 'quote " backslash \\ é 😀',
      bench_t: Number(process.hrtime.bigint() / 1000n),
    });
    const before = clients.map((c) => c.events.length);
    const broadcastsBefore = adapterBroadcasts;
    const receivers = await publisher.publish(`trades:${SYMBOL}`, payload);
    check(receivers === 1, `publish reached ${receivers} subscribers, expected 1 (the server's feed client)`);
    await Promise.all(clients.map((c, i) => c.until(`event seq ${seq}`, () => c.events.length > before[i]!, 5000)));
    const expectedFrame = `42${JSON.stringify(['m', payload])}`;
    for (const c of clients) {
      const frame = c.frames.at(-1);
      check(frame === expectedFrame, `frame differs:\n  got      ${frame}\n  expected ${expectedFrame}`);
      const event = c.events.at(-1)!;
      check(event.length === 2 && event[0] === 'm' && event[1] === payload, `event differs: ${JSON.stringify(event)}`);
    }
    await sleep(200);
    check(adapterBroadcasts === broadcastsBefore + 1, `the adapter published ${adapterBroadcasts - broadcastsBefore} broadcasts to Redis, expected 1`);
    console.log(`seq ${seq}: all ${clients.length} clients got ${expectedFrame.slice(0, 60)}...`);
  }

  await publishAndCheck(1);

  if (!values.quick) {
    const interval = clients[0]!.open!.pingInterval;
    console.log(`waiting for the server's ping (pingInterval ${interval} ms)...`);
    await Promise.all(clients.map((c) => c.until('ping', () => c.pings > 0, interval + 5000)));
    await sleep(500);
    check(
      clients.every((c) => !c.closed),
      'a client was closed after its ping',
    );
    console.log('every client got ping "2" and answered "3"');
    await publishAndCheck(2);
  }

  console.log(`server pid ${pid} VmRSS over ${settleSeconds} s: ${rss0} with 0 clients, ${rssN} with ${clientCount} idle clients`);
  console.log('socket.io baseline smoke: OK');
} catch (error) {
  failed = true;
  console.error('socket.io baseline smoke: FAILED:', error instanceof Error ? error.message : error);
} finally {
  for (const c of clients) c.ws.terminate();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  await adapterWatcher.close().catch(() => undefined);
  await publisher.close().catch(() => undefined);
  await redis.stop();
}
process.exit(failed ? 1 : 0);
