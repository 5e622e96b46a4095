/**
 * permessage-deflate (RFC 7692) compressed once per message, not once per
 * socket.
 *
 * `ws` compresses every message separately for every client that negotiated
 * the extension: about 5x the CPU of a plain send, and a zlib stream (~240 KB)
 * per connection. The gateway instead negotiates `server_no_context_takeover`,
 * so each message is compressed on its own, with no history: the compressed
 * bytes of one message are then the same for every client (for one window
 * size), and one compressed frame is built per bus message and shared, exactly
 * like the plain frame (frame-writer.ts). `ws` itself is never asked to
 * compress, so its sender never goes asynchronous and frames written around it
 * stay in call order.
 * @module
 */
import { constants, deflateRawSync } from 'node:zlib';
import { memoized, type WeakMemo } from '../shared/weak-memo.js';
import { framedOnce, textFrame } from './frame-writer.js';

/** Below this a message is sent uncompressed (allowed on a deflate connection): too small to gain. */
export const DEFLATE_MIN_BYTES = 128;

/**
 * Smallest server window this gateway compresses for: zlib raises a raw deflate's 8 to 9, which a client
 * that asked for 8 could not read; such a client gets uncompressed frames.
 */
const MIN_WINDOW_BITS = 9;

/** What a client negotiated, as far as the gateway's frames care. */
export type DeflateMode = { readonly compress: false } | { readonly compress: true; readonly windowBits: number };

/**
 * Reads the negotiated `Sec-WebSocket-Extensions` value (`ws`'s `extensions`). Compressed frames only where
 * the server keeps no context between messages; anything else (no extension, or an unexpected negotiation)
 * gets plain frames, which every client accepts.
 */
export function deflateMode(negotiated: string): DeflateMode {
  for (const extension of negotiated.split(',')) {
    const [name, ...params] = extension.split(';').map((part) => part.trim());
    if (name !== 'permessage-deflate') continue;
    let noContextTakeover = false;
    let windowBits = 15;
    for (const param of params) {
      const [key, value] = param.split('=').map((part) => part.trim().replace(/^"|"$/g, ''));
      if (key === 'server_no_context_takeover') noContextTakeover = true;
      else if (key === 'server_max_window_bits' && value !== undefined) windowBits = Number(value);
    }
    if (!noContextTakeover || !Number.isInteger(windowBits) || windowBits < MIN_WINDOW_BITS || windowBits > 15) return { compress: false };
    return { compress: true, windowBits };
  }
  return { compress: false };
}

/** One message compressed on its own, framed as a text message with RSV1 set (RFC 7692 §6.1). */
export function deflatedTextFrame(payload: Buffer, windowBits: number): Buffer {
  const compressed = deflateRawSync(payload, { windowBits, finishFlush: constants.Z_SYNC_FLUSH });
  // A sync flush ends in 00 00 ff ff, which the sender removes and the receiver appends again (§7.2.1).
  const frame = textFrame(compressed.subarray(0, compressed.length - 4));
  frame[0] = 0xc1; // FIN, RSV1 (compressed), opcode 1 (text)
  return frame;
}

/** Compressed frames per payload Buffer and window size, built by the first client that needs one and shared by the rest. */
const deflatedFrames: WeakMemo<Buffer, number, Buffer> = new WeakMap();

/** The frame a deflate client gets for this payload: compressed once per window size, or plain when too small. */
export function deflatedFrameOnce(payload: Buffer, windowBits: number): Buffer {
  if (payload.length < DEFLATE_MIN_BYTES) return framedOnce(payload);
  return memoized(deflatedFrames, payload, windowBits, () => deflatedTextFrame(payload, windowBits));
}
