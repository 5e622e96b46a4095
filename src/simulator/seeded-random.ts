/**
 * Seeded pseudo-random numbers. The simulator must be reproducible: the same
 * seed gives the same synthesized history and the same market walk, so a test
 * or a demo can be replayed. sfc32 is small, fast and good enough for a market
 * model; streams are derived from (seed, labels) so each symbol and interval
 * has its own independent sequence regardless of the order they are created in.
 * @module
 */

/** FNV-1a over the labels, mixed with the seed: a 32-bit stream id. */
export function deriveSeed(seed: number, ...labels: readonly (string | number)[]): number {
  let hash = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (const label of labels) {
    const text = `${String(label)}\u0000`;
    for (let index = 0; index < text.length; index += 1) {
      hash ^= text.charCodeAt(index);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  return hash >>> 0;
}

export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads a small seed over the four state words.
    let state = seed >>> 0;
    const mix = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let warmUp = 0; warmUp < 12; warmUp += 1) this.nextUint32();
  }

  static derive(seed: number, ...labels: readonly (string | number)[]): SeededRandom {
    return new SeededRandom(deriveSeed(seed, ...labels));
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4_294_967_296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Poisson-distributed count with the given mean (Knuth; means here are small). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let count = 0;
    let product = this.next();
    while (product > limit) {
      count += 1;
      product *= this.next();
    }
    return count;
  }

  /** Lognormal multiplier with median 1. */
  logNormal(sigma: number): number {
    return Math.exp(sigma * this.normal());
  }

  /** A UUID in the shape Bybit uses for derivative trade ids (version 5 nibble). */
  uuid(): string {
    const hex = (word: number): string => word.toString(16).padStart(8, '0');
    const w0 = hex(this.nextUint32());
    const w1 = hex(this.nextUint32());
    const w2 = hex(this.nextUint32());
    const w3 = hex(this.nextUint32());
    const variant = (8 + (this.nextUint32() % 4)).toString(16);
    return `${w0}-${w1.slice(0, 4)}-5${w1.slice(5, 8)}-${variant}${w2.slice(1, 4)}-${w2.slice(4, 8)}${w3}`;
  }
}
