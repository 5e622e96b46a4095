/**
 * Integer fixed-point formatting. Prices live as integer ticks and sizes as
 * integer lot units inside the simulator, so a printed price can never carry
 * float noise such as 0.30000000000000004. Bybit prints linear prices padded to
 * the price scale ("61874.00") and spot prices and kline values trimmed
 * ("75845.4"), so both styles exist.
 * @module
 */

/** `pad` keeps every decimal of the scale; `trim` drops trailing zeros. */
export type DigitStyle = 'pad' | 'trim';

/** Formats `units` (an integer count of 10^-scale) as a decimal string. */
export function formatUnits(units: bigint | number, scale: number, style: DigitStyle): string {
  const value = typeof units === 'bigint' ? units : BigInt(Math.round(units));
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const integer = digits.slice(0, digits.length - scale);
  let fraction = scale > 0 ? digits.slice(digits.length - scale) : '';
  if (style === 'trim') fraction = fraction.replace(/0+$/, '');
  const text = fraction.length > 0 ? `${integer}.${fraction}` : integer;
  return negative && /[1-9]/.test(text) ? `-${text}` : text;
}

/** Rescales an integer amount from one scale to another, rounding half away from zero. */
export function rescaleUnits(units: bigint, fromScale: number, toScale: number): bigint {
  if (toScale >= fromScale) return units * 10n ** BigInt(toScale - fromScale);
  const divisor = 10n ** BigInt(fromScale - toScale);
  const half = divisor / 2n;
  return units >= 0n ? (units + half) / divisor : -((-units + half) / divisor);
}

/** Formats a float ratio (e.g. a 24 h change or a funding rate) at `scale` decimals, trimmed. */
export function formatRatio(value: number, scale: number): string {
  const units = Math.round(value * 10 ** scale);
  return formatUnits(units, scale, 'trim');
}
