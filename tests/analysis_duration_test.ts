import assert from "node:assert/strict";
import { parseDuration } from "../analysis/duration.ts";

Deno.test("parseDuration reads minutes, hours and days", () => {
  assert.equal(parseDuration("30m"), 30 * 60_000);
  assert.equal(parseDuration("6h"), 6 * 3_600_000);
  assert.equal(parseDuration("2d"), 2 * 86_400_000);
});

Deno.test("parseDuration adds up combined units", () => {
  assert.equal(parseDuration("1h30m"), 90 * 60_000);
});

Deno.test("parseDuration rejects zero, missing units and unknown units", () => {
  for (const text of ["", "0h", "24", "h", "1w", "-1h", "1.5h", "24 h"]) {
    assert.equal(parseDuration(text), undefined, text);
  }
});
