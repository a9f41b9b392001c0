import assert from "node:assert/strict";
import { IMPUTED_POWER } from "../analysis/clean.ts";
import { findTurbineAnomalies, summarise, type WindowSummary } from "../analysis/summarise.ts";
import type { TurbineSeries } from "../analysis/turbine_series.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function series(turbineId: number, times: number[], power: number[]): TurbineSeries {
  return {
    turbineId,
    time: new Float64Array(times),
    power: new Float64Array(power),
    windSpeed: new Float64Array(times.length),
    windDirection: new Float64Array(times.length),
    imputed: new Uint8Array(times.length),
  };
}

function windowSummary(turbineId: number, mean: number): WindowSummary {
  return {
    turbineId,
    windowStart: 0,
    windowEnd: DAY,
    min: mean,
    max: mean,
    mean,
    std: 0,
    count: 1,
    imputed: 0,
  };
}

Deno.test("summarise puts a reading at the window end into the next window", () => {
  const { summaries } = summarise([series(1, [DAY - HOUR, DAY], [1, 5])], DAY);
  assert.deepEqual(summaries.map((s) => [s.windowStart, s.mean]), [[0, 1], [DAY, 5]]);
});

Deno.test("summarise aligns windows to multiples of the window since the epoch", () => {
  const start = Date.UTC(2022, 2, 1, 5);
  const { summaries } = summarise([series(1, [start], [1])], 6 * HOUR);
  assert.equal(summaries[0].windowStart, Date.UTC(2022, 2, 1, 0));
  assert.equal(summaries[0].windowEnd, Date.UTC(2022, 2, 1, 6));
});

Deno.test("summarise produces no summary for windows without power", () => {
  const { summaries } = summarise([series(1, [0, DAY, 3 * DAY], [2, NaN, 4])], DAY);
  assert.deepEqual(summaries.map((s) => s.windowStart), [0, 3 * DAY]);
});

Deno.test("summarise reports min, max, mean, count and imputed count", () => {
  const turbine = series(1, [0, HOUR, 2 * HOUR], [1, 2, 6]);
  turbine.imputed[1] = IMPUTED_POWER;
  const [summary] = summarise([turbine], DAY).summaries;
  assert.deepEqual(
    [summary.min, summary.max, summary.mean, summary.count, summary.imputed],
    [1, 6, 3, 3, 1],
  );
});

Deno.test("summarise flags a reading outside its window mean ± 2 std", () => {
  const power = [...Array(20).fill(3), 10];
  const times = power.map((_, i) => i * HOUR);
  const readings = summarise([series(1, times, power)], DAY).anomalies;
  assert.deepEqual(readings.map((a) => a.kind === "reading" && a.timestamp), [20 * HOUR]);
});

Deno.test("summarise does not flag imputed readings", () => {
  const power = [...Array(20).fill(3), 10];
  const turbine = series(1, power.map((_, i) => i * HOUR), power);
  turbine.imputed[20] = IMPUTED_POWER;
  assert.deepEqual(summarise([turbine], DAY).anomalies, []);
});

Deno.test("findTurbineAnomalies flags a turbine mean beyond 2 fleet std with its z", () => {
  const summaries = [3, 3.1, 2.9, 3, 3.05, 2.95, 3, 1.2].map((m, i) => windowSummary(i + 1, m));
  const anomalies = findTurbineAnomalies(summaries);
  assert.deepEqual(anomalies.map((a) => a.turbineId), [8]);
  assert.ok(anomalies[0].z < -2);
});

Deno.test("findTurbineAnomalies ignores a fleet whose means are all equal", () => {
  assert.deepEqual(findTurbineAnomalies([1, 2, 3].map((id) => windowSummary(id, 0.3))), []);
});
