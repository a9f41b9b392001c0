/**
 * Spike detection on one turbine's power readings with a rolling median and
 * a floored MAD scale, so that isolated wild readings are caught while
 * sustained deviations (a turbine underperforming for hours) are kept.
 */

/** Converts a median absolute deviation into a standard-deviation estimate for normal data. */
export const MAD_SCALE = 1.4826;
/** Converts a mean absolute deviation into a standard-deviation estimate for normal data. */
export const MEAN_AD_SCALE = 1.2533;

/** Options for {@linkcode findSpikes}. */
export interface FindSpikesOptions {
  /** Samples on each side of the centre in the rolling window; default 6 (a 13-sample window). */
  halfWidth?: number;
}

/**
 * Flags spikes in `values` (one turbine's valid power readings in time
 * order): a value is a spike when it lies more than `threshold × s` from the
 * median of the window centred on it, where `s` is the larger of the
 * window's scaled MAD and the whole series' scaled MAD. The whole-series
 * floor matters because readings quantised to 0.1 often have a local MAD of
 * 0. When more than half the series is one value (MAD 0, e.g. a turbine that
 * is mostly stopped) the floor falls back to the scaled mean absolute
 * deviation. Windows are clipped at the ends of the series. Each window step
 * is O(window) thanks to an incrementally sorted window.
 *
 * @example
 * ```ts
 * import { findSpikes } from "./spikes.ts";
 * const flags = findSpikes(new Float64Array([3.1, 2.9, 3.0, 250000, 3.2, 2.8]), 5);
 * console.log(flags); // Uint8Array [0, 0, 0, 1, 0, 0]
 * ```
 */
export function findSpikes(
  values: Float64Array,
  threshold: number,
  options: FindSpikesOptions = {},
): Uint8Array {
  const n = values.length;
  const flags = new Uint8Array(n);
  if (n === 0) return flags;
  const half = options.halfWidth ?? 6;
  const floor = wholeSeriesScale(values);
  const window = new Float64Array(2 * half + 2);
  let size = 0;
  let low = 0;
  let high = -1;
  for (let i = 0; i < n; i++) {
    const wantLow = Math.max(0, i - half);
    const wantHigh = Math.min(n - 1, i + half);
    while (low < wantLow) size = removeSorted(window, size, values[low++]);
    while (high < wantHigh) size = insertSorted(window, size, values[++high]);
    const median = medianOfSorted(window, size);
    const scale = Math.max(MAD_SCALE * madOfSorted(window, size, median), floor);
    if (scale > 0 && Math.abs(values[i] - median) > threshold * scale) flags[i] = 1;
  }
  return flags;
}

function wholeSeriesScale(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const median = medianOfSorted(sorted, sorted.length);
  const mad = madOfSorted(sorted, sorted.length, median);
  if (mad > 0) return MAD_SCALE * mad;
  let total = 0;
  for (let i = 0; i < values.length; i++) total += Math.abs(values[i] - median);
  return MEAN_AD_SCALE * total / values.length;
}

function insertSorted(window: Float64Array, size: number, value: number): number {
  let i = size;
  while (i > 0 && window[i - 1] > value) {
    window[i] = window[i - 1];
    i--;
  }
  window[i] = value;
  return size + 1;
}

function removeSorted(window: Float64Array, size: number, value: number): number {
  let i = 0;
  while (i < size - 1 && window[i] !== value) i++;
  window.copyWithin(i, i + 1, size);
  return size - 1;
}

/** Median of the first `count` entries of an ascending array. */
function medianOfSorted(sorted: Float64Array, count: number): number {
  const mid = count >> 1;
  return count % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Median absolute deviation of the first `count` entries of an ascending
 * array in O(count): deviations fall towards the median from the left and
 * rise away from it on the right, so merging both sides yields them in
 * ascending order.
 */
function madOfSorted(sorted: Float64Array, count: number, median: number): number {
  const lowerRank = (count - 1) >> 1;
  const upperRank = count >> 1;
  let left = lowerRank;
  let right = left + 1;
  let lower = 0;
  let upper = 0;
  for (let rank = 0; rank <= upperRank; rank++) {
    let deviation: number;
    if (right >= count || (left >= 0 && median - sorted[left] <= sorted[right] - median)) {
      deviation = median - sorted[left--];
    } else {
      deviation = sorted[right++] - median;
    }
    if (rank === lowerRank) lower = deviation;
    if (rank === upperRank) upper = deviation;
  }
  return (lower + upper) / 2;
}
