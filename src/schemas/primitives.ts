/**
 * Building blocks for the message schemas: decimal strings, symbols, times.
 * @module
 */
import { Type } from '@sinclair/typebox';

/** 2020-01-01T00:00:00Z in ms: no market data tickstream carries is older. */
export const MIN_TIMESTAMP_MS = 1_577_836_800_000;

/**
 * A non-negative decimal exactly as the exchange sent it ("61029.90" stays
 * "61029.90"). Never parsed into a float on the way through.
 */
export const UnsignedDecimal = (description?: string) =>
  Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$', ...(description ? { description } : {}) });

/** A signed decimal string (e.g. a 24 h change or a funding rate). */
export const SignedDecimal = (description?: string) =>
  Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', ...(description ? { description } : {}) });

/** Exchange symbol, upper case as Bybit spells it (dated futures carry dashes: BTC-26DEC25). */
export const Symbol = Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{0,29}$', description: 'Upper-case exchange symbol' });

/** Epoch milliseconds, not before 2020-01-01. */
export const TimestampMs = (description?: string) =>
  Type.Integer({ minimum: MIN_TIMESTAMP_MS, ...(description ? { description } : {}) });

/** ISO-8601 UTC time with milliseconds, e.g. 2026-11-23T21:11:47.123Z. */
export const IsoTime = (description?: string) =>
  Type.String({
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$',
    ...(description ? { description } : {}),
  });

/** Per-channel sequence number: starts at 1, +1 per published message. */
export const ChannelSeq = Type.Integer({ minimum: 1, description: 'Per-channel message sequence number' });
