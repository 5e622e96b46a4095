/** A TCP pass-through for review tests: lets one client's link to Redis stop answering while Redis itself is fine. */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** A loopback TCP pass-through to `port` whose traffic can be held (both directions) and released. */
export class HoldingProxy {
  private held = false;
  private readonly pairs = new Set<[Socket, Socket]>();
  private constructor(private readonly server: Server) {}

  static async start(targetPort: number): Promise<HoldingProxy> {
    const server = createServer();
    const proxy = new HoldingProxy(server);
    server.on('connection', (client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      const pair: [Socket, Socket] = [client, upstream];
      proxy.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const close = () => {
        proxy.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      if (proxy.held) for (const socket of pair) socket.pause();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return `redis://127.0.0.1:${address.port}`;
  }

  hold(): void {
    this.held = true;
    for (const pair of this.pairs) for (const socket of pair) socket.pause();
  }

  /** Requests still reach the target (and are executed); its replies are held until `release`. */
  holdReplies(): void {
    for (const [, upstream] of this.pairs) upstream.pause();
  }

  release(): void {
    this.held = false;
    for (const pair of this.pairs) for (const socket of pair) socket.resume();
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) for (const socket of pair) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

