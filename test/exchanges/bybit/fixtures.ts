/**
 * Reads the recorded Bybit frames in test/fixtures/bybit (see its README.md
 * for where each line comes from). Line numbers are 1-based, as in the README.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDataFrame, type BybitDataFrame, type BybitKlineRow, type BybitOrderBookData, type BybitTickerData, type BybitTradeRow } from '../../../src/exchanges/bybit/bybit-frames.js';

const FIXTURES = new URL('../../fixtures/bybit/', import.meta.url);

export const FIXTURE_FILES = [
  'control_frames.jsonl',
  'kline.jsonl',
  'orderbook_linear.jsonl',
  'orderbook_spot.jsonl',
  'publicTrade_inverse.jsonl',
  'publicTrade_linear.jsonl',
  'publicTrade_spot.jsonl',
  'tickers_inverse.jsonl',
  'tickers_linear.jsonl',
  'tickers_spot.jsonl',
  'unattributed_real.jsonl',
] as const;
export type FixtureFile = (typeof FIXTURE_FILES)[number];

/** Every message of a file, JSON-parsed, in file order. */
export function readFrames(file: FixtureFile): unknown[] {
  return readFileSync(new URL(file, FIXTURES), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

/** The raw message on a 1-based line. */
export function rawLine(file: FixtureFile, line: number): unknown {
  const frames = readFrames(file);
  assert.ok(line >= 1 && line <= frames.length, `${file} has no line ${line}`);
  return frames[line - 1];
}

function parsed(file: FixtureFile, line: number) {
  const result = parseDataFrame(rawLine(file, line));
  assert.ok(result.ok, `${file}:${line} did not parse: ${result.ok ? '' : result.reason}`);
  return result;
}

export function klineFrame(file: FixtureFile, line: number): BybitDataFrame<BybitKlineRow[]> {
  const result = parsed(file, line);
  assert.equal(result.stream, 'kline');
  return result.frame;
}

export function tradeFrame(file: FixtureFile, line: number): BybitDataFrame<BybitTradeRow[]> {
  const result = parsed(file, line);
  assert.equal(result.stream, 'publicTrade');
  return result.frame;
}

export function tickerFrame(file: FixtureFile, line: number): BybitDataFrame<BybitTickerData> {
  const result = parsed(file, line);
  assert.equal(result.stream, 'tickers');
  return result.frame;
}

export function bookFrame(file: FixtureFile, line: number): BybitDataFrame<BybitOrderBookData> {
  const result = parsed(file, line);
  assert.equal(result.stream, 'orderbook');
  return result.frame;
}
