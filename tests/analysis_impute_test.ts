import assert from "node:assert/strict";
import { imputeLinear } from "../analysis/impute.ts";

const HOUR = 3_600_000;
const hours = (...values: number[]): Float64Array => new Float64Array(values.map((h) => h * HOUR));

Deno.test("imputeLinear interpolates in time, not by position", () => {
  const values = new Float64Array([1, NaN, 4]);
  assert.deepEqual(imputeLinear(hours(0, 1, 3), values, { maxGapMs: 3 * HOUR }), [1]);
  assert.deepEqual([...values], [1, 2, 4]);
});

Deno.test("imputeLinear bridges a gap exactly as long as the maximum", () => {
  const values = new Float64Array([0, NaN, NaN, 3]);
  imputeLinear(hours(0, 1, 2, 3), values, { maxGapMs: 3 * HOUR });
  assert.deepEqual([...values], [0, 1, 2, 3]);
});

Deno.test("imputeLinear leaves gaps longer than the maximum missing", () => {
  const values = new Float64Array([0, NaN, NaN, NaN, 4]);
  assert.deepEqual(imputeLinear(hours(0, 1, 2, 3, 4), values, { maxGapMs: 3 * HOUR }), []);
  assert.ok(values.slice(1, 4).every(Number.isNaN));
});

Deno.test("imputeLinear leaves missing values at the ends missing", () => {
  const values = new Float64Array([NaN, 1, NaN]);
  assert.deepEqual(imputeLinear(hours(0, 1, 2), values, { maxGapMs: 3 * HOUR }), []);
});

Deno.test("imputeLinear interpolates directions along the shorter arc", () => {
  const values = new Float64Array([350, NaN, 10]);
  imputeLinear(hours(0, 1, 2), values, { maxGapMs: 3 * HOUR, period: 360 });
  assert.equal(values[1], 0);
});
