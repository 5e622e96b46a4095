/**
 * Static instrument specs: tick size, lot step and a plausible price level for
 * each simulated (category, symbol). Values follow Bybit's live instruments for
 * the default symbols; any other symbol gets a generic spec so a demo or a
 * replay file can use it. Everything is an integer scale so prices stay exact.
 * @module
 */
import type { Category } from '../schemas/index.js';
import { formatUnits, type DigitStyle } from './fixed-point.js';

export interface InstrumentSpec {
  readonly category: Category;
  readonly symbol: string;
  readonly baseCoin: string;
  readonly quoteCoin: string;
  /** Decimals printed for prices (Bybit `priceScale`). */
  readonly priceScale: number;
  /** Tick size in units of 10^-priceScale (BTCUSDT linear: 10 → "0.10"). */
  readonly tickUnits: number;
  /** Decimals of sizes (lot step / base precision). */
  readonly qtyScale: number;
  /** Lot step in units of 10^-qtyScale. */
  readonly qtyStepUnits: number;
  /** Where the market model starts, in quote currency (float is fine: it is rounded to a tick). */
  readonly basePrice: number;
  /** Typical taker order size, in lot units. */
  readonly typicalTradeUnits: number;
  /** Typical resting size of one book level, in lot units. */
  readonly typicalLevelUnits: number;
  /** Volatility of the random walk per sqrt(second), as a fraction of the price. */
  readonly volatilityPerSqrtSec: number;
}

/** Mean rate of taker orders; history volume uses the same rate so it looks like the live market. */
export const TAKER_ORDERS_PER_SECOND = 1.5;

/** Every simulated instrument was "listed" here; no candle is older (the schema floor is 2020-01-01). */
export const LISTING_TIME_MS = 1_577_836_800_000;

type SpecSeed = Omit<InstrumentSpec, 'category' | 'symbol' | 'baseCoin' | 'quoteCoin'>;

const KNOWN: Record<Category, Record<string, SpecSeed>> = {
  linear: {
    BTCUSDT: { priceScale: 2, tickUnits: 10, qtyScale: 3, qtyStepUnits: 1, basePrice: 65_000, typicalTradeUnits: 40, typicalLevelUnits: 400, volatilityPerSqrtSec: 0.00006 },
    ETHUSDT: { priceScale: 2, tickUnits: 1, qtyScale: 2, qtyStepUnits: 1, basePrice: 3_200, typicalTradeUnits: 80, typicalLevelUnits: 600, volatilityPerSqrtSec: 0.00008 },
    SOLUSDT: { priceScale: 3, tickUnits: 10, qtyScale: 1, qtyStepUnits: 1, basePrice: 150, typicalTradeUnits: 60, typicalLevelUnits: 900, volatilityPerSqrtSec: 0.0001 },
  },
  spot: {
    BTCUSDT: { priceScale: 2, tickUnits: 1, qtyScale: 6, qtyStepUnits: 1, basePrice: 65_000, typicalTradeUnits: 20_000, typicalLevelUnits: 150_000, volatilityPerSqrtSec: 0.00006 },
    ETHUSDT: { priceScale: 2, tickUnits: 1, qtyScale: 5, qtyStepUnits: 1, basePrice: 3_200, typicalTradeUnits: 50_000, typicalLevelUnits: 400_000, volatilityPerSqrtSec: 0.00008 },
    SOLUSDT: { priceScale: 2, tickUnits: 1, qtyScale: 3, qtyStepUnits: 1, basePrice: 150, typicalTradeUnits: 4_000, typicalLevelUnits: 40_000, volatilityPerSqrtSec: 0.0001 },
  },
};

const GENERIC: SpecSeed = {
  priceScale: 4,
  tickUnits: 1,
  qtyScale: 2,
  qtyStepUnits: 1,
  basePrice: 25,
  typicalTradeUnits: 500,
  typicalLevelUnits: 5_000,
  volatilityPerSqrtSec: 0.0001,
};

const QUOTES = ['USDT', 'USDC', 'USD', 'BTC', 'ETH', 'EUR'] as const;

/** Splits BTCUSDT into BTC / USDT (falls back to USDT as quote, like most Bybit symbols). */
export function splitSymbol(symbol: string): { baseCoin: string; quoteCoin: string } {
  if (symbol.endsWith('PERP')) return { baseCoin: symbol.slice(0, -4), quoteCoin: 'USDC' };
  for (const quote of QUOTES) {
    if (symbol.length > quote.length && symbol.endsWith(quote)) {
      return { baseCoin: symbol.slice(0, -quote.length), quoteCoin: quote };
    }
  }
  return { baseCoin: symbol, quoteCoin: 'USDT' };
}

export function instrumentSpec(category: Category, symbol: string): InstrumentSpec {
  const seed = KNOWN[category][symbol] ?? GENERIC;
  return { category, symbol, ...splitSymbol(symbol), ...seed };
}

/** Default print style: linear pads to the scale, spot trims (as in real frames). */
export function defaultStyle(spec: InstrumentSpec): DigitStyle {
  return spec.category === 'linear' ? 'pad' : 'trim';
}

export function formatPrice(spec: InstrumentSpec, ticks: number, style: DigitStyle = defaultStyle(spec)): string {
  return formatUnits(ticks * spec.tickUnits, spec.priceScale, style);
}

export function formatQty(spec: InstrumentSpec, units: number | bigint, style: DigitStyle = defaultStyle(spec)): string {
  return formatUnits(units, spec.qtyScale, style);
}

export function tickSizeText(spec: InstrumentSpec): string {
  return formatPrice(spec, 1);
}

export function qtyStepText(spec: InstrumentSpec): string {
  return formatQty(spec, spec.qtyStepUnits);
}

/** Price ticks nearest to a float price (at least one tick). */
export function priceToTicks(spec: InstrumentSpec, price: number): number {
  return Math.max(1, Math.round((price * 10 ** spec.priceScale) / spec.tickUnits));
}

export function ticksToFloat(spec: InstrumentSpec, ticks: number): number {
  return (ticks * spec.tickUnits) / 10 ** spec.priceScale;
}
