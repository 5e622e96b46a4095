/**
 * Exact comparison of decimal strings. Prices stay strings end to end, so
 * checks such as "high >= low" or "best bid < best ask" must not go through
 * floats ("0.1" + "0.2" style drift, and 17+ significant digits).
 * @module
 */

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

export function isDecimalString(value: string): boolean {
  return DECIMAL.test(value);
}

/** -1, 0 or 1 as a < b, a == b, a > b. "1.50" equals "1.5". Throws on a non-decimal. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const left = split(a);
  const right = split(b);
  if (left.negative !== right.negative) {
    if (left.isZero && right.isZero) return 0;
    return left.negative ? -1 : 1;
  }
  const magnitude = compareMagnitude(left, right);
  return (left.negative ? -magnitude : magnitude) as -1 | 0 | 1;
}

/** True for "0", "0.000", "-0": Bybit's "delete this level" size. */
export function isZeroDecimal(value: string): boolean {
  return split(value).isZero;
}

interface SplitDecimal {
  negative: boolean;
  integer: string;
  fraction: string;
  isZero: boolean;
}

function split(value: string): SplitDecimal {
  const match = DECIMAL.exec(value);
  if (!match) throw new TypeError(`not a decimal string: ${JSON.stringify(value)}`);
  const integer = (match[2] ?? '0').replace(/^0+(?=\d)/, '');
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  return { negative: match[1] === '-', integer, fraction, isZero: integer === '0' && fraction === '' };
}

function compareMagnitude(a: SplitDecimal, b: SplitDecimal): -1 | 0 | 1 {
  if (a.integer.length !== b.integer.length) return a.integer.length < b.integer.length ? -1 : 1;
  if (a.integer !== b.integer) return a.integer < b.integer ? -1 : 1;
  const width = Math.max(a.fraction.length, b.fraction.length);
  const fa = a.fraction.padEnd(width, '0');
  const fb = b.fraction.padEnd(width, '0');
  if (fa === fb) return 0;
  return fa < fb ? -1 : 1;
}
