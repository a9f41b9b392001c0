import assert from "node:assert/strict";
import { cleanSeries, IMPUTED_POWER, IMPUTED_WIND_DIRECTION } from "../analysis/clean.ts";
import type { TurbineSeries } from "../analysis/turbine_series.ts";

const HOUR = 3_600_000;
const OPTIONS = { spikeThreshold: 5, maxGapMs: 3 * HOUR };

function series(power: number[], windSpeed?: number[], windDirection?: number[]): TurbineSeries {
  return {
    turbineId: 1,
    time: new Float64Array(power.map((_, i) => i * HOUR)),
    power: new Float64Array(power),
    windSpeed: new Float64Array(windSpeed ?? power.map(() => 10)),
    windDirection: new Float64Array(windDirection ?? power.map(() => 180)),
    imputed: new Uint8Array(power.length),
  };
}

Deno.test("cleanSeries treats negative power as impossible and imputes it", () => {
  const turbine = series([2, -1, 4]);
  const counts = cleanSeries(turbine, OPTIONS);
  assert.equal(counts.impossible, 1);
  assert.deepEqual([...turbine.power], [2, 3, 4]);
  assert.equal(turbine.imputed[1], IMPUTED_POWER);
});

Deno.test("cleanSeries treats wind speed above 60 and direction 360 as impossible", () => {
  const turbine = series([2, 2, 2], [10, 61, 10], [0, 360, 20]);
  assert.equal(cleanSeries(turbine, OPTIONS).impossible, 2);
  assert.equal(turbine.windSpeed[1], 10);
  assert.equal(turbine.windDirection[1], 10);
  assert.equal(turbine.imputed[1] & IMPUTED_WIND_DIRECTION, IMPUTED_WIND_DIRECTION);
});

Deno.test("cleanSeries counts missing values per cell, not per row", () => {
  const counts = cleanSeries(series([2, NaN, 4], [10, NaN, 10]), OPTIONS);
  assert.equal(counts.missing, 2);
  assert.equal(counts.imputed, 2);
});

Deno.test("cleanSeries removes a spike and imputes the reading in its place", () => {
  const power = Array.from({ length: 30 }, (_, i) => 3 + (i % 5) / 10);
  power[15] = 250000;
  const turbine = series(power);
  assert.equal(cleanSeries(turbine, OPTIONS).spikes, 1);
  assert.ok(Math.abs(turbine.power[15] - (power[14] + power[16]) / 2) < 1e-12);
});

Deno.test("cleanSeries leaves clean readings untouched", () => {
  const power = Array.from({ length: 48 }, (_, i) => 1.5 + (i * 7 % 31) / 10);
  const turbine = series(power);
  assert.deepEqual(cleanSeries(turbine, OPTIONS), {
    missing: 0,
    impossible: 0,
    spikes: 0,
    imputed: 0,
  });
  assert.deepEqual([...turbine.power], power);
});
