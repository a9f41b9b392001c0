import assert from "node:assert/strict";
import { SeriesBuilder } from "../analysis/turbine_series.ts";

Deno.test("SeriesBuilder.finish sorts rows by time", () => {
  const builder = new SeriesBuilder(1);
  builder.push(3000, 3, 10, 0, 0);
  builder.push(1000, 1, 10, 0, 0);
  builder.push(2000, 2, 10, 0, 0);
  const { series } = builder.finish();
  assert.deepEqual([...series.time], [1000, 2000, 3000]);
  assert.deepEqual([...series.power], [1, 2, 3]);
});

Deno.test("SeriesBuilder.finish keeps the first row seen for a repeated timestamp", () => {
  const builder = new SeriesBuilder(1);
  builder.push(2000, 9, 10, 0, 0);
  builder.push(1000, 1, 10, 0, 0);
  builder.push(2000, 2, 10, 0, 1);
  builder.push(2000, 5, 10, 0, 1);
  const { series, duplicatesByFile } = builder.finish();
  assert.deepEqual([...series.power], [1, 9]);
  assert.deepEqual([...duplicatesByFile], [[1, 2]]);
});

Deno.test("SeriesBuilder grows past its initial capacity", () => {
  const builder = new SeriesBuilder(1);
  for (let i = 0; i < 1000; i++) builder.push(i, i, 10, 0, 0);
  assert.equal(builder.finish().series.power[999], 999);
});
