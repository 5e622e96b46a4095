/**
 * The fan-out fast path (frame-writer.ts) against a real `ws` client over a
 * real socket: pre-framed bytes of every length class decode as the same text
 * messages, and writes batched in one turn interleave in call order with what
 * `ws.send` writes to the same socket.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { framedOnce, textFrame, TurnBatcher } from '../../src/gateway/frame-writer.js';

async function serverWithClient(): Promise<{ ws: WebSocket; socket: Duplex; client: WebSocket; received: string[]; close: () => Promise<void> }> {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const accepted = new Promise<{ ws: WebSocket; socket: Duplex }>((resolve) => {
    http.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => resolve({ ws, socket })));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as { port: number };
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const received: string[] = [];
  client.on('message', (data, isBinary) => received.push(`${isBinary ? 'binary' : 'text'}:${(data as Buffer).toString()}`));
  await new Promise((resolve) => client.once('open', resolve));
  const { ws, socket } = await accepted;
  const close = async () => {
    client.terminate();
    ws.terminate();
    await new Promise((resolve) => http.close(resolve));
  };
  return { ws, socket, client, received, close };
}

const waitForCount = async (received: string[], count: number) => {
  const deadline = Date.now() + 5_000;
  while (received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('frame writer', () => {
  it('frames payloads of 0, 125, 126, 65535 and 65536+ bytes as text frames a ws client decodes unchanged', async (t) => {
    const { socket, received, close } = await serverWithClient();
    t.after(close);
    const payloads = [0, 5, 125, 126, 1000, 65_535, 65_536, 200_000].map((length) => 'x'.repeat(length).replace(/^x/, '{'));
    const batcher = new TurnBatcher();
    for (const payload of payloads) batcher.write(socket, textFrame(Buffer.from(payload)));
    await waitForCount(received, payloads.length);
    assert.deepEqual(
      received,
      payloads.map((payload) => `text:${payload}`),
    );
  });

  it('keeps call order between batched frames and ws.send on the same socket, and flushes after the turn', async (t) => {
    const { ws, socket, received, close } = await serverWithClient();
    t.after(close);
    const flushes: number[] = [];
    const batcher = new TurnBatcher(0, (sockets) => flushes.push(sockets));
    batcher.write(socket, framedOnce(Buffer.from('{"n":1}')));
    ws.send('{"n":2}');
    batcher.write(socket, framedOnce(Buffer.from('{"n":3}')));
    assert.equal(socket.writableCorked, 1, 'held until the turn ends');
    await waitForCount(received, 3);
    assert.equal(socket.writableCorked, 0);
    assert.deepEqual(received, ['text:{"n":1}', 'text:{"n":2}', 'text:{"n":3}']);
    assert.deepEqual(flushes, [1], 'one socket written once for the turn');
  });

  it('with a flush window, holds the writes of a socket for that long, then sends them together in order', async (t) => {
    const { socket, received, close } = await serverWithClient();
    t.after(close);
    const batcher = new TurnBatcher(60);
    const startedAt = Date.now();
    batcher.write(socket, framedOnce(Buffer.from('{"n":1}')));
    await new Promise((resolve) => setImmediate(resolve));
    batcher.write(socket, framedOnce(Buffer.from('{"n":2}')));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(socket.writableCorked, 1, 'still held after the turn');
    assert.deepEqual(received, []);
    await waitForCount(received, 2);
    assert.ok(Date.now() - startedAt >= 55, `flushed after the window (${Date.now() - startedAt} ms)`);
    assert.deepEqual(received, ['text:{"n":1}', 'text:{"n":2}']);
  });

  it('frames a shared payload once, whatever the number of clients', () => {
    const payload = Buffer.from('{"type":"update"}');
    const first = framedOnce(payload);
    assert.equal(framedOnce(payload), first, 'the same bytes for the next client');
    assert.notEqual(framedOnce(Buffer.from('{"type":"update"}')), first, 'another message is framed anew');
  });
});
