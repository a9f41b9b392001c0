/** Linear interpolation in time of missing values inside one turbine's series. */

/** Options for {@linkcode imputeLinear}. */
export interface ImputeOptions {
  /** Longest span, in milliseconds, between the known values around a gap that may be bridged. */
  maxGapMs: number;
  /** Interpolate on a circle of this period (360 for wind direction), along the shorter arc. */
  period?: number;
}

/**
 * Fills `NaN` entries of `values` (in place) by linear interpolation between
 * the nearest known values before and after, when those two are at most
 * `maxGapMs` apart; gaps at the ends of the series or longer than that stay
 * missing. Returns the indices that were filled.
 *
 * @example
 * ```ts
 * import { imputeLinear } from "./impute.ts";
 * const hour = 3_600_000;
 * const values = new Float64Array([1, NaN, 3]);
 * imputeLinear(new Float64Array([0, hour, 2 * hour]), values, { maxGapMs: 3 * hour }); // [1]
 * console.log(values); // Float64Array [1, 2, 3]
 * ```
 */
export function imputeLinear(
  time: Float64Array,
  values: Float64Array,
  options: ImputeOptions,
): number[] {
  const filled: number[] = [];
  const n = values.length;
  let previous = -1;
  let i = 0;
  while (i < n) {
    if (!Number.isNaN(values[i])) {
      previous = i++;
      continue;
    }
    let next = i;
    while (next < n && Number.isNaN(values[next])) next++;
    if (previous >= 0 && next < n && time[next] - time[previous] <= options.maxGapMs) {
      const span = time[next] - time[previous];
      const from = values[previous];
      const change = options.period === undefined
        ? values[next] - from
        : shorterArc(values[next] - from, options.period);
      for (let k = i; k < next; k++) {
        const value = from + change * (time[k] - time[previous]) / span;
        values[k] = options.period === undefined ? value : wrap(value, options.period);
        filled.push(k);
      }
    }
    i = next;
  }
  return filled;
}

function shorterArc(change: number, period: number): number {
  const wrapped = wrap(change, period);
  return wrapped > period / 2 ? wrapped - period : wrapped;
}

function wrap(value: number, period: number): number {
  const remainder = value % period;
  const wrapped = remainder < 0 ? remainder + period : remainder;
  return wrapped >= period ? wrapped - period : wrapped;
}
