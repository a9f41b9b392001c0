/**
 * Per-turbine window summaries of cleaned power and the two kinds of
 * anomaly: turbines whose window mean stands out from the fleet, and
 * readings that stand out within their own turbine-window.
 */

import { IMPUTED_POWER } from "./clean.ts";
import type { TurbineSeries } from "./turbine_series.ts";

/** Power statistics of one turbine over one window `[windowStart, windowEnd)`. */
export interface WindowSummary {
  turbineId: number;
  /** Epoch milliseconds, a multiple of the window length. */
  windowStart: number;
  windowEnd: number;
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation of the samples used. */
  std: number;
  /** Samples used, imputed ones included. */
  count: number;
  /** How many of the samples used were imputed. */
  imputed: number;
}

/** A turbine whose window mean lies outside the fleet mean ± 2 standard deviations. */
export interface TurbineAnomaly {
  kind: "turbine";
  turbineId: number;
  windowStart: number;
  mean: number;
  fleetMean: number;
  fleetStd: number;
  z: number;
}

/** A measured reading outside its turbine-window mean ± 2 standard deviations. */
export interface ReadingAnomaly {
  kind: "reading";
  turbineId: number;
  timestamp: number;
  powerOutput: number;
  windowMean: number;
  windowStd: number;
}

/** Summaries and anomalies of a whole run. */
export interface Summary {
  /** Sorted by window start, then turbine id. */
  summaries: WindowSummary[];
  /** Turbine anomalies by window then turbine, followed by reading anomalies by turbine then time. */
  anomalies: (TurbineAnomaly | ReadingAnomaly)[];
}

/** How many standard deviations from the mean make an anomaly. */
export const ANOMALY_SIGMAS = 2;

/**
 * Summarises cleaned series into windows aligned to multiples of `windowMs`
 * since the Unix epoch (whole days therefore start at UTC midnight) and finds
 * anomalies. Windows without power samples produce no summary.
 *
 * @example
 * ```ts
 * import { summarise } from "./summarise.ts";
 * const series = {
 *   turbineId: 1,
 *   time: new Float64Array([0, 3_600_000]),
 *   power: new Float64Array([2, 4]),
 *   windSpeed: new Float64Array([10, 10]),
 *   windDirection: new Float64Array([0, 0]),
 *   imputed: new Uint8Array(2),
 * };
 * summarise([series], 86_400_000).summaries[0].mean; // 3
 * ```
 */
export function summarise(seriesList: TurbineSeries[], windowMs: number): Summary {
  const summaries: WindowSummary[] = [];
  const readingAnomalies: ReadingAnomaly[] = [];
  for (const series of seriesList) summariseSeries(series, windowMs, summaries, readingAnomalies);
  summaries.sort((a, b) => a.windowStart - b.windowStart || a.turbineId - b.turbineId);
  readingAnomalies.sort((a, b) => a.turbineId - b.turbineId || a.timestamp - b.timestamp);
  return { summaries, anomalies: [...findTurbineAnomalies(summaries), ...readingAnomalies] };
}

function summariseSeries(
  series: TurbineSeries,
  windowMs: number,
  summaries: WindowSummary[],
  readingAnomalies: ReadingAnomaly[],
): void {
  const { time, power, imputed } = series;
  let i = 0;
  while (i < time.length) {
    const windowStart = Math.floor(time[i] / windowMs) * windowMs;
    const windowEnd = windowStart + windowMs;
    let end = i;
    let count = 0;
    let imputedCount = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (; end < time.length && time[end] < windowEnd; end++) {
      const value = power[end];
      if (Number.isNaN(value)) continue;
      count++;
      sum += value;
      if (value < min) min = value;
      if (value > max) max = value;
      if (imputed[end] & IMPUTED_POWER) imputedCount++;
    }
    if (count > 0) {
      const mean = sum / count;
      let squares = 0;
      for (let k = i; k < end; k++) {
        if (!Number.isNaN(power[k])) squares += (power[k] - mean) ** 2;
      }
      const std = Math.sqrt(squares / count);
      summaries.push({
        turbineId: series.turbineId,
        windowStart,
        windowEnd,
        min,
        max,
        mean,
        std,
        count,
        imputed: imputedCount,
      });
      for (let k = i; k < end && isSpread(std, mean); k++) {
        const value = power[k];
        if (Number.isNaN(value) || imputed[k] & IMPUTED_POWER) continue;
        if (Math.abs(value - mean) > ANOMALY_SIGMAS * std) {
          readingAnomalies.push({
            kind: "reading",
            turbineId: series.turbineId,
            timestamp: time[k],
            powerOutput: value,
            windowMean: mean,
            windowStd: std,
          });
        }
      }
    }
    i = end;
  }
}

/**
 * Compares each turbine's window mean with the fleet's: the mean and
 * population standard deviation of all turbines' means for that window (the
 * turbine itself included). Note that with n turbines no z can exceed
 * (n − 1)/√n, so fewer than 6 turbines can never produce an anomaly.
 *
 * @example
 * ```ts
 * import { findTurbineAnomalies } from "./summarise.ts";
 * findTurbineAnomalies([]); // []
 * ```
 */
export function findTurbineAnomalies(summaries: WindowSummary[]): TurbineAnomaly[] {
  const anomalies: TurbineAnomaly[] = [];
  const byWindow = new Map<number, WindowSummary[]>();
  for (const summary of summaries) {
    const group = byWindow.get(summary.windowStart);
    if (group === undefined) byWindow.set(summary.windowStart, [summary]);
    else group.push(summary);
  }
  for (const [windowStart, group] of byWindow) {
    const fleetMean = group.reduce((total, s) => total + s.mean, 0) / group.length;
    const fleetStd = Math.sqrt(
      group.reduce((total, s) => total + (s.mean - fleetMean) ** 2, 0) / group.length,
    );
    if (!isSpread(fleetStd, fleetMean)) continue;
    for (const summary of group) {
      const z = (summary.mean - fleetMean) / fleetStd;
      if (Math.abs(z) > ANOMALY_SIGMAS) {
        anomalies.push({
          kind: "turbine",
          turbineId: summary.turbineId,
          windowStart,
          mean: summary.mean,
          fleetMean,
          fleetStd,
          z,
        });
      }
    }
  }
  anomalies.sort((a, b) => a.windowStart - b.windowStart || a.turbineId - b.turbineId);
  return anomalies;
}

/** Whether a standard deviation is more than floating-point noise around `mean`. */
function isSpread(std: number, mean: number): boolean {
  return std > 1e-9 * Math.max(1, Math.abs(mean));
}
