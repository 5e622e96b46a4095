import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDataFrame } from '../../../src/exchanges/bybit/bybit-frames.js';
import { FIXTURE_FILES, rawLine, readFrames } from './fixtures.js';

/** A deep copy of a frame with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, inner]) => [key, reverseKeys(inner)]));
  }
  return value;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function reasonOf(value: unknown): string {
  const result = parseDataFrame(value);
  assert.equal(result.ok, false, 'expected a parse failure');
  return result.ok ? '' : result.reason;
}

void describe('parseDataFrame on recorded frames', () => {
  void it('accepts every recorded data frame and rejects every control frame', () => {
    let data = 0;
    let control = 0;
    for (const file of FIXTURE_FILES) {
      for (const frame of readFrames(file)) {
        const result = parseDataFrame(frame);
        if (typeof (frame as { topic?: unknown }).topic === 'string') {
          assert.ok(result.ok, `${file}: ${JSON.stringify(frame).slice(0, 80)}: ${result.ok ? '' : result.reason}`);
          assert.equal(result.frame.topic, (frame as { topic: string }).topic);
          data++;
        } else {
          assert.equal(result.ok, false, `${file}: control frame parsed as data`);
          control++;
        }
      }
    }
    assert.equal(data, 39);
    assert.equal(control, 10);
  });

  void it('tags the result with the stream and parsed topic, and keeps cts/cs', () => {
    const book = parseDataFrame(rawLine('orderbook_spot.jsonl', 2));
    assert.ok(book.ok && book.stream === 'orderbook');
    assert.deepEqual(book.topic, { stream: 'orderbook', depth: 50, symbol: 'BTCUSDT' });
    assert.equal(book.frame.type, 'delta');
    assert.equal(book.frame.ts, 1731035685345);
    assert.equal(book.frame.cts, 1731035685342);
    assert.equal(book.frame.data.u, 2876701);

    const ticker = parseDataFrame(rawLine('tickers_linear.jsonl', 2));
    assert.ok(ticker.ok && ticker.stream === 'tickers');
    assert.equal(ticker.frame.cs, 176530004279);
    assert.equal(ticker.frame.cts, undefined);
    assert.equal(ticker.frame.data.symbol, 'BTCUSDT');

    const kline = parseDataFrame(rawLine('kline.jsonl', 1));
    assert.ok(kline.ok && kline.stream === 'kline');
    assert.deepEqual(kline.topic, { stream: 'kline', timeframe: '1', symbol: 'BTCUSDT' });
    assert.equal(kline.frame.data[0]!.start, 1719667560000);

    const trades = parseDataFrame(rawLine('publicTrade_spot.jsonl', 1));
    assert.ok(trades.ok && trades.stream === 'publicTrade');
    assert.equal(trades.frame.data.length, 4);
    assert.equal(trades.frame.data[0]!.L, undefined);
  });

  void it('never depends on key order (spot puts ts before type; reversed keys parse the same)', () => {
    for (const [file, line] of [
      ['publicTrade_spot.jsonl', 1],
      ['orderbook_spot.jsonl', 1],
      ['tickers_linear.jsonl', 1],
      ['kline.jsonl', 1],
      ['unattributed_real.jsonl', 2],
    ] as const) {
      const original = parseDataFrame(rawLine(file, line));
      const reversed = parseDataFrame(reverseKeys(rawLine(file, line)));
      assert.ok(original.ok && reversed.ok, `${file}:${line}`);
      assert.deepEqual(reversed.frame, original.frame);
    }
  });
});

void describe('parseDataFrame structural checks (SYNTHETIC edits of recorded frames)', () => {
  void it('rejects non-objects and control frames with a reason', () => {
    assert.match(reasonOf(null), /not a JSON object/);
    assert.match(reasonOf([]), /not a JSON object/);
    assert.match(reasonOf(rawLine('control_frames.jsonl', 1)), /topic/);
    assert.match(reasonOf(rawLine('unattributed_real.jsonl', 10)), /topic/);
  });

  void it('rejects unsupported topics', () => {
    const frame = clone(rawLine('orderbook_spot.jsonl', 3)) as Record<string, unknown>;
    frame.topic = 'orderbook.500.BTCUSDT';
    assert.match(reasonOf(frame), /unsupported topic/);
  });

  void it('checks the envelope: type and ts', () => {
    const frame = clone(rawLine('kline.jsonl', 1)) as Record<string, unknown>;
    assert.match(reasonOf({ ...frame, type: 'update' }), /type/);
    assert.match(reasonOf({ ...frame, ts: 'soon' }), /ts/);
    assert.match(reasonOf({ ...frame, ts: undefined }), /ts/);
    assert.match(reasonOf({ ...frame, cts: 1.5 }), /cts/);
    // The docs' own example writes ts as a string of digits: accepted as a number.
    const result = parseDataFrame({ ...frame, ts: '1719667601380' });
    assert.ok(result.ok);
    assert.equal(result.frame.ts, 1719667601380);
  });

  void it('requires an array for kline and publicTrade data, with typed rows', () => {
    const kline = clone(rawLine('kline.jsonl', 1)) as { data: Record<string, unknown>[] };
    assert.match(reasonOf({ ...kline, data: kline.data[0] }), /expected an array/);
    kline.data[0]!.open = 61030;
    assert.match(reasonOf(kline), /data\[0\]\.open: expected string/);
    const wrongInterval = clone(rawLine('kline.jsonl', 1)) as { data: Record<string, unknown>[] };
    wrongInterval.data[0]!.interval = '5';
    assert.match(reasonOf(wrongInterval), /interval/);
    const unconfirmed = clone(rawLine('kline.jsonl', 1)) as { data: Record<string, unknown>[] };
    unconfirmed.data[0]!.confirm = 'false';
    assert.match(reasonOf(unconfirmed), /confirm/);

    const trades = clone(rawLine('publicTrade_spot.jsonl', 1)) as { data: Record<string, unknown>[] };
    trades.data[2]!.S = 'sell';
    assert.match(reasonOf(trades), /data\[2\]\.S/);
    const noId = clone(rawLine('publicTrade_linear.jsonl', 2)) as { data: Record<string, unknown>[] };
    delete noId.data[0]!.i;
    assert.match(reasonOf(noId), /data\[0\]\.i/);
  });

  void it('requires an object for tickers and orderbook data, matching the topic symbol', () => {
    const ticker = clone(rawLine('tickers_spot.jsonl', 1)) as { data: Record<string, unknown> };
    assert.match(reasonOf({ ...ticker, data: [ticker.data] }), /expected an object/);
    ticker.data.symbol = 'ETHUSDT';
    assert.match(reasonOf(ticker), /symbol/);

    const book = clone(rawLine('orderbook_linear.jsonl', 1)) as { data: Record<string, unknown> };
    assert.match(reasonOf({ ...book, data: [] }), /expected an object/);
    assert.match(reasonOf({ ...book, data: { ...book.data, u: '7003305' } }), /data\.u/);
    assert.match(reasonOf({ ...book, data: { ...book.data, s: 'ETHUSDT' } }), /data\.s/);
    assert.match(reasonOf({ ...book, data: { ...book.data, b: [['28552.00', '0.047', 'x']] } }), /data\.b\[0\]/);
    assert.match(reasonOf({ ...book, data: { ...book.data, a: [[28552.1, '25.433']] } }), /data\.a\[0\]/);
    assert.match(reasonOf({ ...book, data: { ...book.data, a: undefined } }), /data\.a/);
  });
});
