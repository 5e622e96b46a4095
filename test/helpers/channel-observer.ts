/**
 * An independent Redis subscriber (its own node-redis client, no tickstream
 * code on the read path) that records every message on every channel, as a
 * gateway or an external consumer would see them.
 */
import { createClient } from 'redis';
import type { MarketUpdate, StatusMessage } from '../../src/schemas/index.js';

export interface ObservedMessage {
  readonly channel: string;
  readonly raw: string;
  readonly message: MarketUpdate | StatusMessage;
}

export class ChannelObserver {
  readonly messages: ObservedMessage[] = [];
  private constructor(private readonly client: ReturnType<typeof createClient>) {}

  static async start(url: string, prefix = ''): Promise<ChannelObserver> {
    const client = createClient({ url, socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 500) } });
    client.on('error', () => undefined);
    await client.connect();
    const observer = new ChannelObserver(client);
    const patterns = ['candles:*', 'trades:*', 'ticker:*', 'orderbook:*', 'status'].map((p) => `${prefix}${p}`);
    await client.pSubscribe(patterns, (raw, channel) => {
      observer.messages.push({ channel: channel.slice(prefix.length), raw, message: JSON.parse(raw) as MarketUpdate | StatusMessage });
    });
    return observer;
  }

  on(channel: string): MarketUpdate[] {
    return this.messages.filter((m) => m.channel === channel).map((m) => m.message as MarketUpdate);
  }

  statuses(): StatusMessage[] {
    return this.messages.filter((m) => m.channel === 'status').map((m) => m.message as StatusMessage);
  }

  async close(): Promise<void> {
    if (!this.client.isReady) {
      // Redis gone: QUIT would wait for a reconnect that may never come.
      this.client.destroy();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      // Redis already gone: drop the socket and the reconnect timer.
      try {
        this.client.destroy();
      } catch {
        /* already closed */
      }
    }
  }
}
