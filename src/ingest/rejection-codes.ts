/**
 * Every reason the worker refuses an input, in one catalog. Each code is
 * counted (status line, final stats) and documented in the README; a test
 * keeps the two in step.
 * @module
 */
export const REJECTION_CODES = {
  SCHEMA_VIOLATION: 'a field is missing, mistyped or out of range; the log names the path',
  CANDLE_OHLC_INCONSISTENT: 'high below open, close or low, or low above open or close',
  BOOK_NOT_SORTED: 'a book side out of price order',
  BOOK_CROSSED: 'best bid at or above best ask; the book is resynced',
  BOOK_GAP: 'a delta whose u is not the previous u + 1; the book is resynced',
  BOOK_INVALID_LEVEL: 'a level that is not [decimal price, decimal size]; the book is resynced',
  MALFORMED_FRAME: 'not JSON, not an object, or not a well-formed Bybit data frame',
  TICKER_DELTA_BEFORE_SNAPSHOT: 'a ticker delta with no snapshot to merge onto (dropped, as Bybit advises)',
  TOPIC_REJECTED: 'Bybit refused a subscription (e.g. handler not found); not retried',
  FRAME_PROCESSING_FAILED: 'a frame that passed the checks but broke its handler; the worker carries on',
} as const;

export type RejectionCode = keyof typeof REJECTION_CODES;
