/**
 * Recognises Bybit's control frames (pongs and acks) among everything a public
 * socket sends. Shapes differ by endpoint (docs/bybit-v5-protocol.md §1.2,
 * §1.4): spot and linear pongs echo `"op":"ping"` with `ret_msg:"pong"`,
 * option pongs say `"op":"pong"`; spot acks say `ret_msg:"subscribe"`, linear
 * acks say `ret_msg:""`. Never dispatch on `op` alone.
 * @module
 */

export type InboundFrame =
  | { readonly kind: 'data'; readonly topic: string; readonly frame: Record<string, unknown> }
  | { readonly kind: 'pong' }
  | {
      readonly kind: 'ack';
      /** 'subscribe', 'unsubscribe', or whatever op Bybit echoes. */
      readonly op: string;
      readonly success: boolean;
      readonly reqId: string | undefined;
      readonly retMsg: string;
    }
  | { readonly kind: 'other'; readonly frame: Record<string, unknown> };

export function classifyInbound(value: unknown): InboundFrame | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const frame = value as Record<string, unknown>;
  if (typeof frame.topic === 'string' && 'data' in frame) return { kind: 'data', topic: frame.topic, frame };
  if (frame.ret_msg === 'pong' || frame.op === 'pong') return { kind: 'pong' };
  if (typeof frame.success === 'boolean') {
    return {
      kind: 'ack',
      op: typeof frame.op === 'string' ? frame.op : '',
      success: frame.success,
      reqId: typeof frame.req_id === 'string' && frame.req_id !== '' ? frame.req_id : undefined,
      retMsg: typeof frame.ret_msg === 'string' ? frame.ret_msg : '',
    };
  }
  return { kind: 'other', frame };
}

/**
 * The topic a failed request names, if any: `error:handler not found,topic:X`,
 * `error:already subscribed,topic:X`, or the older `Invalid symbol :[X]`.
 */
export function topicNamedInError(retMsg: string): string | undefined {
  const topicMatch = /topic:([^\s,\]]+)/.exec(retMsg);
  if (topicMatch) return topicMatch[1];
  const symbolMatch = /Invalid symbol :\[([^\]]+)\]/.exec(retMsg);
  return symbolMatch?.[1];
}

export function isAlreadySubscribed(retMsg: string): boolean {
  return retMsg.includes('already subscribed');
}

/** A failure that condemns the topic itself (unknown topic or symbol), not the moment. */
export function isTopicVerdict(retMsg: string): boolean {
  return /handler not found|invalid symbol|invalid topic/i.test(retMsg);
}
