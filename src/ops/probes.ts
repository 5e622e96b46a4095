/**
 * The checks behind `up` and `status`, each one true evidence rather than a
 * PID file's word: Redis answers PING, a port accepts connections, a gateway
 * answers GET /api/v1/live/health. Every probe has a short deadline, so a
 * hung peer makes a check fail instead of hanging the command.
 * @module
 */
import { connect, createServer } from 'node:net';
import { createClient } from 'redis';

export type RedisPing =
  | { readonly ok: true }
  /** refused: nothing listens there, so `up` may start a redis-server on that port. */
  | { readonly ok: false; readonly refused: boolean; readonly error: string };

/** One PING on a fresh connection that never reconnects; resolves within about `timeoutMs`. */
export async function pingRedis(url: string, timeoutMs = 2_000): Promise<RedisPing> {
  const client = createClient({ url, socket: { connectTimeout: timeoutMs, reconnectStrategy: false } });
  // node-redis emits `error` besides rejecting connect(); an unheard `error` event would crash the process.
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect(), deadline]);
    const reply = await Promise.race([client.ping(), deadline]);
    return reply === 'PONG' ? { ok: true } : { ok: false, refused: false, error: `PING answered ${JSON.stringify(reply)}` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, refused: code === 'ECONNREFUSED', error: (error as Error).message };
  } finally {
    clearTimeout(timer);
    try {
      client.destroy();
    } catch {
      /* never connected: nothing to close */
    }
  }
}

/** Whether something accepts TCP connections at host:port. */
export function canConnect(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether this process could listen on host:port right now (checked by binding and closing at once). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the system has free right now (bind port 0, read it, close). */
export function anyFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (address !== null && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}

/** A live worker as the bus's worker registry lists it (the gateway's /health `workers`). */
export interface RegisteredWorker {
  readonly pid: number;
  readonly host: string;
  /** Its exchange link: connecting, live, disconnected, ... */
  readonly link: string;
  /** Symbols it streams (leases held); none for a standby worker. */
  readonly symbols: readonly string[];
}

export type GatewayProbe =
  | { readonly answered: false; readonly error: string }
  | {
      readonly answered: true;
      /** 200 (healthy or degraded) or 503 (unhealthy: its bus is down). */
      readonly httpStatus: number;
      readonly status: string;
      /** The gateway's view of its Redis connection (`connected`, `reconnecting`, ...). */
      readonly redis: string | undefined;
      /** The worker registry, when the gateway could read it (undefined: not reported). */
      readonly workers: readonly RegisteredWorker[] | undefined;
    };

/** GET /api/v1/live/health; any HTTP answer means the gateway is listening. */
export async function probeGateway(host: string, port: number, timeoutMs = 2_000): Promise<GatewayProbe> {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/api/v1/live/health`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json().catch(() => ({}))) as { status?: unknown; redis?: unknown; workers?: unknown };
    return {
      answered: true,
      httpStatus: response.status,
      status: typeof body.status === 'string' ? body.status : `HTTP ${response.status}`,
      redis: typeof body.redis === 'string' ? body.redis : undefined,
      // Only a gateway connected to Redis has read the registry; a 503 body's empty list means nothing.
      workers: response.status === 200 && Array.isArray(body.workers) ? body.workers.flatMap(readWorker) : undefined,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { answered: false, error: cause?.code ?? (error as Error).message };
  }
}

function readWorker(raw: unknown): RegisteredWorker[] {
  const worker = raw as { pid?: unknown; host?: unknown; link?: unknown; symbols?: unknown } | null;
  if (typeof worker?.pid !== 'number' || typeof worker.host !== 'string') return [];
  const symbols = Array.isArray(worker.symbols) ? worker.symbols.filter((s): s is string => typeof s === 'string') : [];
  return [{ pid: worker.pid, host: worker.host, link: typeof worker.link === 'string' ? worker.link : 'unknown', symbols }];
}

/** The address to probe a server bound to `host` at: a wildcard bind answers on loopback. */
export function probeHost(bindHost: string): string {
  return bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '' ? '127.0.0.1' : bindHost;
}
