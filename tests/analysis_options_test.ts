import assert from "node:assert/strict";
import { AnalysisError } from "../analysis/analysis_error.ts";
import { parseOptions } from "../analysis/options.ts";

Deno.test("parseOptions applies the defaults", () => {
  const options = parseOptions(["a.csv"]);
  assert.deepEqual(options, {
    windowMs: 86_400_000,
    format: "table",
    out: undefined,
    deleteAfter: false,
    maxGapMs: 10_800_000,
    spikeThreshold: 5,
    kvPath: undefined,
    help: false,
    inputs: ["a.csv"],
  });
});

Deno.test("parseOptions reads every flag, in both --flag value and --flag=value form", () => {
  const options = parseOptions([
    "--window=6h",
    "--format",
    "json",
    "--out",
    "r.json",
    "--delete-after",
    "--max-gap",
    "30m",
    "--spike-threshold",
    "3.5",
    "--kv",
    "x.kv",
    "a.csv",
    "b*.csv",
  ]);
  assert.deepEqual(
    [options.windowMs, options.format, options.out, options.deleteAfter, options.maxGapMs],
    [21_600_000, "json", "r.json", true, 1_800_000],
  );
  assert.deepEqual([options.spikeThreshold, options.kvPath, options.inputs], [3.5, "x.kv", [
    "a.csv",
    "b*.csv",
  ]]);
});

Deno.test("parseOptions names the flag and value of a bad duration", () => {
  assert.throws(
    () => parseOptions(["--window", "1 day", "a.csv"]),
    new AnalysisError("usage", '--window must be a duration like 30m, 6h, 24h or 2d, not "1 day"'),
  );
});

Deno.test("parseOptions rejects an unknown format", () => {
  assert.throws(
    () => parseOptions(["--format", "xml"]),
    /--format must be "table" or "json", not "xml"/,
  );
});

Deno.test("parseOptions rejects a non-positive spike threshold", () => {
  assert.throws(
    () => parseOptions(["--spike-threshold", "0"]),
    /--spike-threshold must be a positive number/,
  );
});

Deno.test("parseOptions rejects a --kv value that is a flag", () => {
  assert.throws(() => parseOptions(["--kv=--format", "a.csv"]), /--kv needs a file path/);
});
