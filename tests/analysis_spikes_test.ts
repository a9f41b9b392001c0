import assert from "node:assert/strict";
import { findSpikes } from "../analysis/spikes.ts";

/** Readings quantised to 0.1 between 1.5 and 4.5, like the shipped files. */
function quantisedReadings(count: number, seed: number): Float64Array {
  const values = new Float64Array(count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (state * 48271) % 2147483647;
    values[i] = Math.round(15 + (state / 2147483647) * 30) / 10;
  }
  return values;
}

Deno.test("findSpikes flags a lone 250000 among readings near 3", () => {
  const values = quantisedReadings(200, 7);
  values[100] = 250000;
  const flags = findSpikes(values, 5);
  assert.deepEqual([...flags.keys()].filter((i) => flags[i] === 1), [100]);
});

Deno.test("findSpikes floors the scale with the whole series' MAD where the local MAD is 0", () => {
  const values = quantisedReadings(300, 3);
  values.fill(3, 100, 113);
  values[106] = 3.4;
  assert.equal(findSpikes(values, 5)[106], 0);
});

Deno.test("findSpikes keeps a whole day of underperformance", () => {
  const values = quantisedReadings(24 * 7, 11);
  for (let i = 72; i < 96; i++) values[i] = Math.round(values[i] * 4) / 10;
  assert.equal(findSpikes(values, 5).reduce((total, flag) => total + flag, 0), 0);
});

Deno.test("findSpikes flags a spike in a mostly constant series", () => {
  const values = new Float64Array(50).fill(0);
  values[10] = 2.1;
  values[30] = 250000;
  const flags = findSpikes(values, 5);
  assert.deepEqual([...flags.keys()].filter((i) => flags[i] === 1), [30]);
});

Deno.test("findSpikes handles series shorter than the window", () => {
  assert.deepEqual([...findSpikes(new Float64Array([3, 3.1, 250000]), 5)], [0, 0, 1]);
  assert.deepEqual([...findSpikes(new Float64Array([]), 5)], []);
});
