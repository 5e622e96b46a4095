/**
 * Redis replies are checked, not trusted: a foreign writer under our prefix
 * must not turn into a wrong type further in. Every failure is a
 * BusUnavailableError, like any other transport fault.
 * @module
 */
import { BusUnavailableError } from './market-bus.js';

export function parseSeq(reply: unknown): number {
  if (reply === null || reply === undefined) return 0;
  const seq = typeof reply === 'string' ? Number(reply) : NaN;
  if (!Number.isSafeInteger(seq) || seq < 0) throw new BusUnavailableError(`corrupt seq in Redis: ${JSON.stringify(reply)}`);
  return seq;
}

export function asStrings(reply: unknown): string[] {
  if (!Array.isArray(reply) || !reply.every((item) => typeof item === 'string')) {
    throw new BusUnavailableError('unexpected Redis reply: expected a list of strings');
  }
  return reply;
}

export function parseEach<T>(reply: unknown): T[] {
  return asStrings(reply).map((json) => JSON.parse(json) as T);
}

export function parseOrNull<T>(reply: unknown): T | null {
  if (reply === null || reply === undefined) return null;
  if (typeof reply !== 'string') throw new BusUnavailableError('unexpected Redis reply: expected a string');
  return JSON.parse(reply) as T;
}
