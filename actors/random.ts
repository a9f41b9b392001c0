/**
 * A small seeded random source (mulberry32). Its whole state is one 32-bit
 * number, so an actor keeps it in its snapshot and a restarted actor continues
 * the same sequence.
 *
 * @module
 */

/**
 * Seeded pseudo-random numbers with the distributions the simulation needs.
 *
 * @example
 * ```ts
 * const random = new Random(42);
 * const u = random.next(); // in [0, 1)
 * const saved = random.state; // store it, then `new Random(saved)` continues the sequence
 * ```
 */
export class Random {
  /** The generator's state; a new `Random(state)` continues from here. */
  state: number;

  constructor(state: number) {
    this.state = state >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform number in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** An exponentially distributed number with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** A Weibull-distributed number (wind speeds are Weibull with shape ≈ 2). */
  weibull(scale: number, shape: number): number {
    return scale * Math.pow(-Math.log(1 - this.next()), 1 / shape);
  }

  /** A standard normal number (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/**
 * Derives a stable 32-bit seed for one actor from the run's seed and its address,
 * so every actor has its own independent sequence.
 *
 * @example
 * ```ts
 * deriveSeed(42, "turbine/1") === deriveSeed(42, "turbine/1"); // true
 * ```
 */
export function deriveSeed(seed: number, name: string): number {
  // FNV-1a over the seed's bytes and the name.
  let hash = 0x811c9dc5;
  const text = `${seed >>> 0}:${name}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
