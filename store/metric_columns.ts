/**
 * Metrics stored as columns of typed arrays: about 37 bytes a metric in Deno
 * KV instead of a hundred as objects, and quick to write and read.
 *
 * @module
 */

import type { TurbineMetric } from "../actors/protocol.ts";

/** A run of metrics as columns. */
export interface MetricColumns {
  turbines: Uint32Array;
  timestamps: Float64Array;
  windSpeeds: Float64Array;
  power: Float64Array;
  broken: Uint8Array;
  /** `time_passed_in_seconds`, NaN where the metric had none. */
  timePassed: Float64Array;
}

/** Bytes a run of `n` metrics takes as columns, for sizing commits. */
export function columnBytes(n: number): number {
  return 96 + 37 * n;
}

/**
 * Packs metrics into columns.
 *
 * @example
 * ```ts
 * const columns = toColumns([{
 *   turbine_number: 1, wind_speed: 8, power_output_in_kwh: 0.4,
 *   operational_status: "ok", timestamp: 1767225600,
 * }]);
 * columns.timestamps[0]; // 1767225600
 * ```
 */
export function toColumns(metrics: TurbineMetric[]): MetricColumns {
  const n = metrics.length;
  const columns: MetricColumns = {
    turbines: new Uint32Array(n),
    timestamps: new Float64Array(n),
    windSpeeds: new Float64Array(n),
    power: new Float64Array(n),
    broken: new Uint8Array(n),
    timePassed: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const m = metrics[i];
    columns.turbines[i] = m.turbine_number;
    columns.timestamps[i] = m.timestamp;
    columns.windSpeeds[i] = m.wind_speed;
    columns.power[i] = m.power_output_in_kwh;
    columns.broken[i] = m.operational_status === "broken" ? 1 : 0;
    columns.timePassed[i] = m.time_passed_in_seconds ?? NaN;
  }
  return columns;
}

/** The metric at row `i`. */
export function metricAt(columns: MetricColumns, i: number): TurbineMetric {
  const metric: TurbineMetric = {
    turbine_number: columns.turbines[i],
    wind_speed: columns.windSpeeds[i],
    power_output_in_kwh: columns.power[i],
    operational_status: columns.broken[i] ? "broken" : "ok",
    timestamp: columns.timestamps[i],
  };
  if (!Number.isNaN(columns.timePassed[i])) metric.time_passed_in_seconds = columns.timePassed[i];
  return metric;
}

/** Every metric of the columns, in order. */
export function fromColumns(columns: MetricColumns): TurbineMetric[] {
  return Array.from({ length: columns.timestamps.length }, (_, i) => metricAt(columns, i));
}
