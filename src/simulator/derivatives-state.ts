/**
 * The slow-moving numbers a ticker carries besides trades and the book: mark
 * and index price (hugging the mid), open interest and the funding rate. They
 * wander a little each step so linear ticker deltas look like real ones.
 * @module
 */
import type { InstrumentSpec } from './instrument-catalog.js';
import type { SeededRandom } from './seeded-random.js';

/** Decimals of spot `usdIndexPrice` ("84501.308024"). */
export const USD_INDEX_SCALE = 6;

export class DerivativesState {
  /** Mark price in units of 10^-priceScale (not necessarily on a tick). */
  markUnits = 0;
  /** Index price in units of 10^-priceScale. */
  indexUnits = 0;
  /** Spot USD index price in units of 10^-6. */
  usdIndexUnits = 0;
  /** Open interest in lot units (linear). */
  openInterestUnits: number;
  /** Funding rate in units of 10^-8. */
  fundingRateE8: number;
  private basisUnits = 0;

  constructor(
    private readonly spec: InstrumentSpec,
    private readonly rng: SeededRandom,
    midTicks: number,
  ) {
    this.openInterestUnits = spec.typicalLevelUnits * 5_000 + rng.int(0, spec.typicalLevelUnits * 100);
    this.fundingRateE8 = 10_000;
    this.basisUnits = rng.int(-20, 20) * spec.tickUnits;
    this.step(midTicks, 0);
  }

  step(midTicks: number, dtSec: number): void {
    const midUnits = midTicks * this.spec.tickUnits;
    this.markUnits = Math.round(midUnits + this.rng.normal() * this.spec.tickUnits * 0.6);
    this.basisUnits = Math.round(this.basisUnits * 0.98 + this.rng.normal() * this.spec.tickUnits * 0.5);
    this.indexUnits = Math.max(1, midUnits + this.basisUnits);
    const midFloat = midUnits / 10 ** this.spec.priceScale;
    this.usdIndexUnits = Math.round(midFloat * (1 - 0.0004 + this.rng.normal() * 0.00005) * 10 ** USD_INDEX_SCALE);
    if (dtSec > 0) {
      const oiStep = Math.round(this.rng.normal() * this.spec.typicalTradeUnits * Math.sqrt(dtSec));
      this.openInterestUnits = Math.max(this.spec.typicalLevelUnits * 100, this.openInterestUnits + oiStep);
      if (this.rng.chance(Math.min(1, dtSec / 5))) {
        this.fundingRateE8 = Math.max(-75_000, Math.min(75_000, this.fundingRateE8 + this.rng.int(-40, 40)));
      }
    }
  }
}
