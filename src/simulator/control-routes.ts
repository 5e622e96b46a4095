/**
 * The test-control surface over HTTP, so a worker running in another process
 * can be tested against injected faults: `POST /__simulator/faults` with
 * `{"action": "<method name>", ...arguments}` and `GET /__simulator/state`
 * for the counters. Action names are the fault methods of BybitSimulator.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Category } from '../schemas/index.js';

/** The fault API of the simulator (BybitSimulator implements it). */
export interface FaultControls {
  dropConnections(): number;
  stallData(durationMs?: number): void;
  resumeData(): void;
  stopPongs(): void;
  resumePongs(): void;
  skipOrderBookUpdate(symbol: string, category?: Category): number;
  resetOrderBook(symbol: string, category?: Category): number;
  crossOrderBook(symbol: string, category?: Category): number;
  rejectSubscriptions(pattern: string | RegExp): void;
  clearSubscriptionRejections(): void;
  refuseConnections(refuse?: boolean): void;
  failRest(fail?: boolean): void;
  sendRaw(text: string, category?: Category): number;
  pause(): void;
  resume(): void;
}

export const FAULT_ACTIONS = [
  'dropConnections',
  'stallData',
  'resumeData',
  'stopPongs',
  'resumePongs',
  'skipOrderBookUpdate',
  'resetOrderBook',
  'crossOrderBook',
  'rejectSubscriptions',
  'clearSubscriptionRejections',
  'refuseConnections',
  'failRest',
  'sendRaw',
  'pause',
  'resume',
] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

export interface ControlResponse {
  readonly status: number;
  readonly body: unknown;
}

class BadRequest extends Error {}

function str(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw new BadRequest(`"${name}" must be a non-empty string`);
  return value;
}

function optionalCategory(body: Record<string, unknown>): Category | undefined {
  const value = body['category'];
  if (value === undefined || value === null) return undefined;
  if (value !== 'linear' && value !== 'spot') throw new BadRequest('"category" must be "linear" or "spot"');
  return value;
}

function run(controls: FaultControls, action: FaultAction, body: Record<string, unknown>): unknown {
  switch (action) {
    case 'dropConnections':
      return { dropped: controls.dropConnections() };
    case 'stallData': {
      const duration = body['durationMs'];
      if (duration !== undefined && (typeof duration !== 'number' || duration < 0)) throw new BadRequest('"durationMs" must be a number');
      controls.stallData(duration);
      return {};
    }
    case 'resumeData':
      return controls.resumeData();
    case 'stopPongs':
      return controls.stopPongs();
    case 'resumePongs':
      return controls.resumePongs();
    case 'skipOrderBookUpdate':
      return { books: controls.skipOrderBookUpdate(str(body, 'symbol'), optionalCategory(body)) };
    case 'resetOrderBook':
      return { books: controls.resetOrderBook(str(body, 'symbol'), optionalCategory(body)) };
    case 'crossOrderBook':
      return { books: controls.crossOrderBook(str(body, 'symbol'), optionalCategory(body)) };
    case 'rejectSubscriptions': {
      const regex = body['regex'];
      if (typeof regex === 'string' && regex !== '') controls.rejectSubscriptions(new RegExp(regex));
      else controls.rejectSubscriptions(str(body, 'prefix'));
      return {};
    }
    case 'clearSubscriptionRejections':
      return controls.clearSubscriptionRejections();
    case 'refuseConnections': {
      const refuse = body['refuse'];
      if (refuse !== undefined && typeof refuse !== 'boolean') throw new BadRequest('"refuse" must be a boolean');
      return controls.refuseConnections(refuse ?? true);
    }
    case 'failRest': {
      const fail = body['fail'];
      if (fail !== undefined && typeof fail !== 'boolean') throw new BadRequest('"fail" must be a boolean');
      return controls.failRest(fail ?? true);
    }
    case 'sendRaw': {
      const text = body['text'];
      if (typeof text !== 'string') throw new BadRequest('"text" must be a string');
      return { sent: controls.sendRaw(text, optionalCategory(body)) };
    }
    case 'pause':
      return controls.pause();
    case 'resume':
      return controls.resume();
  }
}

/** Runs one fault action from a JSON body; 400 with a reason when the body is wrong. */
export function handleFaultRequest(controls: FaultControls, bodyText: string): ControlResponse {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return { status: 400, body: { ok: false, error: 'body must be JSON' } };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 400, body: { ok: false, error: 'body must be an object' } };
  const record = body as Record<string, unknown>;
  const action = record['action'];
  if (typeof action !== 'string' || !(FAULT_ACTIONS as readonly string[]).includes(action)) {
    return { status: 400, body: { ok: false, error: `unknown action; one of ${FAULT_ACTIONS.join(', ')}` } };
  }
  try {
    const result = run(controls, action as FaultAction, record) ?? {};
    return { status: 200, body: { ok: true, action, ...result } };
  } catch (error) {
    if (error instanceof BadRequest || error instanceof SyntaxError) return { status: 400, body: { ok: false, error: error.message } };
    throw error;
  }
}

/** A fault request's body is read up to this size; a larger one is answered 413. */
const MAX_CONTROL_BODY_BYTES = 1 << 20;

/** Reads a `POST /__simulator/faults` body (bounded), runs it, and answers through `send`. */
export function handleFaultPost(controls: FaultControls, request: IncomingMessage, send: (status: number, body: unknown) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_CONTROL_BODY_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    if (size > MAX_CONTROL_BODY_BYTES) return send(413, { ok: false, error: 'body too large' });
    const result = handleFaultRequest(controls, Buffer.concat(chunks).toString('utf8'));
    send(result.status, result.body);
  });
}
