/**
 * What a client can be told went wrong: stable error codes (in
 * `{"type":"error","code":…}` messages) and the close codes used when a socket
 * cannot go on. Documented in docs/client-protocol.md; a test keeps them in step.
 * @module
 */
import type { WebSocketError } from '../schemas/index.js';

export const CLIENT_ERROR_CODES = {
  INVALID_MESSAGE: 'not JSON, or not a valid subscribe/unsubscribe message',
  MESSAGE_TOO_LARGE: 'a message over MAX_INBOUND_MESSAGE_BYTES; the socket is then closed with 1009',
  UNKNOWN_SUBSCRIPTION: 'the subscription type is not candles, trades, ticker or orderbook (on /ws the message schema refuses it first: INVALID_MESSAGE)',
  INVALID_SYMBOL: 'the symbol is not a well-formed exchange symbol',
  UNKNOWN_SYMBOL: 'no channel is served for this symbol (and the exchange does not list it, or client-requested symbols are off)',
  SYMBOL_LIMIT: 'the symbol exists but is not streamed, and MAX_DYNAMIC_SYMBOLS client-requested symbols already are; retry later',
  UNKNOWN_TIMEFRAME: 'the timeframe is not served (or missing for candles)',
  INVALID_PARAMETER: 'a query parameter (limit, since) is out of range',
  TOO_MANY_SUBSCRIPTIONS: 'the connection already holds MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions',
  NOT_SUBSCRIBED: 'unsubscribe from a channel this connection is not subscribed to',
  UNAVAILABLE: 'the bus could not serve the request (e.g. Redis down); retry later',
  RATE_LIMITED: 'more than INBOUND_MESSAGES_PER_SECOND messages; the message was dropped (persisting closes with 4429)',
  UNAUTHORIZED: 'the token expired; the socket is then closed with 4401 (a missing or bad token is refused with HTTP 401 before the upgrade)',
} as const;
export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

/** Close codes beyond the standard ones (1000 normal, 1001 going away, 1009 too big, 1011 internal). */
export const CLOSE_CODES = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  /** A path endpoint whose channel could not be served (the bus is down): reconnect with `since`. */
  TRY_AGAIN_LATER: 1013,
  /** The token expired while the socket was open. */
  UNAUTHORIZED: 4401,
  /** A path endpoint whose request cannot be served (unknown symbol or timeframe, bad parameter). */
  BAD_REQUEST: 4400,
  /** The client did not read fast enough: its send buffer passed MAX_SEND_BUFFER_BYTES. */
  SLOW_CONSUMER: 4409,
  /** The client kept sending faster than INBOUND_MESSAGES_PER_SECOND. */
  RATE_LIMITED: 4429,
} as const;

export function clientError(code: ClientErrorCode, message: string, channel?: string): WebSocketError {
  return { type: 'error', code, message, ...(channel ? { channel } : {}) };
}
