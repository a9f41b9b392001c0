/**
 * The cleaning rules applied to one turbine's deduplicated, time-sorted
 * series: impossible values become missing, power spikes become missing,
 * then short gaps are interpolated. See analysis/README.md for the rules.
 */

import { findSpikes } from "./spikes.ts";
import { imputeLinear } from "./impute.ts";
import type { TurbineSeries } from "./turbine_series.ts";

/** Imputed-flag bit for power (see {@linkcode TurbineSeries.imputed}). */
export const IMPUTED_POWER = 1;
/** Imputed-flag bit for wind speed. */
export const IMPUTED_WIND_SPEED = 2;
/** Imputed-flag bit for wind direction. */
export const IMPUTED_WIND_DIRECTION = 4;

/** Highest plausible wind speed in m/s; above it a reading is a sensor fault. */
export const MAX_WIND_SPEED = 60;

/** Options for {@linkcode cleanSeries}. */
export interface CleanOptions {
  /** Spike threshold in scaled-MAD units. */
  spikeThreshold: number;
  /** Longest span, in milliseconds, across which missing values are interpolated. */
  maxGapMs: number;
}

/** Value counts from cleaning (a row with two blank cells counts 2 missing). */
export interface CleaningCounts {
  /** Values that were empty or not numbers in the input. */
  missing: number;
  /** Values outside physical limits, treated as missing. */
  impossible: number;
  /** Power values flagged as spikes, treated as missing. */
  spikes: number;
  /** Values filled by interpolation. */
  imputed: number;
}

/**
 * Cleans one turbine's series in place and returns what was changed.
 *
 * @example
 * ```ts
 * import { cleanSeries } from "./clean.ts";
 * const series = {
 *   turbineId: 1,
 *   time: new Float64Array([0, 3_600_000, 7_200_000]),
 *   power: new Float64Array([2, -5, 4]),
 *   windSpeed: new Float64Array([10, 11, 12]),
 *   windDirection: new Float64Array([90, 90, 90]),
 *   imputed: new Uint8Array(3),
 * };
 * cleanSeries(series, { spikeThreshold: 5, maxGapMs: 10_800_000 });
 * console.log(series.power); // Float64Array [2, 3, 4]
 * ```
 */
export function cleanSeries(series: TurbineSeries, options: CleanOptions): CleaningCounts {
  const counts: CleaningCounts = { missing: 0, impossible: 0, spikes: 0, imputed: 0 };
  const { power, windSpeed, windDirection } = series;
  for (let i = 0; i < power.length; i++) {
    if (Number.isNaN(power[i])) counts.missing++;
    else if (power[i] < 0) {
      power[i] = NaN;
      counts.impossible++;
    }
    if (Number.isNaN(windSpeed[i])) counts.missing++;
    else if (windSpeed[i] < 0 || windSpeed[i] > MAX_WIND_SPEED) {
      windSpeed[i] = NaN;
      counts.impossible++;
    }
    if (Number.isNaN(windDirection[i])) counts.missing++;
    else if (windDirection[i] < 0 || windDirection[i] >= 360) {
      windDirection[i] = NaN;
      counts.impossible++;
    }
  }
  counts.spikes = removeSpikes(power, options.spikeThreshold);
  const gap = { maxGapMs: options.maxGapMs };
  counts.imputed += mark(series.imputed, imputeLinear(series.time, power, gap), IMPUTED_POWER);
  counts.imputed += mark(
    series.imputed,
    imputeLinear(series.time, windSpeed, gap),
    IMPUTED_WIND_SPEED,
  );
  counts.imputed += mark(
    series.imputed,
    imputeLinear(series.time, windDirection, { ...gap, period: 360 }),
    IMPUTED_WIND_DIRECTION,
  );
  return counts;
}

function removeSpikes(power: Float64Array, threshold: number): number {
  const positions: number[] = [];
  for (let i = 0; i < power.length; i++) if (!Number.isNaN(power[i])) positions.push(i);
  const valid = new Float64Array(positions.length);
  for (let k = 0; k < positions.length; k++) valid[k] = power[positions[k]];
  const flags = findSpikes(valid, threshold);
  let removed = 0;
  for (let k = 0; k < flags.length; k++) {
    if (flags[k] === 1) {
      power[positions[k]] = NaN;
      removed++;
    }
  }
  return removed;
}

function mark(flags: Uint8Array, indices: number[], bit: number): number {
  for (const i of indices) flags[i] |= bit;
  return indices.length;
}
