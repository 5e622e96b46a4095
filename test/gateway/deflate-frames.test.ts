/**
 * Shared permessage-deflate frames (deflate-frames.ts): what the negotiation
 * allows, that a message is compressed once per window size, and that a real
 * `ws` client that negotiated deflate reads the shared frames (every length
 * class, small ones left plain) in call order with what `ws` writes itself.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { constants, inflateRawSync } from 'node:zlib';
import WebSocket, { WebSocketServer } from 'ws';
import { DEFLATE_MIN_BYTES, deflatedFrameOnce, deflatedTextFrame, deflateMode } from '../../src/gateway/deflate-frames.js';
import { framedOnce, TurnBatcher } from '../../src/gateway/frame-writer.js';

/** The payload of a server frame of up to 65535 bytes (2- or 4-byte header, unmasked). */
function framePayload(frame: Buffer): Buffer {
  return frame[1]! < 126 ? frame.subarray(2) : frame.subarray(4);
}

describe('shared deflate frames', () => {
  it('compresses only where the server keeps no context, with a window zlib can honour', () => {
    assert.deepEqual(deflateMode(''), { compress: false });
    assert.deepEqual(deflateMode('permessage-deflate'), { compress: false }, 'context takeover: every socket would need its own stream');
    assert.deepEqual(deflateMode('permessage-deflate; server_no_context_takeover'), { compress: true, windowBits: 15 });
    assert.deepEqual(deflateMode('permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=15'), { compress: true, windowBits: 10 });
    assert.deepEqual(deflateMode('permessage-deflate; server_max_window_bits="12"; server_no_context_takeover'), { compress: true, windowBits: 12 });
    assert.deepEqual(deflateMode('permessage-deflate; server_no_context_takeover; server_max_window_bits=8'), { compress: false });
    assert.deepEqual(deflateMode('x-other, permessage-deflate; server_no_context_takeover'), { compress: true, windowBits: 15 });
  });

  it('compresses a payload once per window size; the frame is a compressed text frame that inflates to it', () => {
    const payload = Buffer.from(JSON.stringify({ type: 'update', channel: 'orderbook:BTCUSDT', bids: Array.from({ length: 40 }, (_, i) => [`${61000 + i}.5`, '1.25']) }));
    const frame = deflatedFrameOnce(payload, 15);
    assert.equal(deflatedFrameOnce(payload, 15), frame, 'the same Buffer for the next client');
    assert.notEqual(deflatedFrameOnce(payload, 10), frame, 'another window size, another compression');
    assert.equal(frame[0], 0xc1, 'FIN, RSV1, text');
    const compressed = framePayload(frame);
    assert.ok(compressed.length < payload.length / 2, `${payload.length} bytes compressed to ${compressed.length}`);
    assert.deepEqual(inflateRawSync(Buffer.concat([compressed, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH }), payload);

    const small = Buffer.from('{"type":"heartbeat","timestamp":"2026-12-04T00:00:00.000Z"}');
    assert.ok(small.length < DEFLATE_MIN_BYTES);
    assert.equal(deflatedFrameOnce(small, 15), framedOnce(small), 'too small to gain: the plain shared frame');
  });

  it('a ws client with permessage-deflate reads shared frames of every length class, in order with ws.send and pings', async (t) => {
    const http = createServer();
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: { serverNoContextTakeover: true } });
    let negotiated = '';
    wss.on('headers', (headers: string[]) => {
      negotiated = headers.find((header) => header.startsWith('Sec-WebSocket-Extensions:'))?.slice('Sec-WebSocket-Extensions:'.length).trim() ?? '';
    });
    const accepted = new Promise<{ ws: WebSocket; socket: Duplex }>((resolve) => {
      http.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => resolve({ ws, socket })));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as { port: number };
    const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: true });
    const received: string[] = [];
    let pings = 0;
    client.on('message', (data, isBinary) => received.push(`${isBinary ? 'binary' : 'text'}:${(data as Buffer).toString()}`));
    client.on('ping', () => pings++);
    await new Promise((resolve) => client.once('open', resolve));
    const { ws, socket } = await accepted;
    t.after(async () => {
      client.terminate();
      ws.terminate();
      await new Promise((resolve) => http.close(resolve));
    });
    const mode = deflateMode(negotiated);
    assert.ok(mode.compress, `negotiated: ${negotiated}`);

    const payloads = [5, 127, 128, 1000, 65_535, 70_000, 300_000].map((length) =>
      Buffer.from(`{"n":"${'ab'.repeat(Math.ceil(length / 2)).slice(0, Math.max(0, length - 8))}"}`),
    );
    const batcher = new TurnBatcher();
    batcher.write(socket, deflatedFrameOnce(payloads[0]!, mode.windowBits));
    ws.send('{"between":1}', { binary: false, compress: false });
    for (const payload of payloads.slice(1)) batcher.write(socket, deflatedFrameOnce(payload, mode.windowBits));
    ws.ping();
    batcher.write(socket, deflatedTextFrame(Buffer.from('{"last":true,"pad":"' + 'x'.repeat(200) + '"}'), mode.windowBits));
    const expected = [payloads[0]!.toString(), '{"between":1}', ...payloads.slice(1).map(String), '{"last":true,"pad":"' + 'x'.repeat(200) + '"}'];
    const deadline = Date.now() + 5_000;
    while (received.length < expected.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(received.map((message) => message.slice(0, 40)), expected.map((message) => `text:${message}`.slice(0, 40)));
    assert.deepEqual(received, expected.map((message) => `text:${message}`));
    assert.equal(pings, 1);
  });
});
