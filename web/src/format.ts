/**
 * Display formatting. Prices and sizes arrive as exact decimal strings and are
 * shown as sent; only derived values (percentages, spread, delay) are computed
 * here, and the spread with exact decimal arithmetic so it never shows float
 * noise such as 0.09999999.
 * @module
 */
import type { Timeframe } from '../../src/schemas/index.js';

/** Number of digits after the decimal point in a decimal string ("67890.10" → 2). */
export function decimalPlaces(value: string): number {
  const dot = value.indexOf('.');
  return dot < 0 ? 0 : value.length - dot - 1;
}

function toScaled(value: string, places: number): bigint {
  const negative = value.startsWith('-');
  const digits = negative ? value.slice(1) : value;
  const [whole = '0', fraction = ''] = digits.split('.');
  const scaled = BigInt(`${whole || '0'}${fraction.padEnd(places, '0')}`);
  return negative ? -scaled : scaled;
}

/** a − b on decimal strings, exactly, with as many places as the longer operand. */
export function subtractDecimals(a: string, b: string): string {
  const places = Math.max(decimalPlaces(a), decimalPlaces(b));
  const difference = toScaled(a, places) - toScaled(b, places);
  const negative = difference < 0n;
  const digits = (negative ? -difference : difference).toString().padStart(places + 1, '0');
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return negative ? `-${text}` : text;
}

/** A fraction string as a signed percentage: "0.0123" → "+1.23%". Empty when absent or not a number. */
export function fractionAsPercent(fraction: string | undefined, places = 2): string {
  if (fraction === undefined || fraction === '') return '';
  const value = Number(fraction) * 100;
  if (!Number.isFinite(value)) return '';
  const text = Math.abs(value).toFixed(places);
  const sign = value > 0 && Number(text) !== 0 ? '+' : value < 0 && Number(text) !== 0 ? '-' : '';
  return `${sign}${text}%`;
}

/** -1, 0 or 1: the sign of a decimal string, for up/down colouring. */
export function signOf(value: string | undefined): -1 | 0 | 1 {
  const number = Number(value);
  if (!Number.isFinite(number) || number === 0) return 0;
  return number > 0 ? 1 : -1;
}

const pad2 = (value: number): string => String(value).padStart(2, '0');

/** HH:MM:SS in UTC: every time on the page is UTC, like the chart's axis, so they line up. */
export function utcClock(ms: number): string {
  const date = new Date(ms);
  return `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}`;
}

/** YYYY-MM-DD HH:MM UTC, for tooltips. */
export function utcDateTime(ms: number): string {
  const date = new Date(ms);
  return `${date.getUTCFullYear()}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())} ${utcClock(ms).slice(0, 5)} UTC`;
}

/** "1" → "1m", "60" → "1h", "D" → "1D": the label traders expect; the value stays the exchange code. */
export function timeframeLabel(timeframe: Timeframe): string {
  if (timeframe === 'D' || timeframe === 'W' || timeframe === 'M') return `1${timeframe}`;
  const minutes = Number(timeframe);
  return minutes >= 60 && minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
}

/** Seconds left, one decimal under 10 s ("3.2 s"), whole seconds above. */
export function countdownText(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.ceil(seconds)} s`;
}
