/**
 * Replies to client operations (pong, subscribe/unsubscribe acks, errors) in
 * the shape of each endpoint. Linear always carries `req_id` ("" when the
 * client sent none); spot only echoes it when sent and says
 * `ret_msg:"subscribe"` in acks. Bybit's Go encoder escapes <, > and & in
 * strings ("args size \u003e10"), so these frames do too.
 * @module
 */
import type { Category } from '../schemas/index.js';

export interface ReplyContext {
  readonly category: Category;
  readonly connId: string;
  /** The client's req_id, undefined when it sent none. */
  readonly reqId: string | undefined;
}

/** JSON.stringify with Go's HTML-safe escaping of <, > and &. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function envelope(context: ReplyContext, success: boolean, retMsg: string, op: string): string {
  const reqId =
    context.category === 'linear' || context.reqId !== undefined ? { req_id: context.reqId ?? '' } : {};
  return goJson({ success, ret_msg: retMsg, conn_id: context.connId, ...reqId, op });
}

export function pongReply(context: ReplyContext): string {
  return envelope(context, true, 'pong', 'ping');
}

/** One ack per subscribe/unsubscribe request. */
export function ackReply(context: ReplyContext, op: 'subscribe' | 'unsubscribe'): string {
  return envelope(context, true, context.category === 'spot' ? op : '', op);
}

export function errorReply(context: ReplyContext, op: string, retMsg: string): string {
  return envelope(context, false, retMsg, op);
}

/**
 * Bybit (jsoniter) wording for a frame it cannot decode into a request, e.g.
 * `readObjectStart: expect { or n, but found h, error found in #1 byte of ...|hello|..., bigger context ...|hello|...`.
 */
export function decodeErrorMessage(text: string): string {
  const trimmed = text.trimStart();
  const offset = text.length - trimmed.length + 1;
  const where = `error found in #${offset} byte of ...|${text.slice(0, 10)}|..., bigger context ...|${text.slice(0, 50)}|...`;
  if (!trimmed.startsWith('{')) {
    return `Failed to decode incoming data:readObjectStart: expect { or n, but found ${trimmed.charAt(0) || '\u0000'}, ${where}`;
  }
  const next = trimmed.slice(1).trimStart().charAt(0);
  if (next !== '"' && next !== '}') {
    return `Failed to decode incoming data:ReadObjectCB: expect " after {, but found ${next || '\u0000'}, ${where}`;
  }
  return `Failed to decode incoming data:ReadObjectCB: object not ended with }, ${where}`;
}
