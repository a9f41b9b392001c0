/**
 * A circuit breaker for one push endpoint: after `threshold` consecutive
 * failures it opens for `cooldownMs`, then lets one probe through
 * (half-open); the probe's success closes it, its failure opens it again.
 *
 * @module
 */

/** The breaker's state. */
export type CircuitState = "closed" | "open" | "half-open";

/** Options of a {@linkcode CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  threshold: number;
  /** How long it stays open before a probe, ms. */
  cooldownMs: number;
  /** The clock, epoch ms. */
  now?: () => number;
}

/**
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ threshold: 1, cooldownMs: 1000, now: () => 0 });
 * breaker.failed();
 * console.log(breaker.allows()); // false
 * ```
 */
export class CircuitBreaker {
  #failures = 0;
  #openedAt: number | null = null;
  #probing = false;
  readonly #options: Required<CircuitBreakerOptions>;

  constructor(options: CircuitBreakerOptions) {
    this.#options = { now: Date.now, ...options };
  }

  get state(): CircuitState {
    if (this.#openedAt === null) return "closed";
    return this.#options.now() - this.#openedAt >= this.#options.cooldownMs ? "half-open" : "open";
  }

  /** Whether a request may go now; in half-open, only the first caller's may. */
  allows(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open" || this.#probing) return false;
    this.#probing = true;
    return true;
  }

  succeeded(): void {
    this.#failures = 0;
    this.#openedAt = null;
    this.#probing = false;
  }

  failed(): void {
    this.#failures++;
    if (this.#probing || this.#failures >= this.#options.threshold) {
      this.#openedAt = this.#options.now();
    }
    this.#probing = false;
  }
}
