import assert from "node:assert/strict";
import type { AnalysisResult } from "../analysis/analyse_files.ts";
import { formatReport } from "../analysis/report.ts";

const DAY = 86_400_000;
const MARCH_1 = Date.UTC(2022, 2, 1);

function result(): AnalysisResult {
  return {
    files: [{ file: "a.csv", rowsRead: 3, rejected: 1, duplicates: 0 }],
    rows: {
      read: 3,
      valid: 2,
      rejected: 1,
      duplicates: 0,
      missing: 0,
      impossible: 0,
      spikes: 0,
      imputed: 0,
    },
    rejectedByReason: { malformed_line: 0, field_count: 1, bad_timestamp: 0, bad_turbine_id: 0 },
    quarantine: [{ file: "a.csv", line: 3, reason: "Expected 5 fields as in the header, found 2" }],
    windowMs: DAY,
    summaries: [{
      turbineId: 4,
      windowStart: MARCH_1,
      windowEnd: MARCH_1 + DAY,
      min: 1,
      max: 3,
      mean: 2,
      std: 1,
      count: 2,
      imputed: 0,
    }],
    series: [],
    anomalies: [
      {
        kind: "turbine",
        turbineId: 4,
        windowStart: MARCH_1,
        mean: 2,
        fleetMean: 3,
        fleetStd: 0.4,
        z: -2.5,
      },
      {
        kind: "reading",
        turbineId: 4,
        timestamp: MARCH_1,
        powerOutput: 1,
        windowMean: 2,
        windowStd: 0.4,
      },
    ],
  };
}

Deno.test("formatReport json uses snake_case keys and ISO-8601 UTC times", () => {
  const json = JSON.parse(formatReport(result(), "json"));
  assert.equal(json.window_seconds, 86_400);
  assert.deepEqual(json.summaries[0], {
    turbine_id: 4,
    window_start: "2022-03-01T00:00:00.000Z",
    window_end: "2022-03-02T00:00:00.000Z",
    min: 1,
    max: 3,
    mean: 2,
    count: 2,
    imputed: 0,
  });
  assert.deepEqual(json.anomalies, [
    {
      kind: "turbine",
      turbine_id: 4,
      window_start: "2022-03-01T00:00:00.000Z",
      mean: 2,
      fleet_mean: 3,
      fleet_std: 0.4,
      z: -2.5,
    },
    {
      kind: "reading",
      turbine_id: 4,
      timestamp: "2022-03-01T00:00:00.000Z",
      power_output: 1,
      window_mean: 2,
      window_std: 0.4,
    },
  ]);
});

Deno.test("formatReport json includes the quarantine and its total", () => {
  const json = JSON.parse(formatReport(result(), "json"));
  assert.deepEqual(json.quarantine, [{
    file: "a.csv",
    line: 3,
    reason: "Expected 5 fields as in the header, found 2",
  }]);
  assert.equal(json.quarantine_total, 1);
});

Deno.test("formatReport table lists files, counts and the top anomalies", () => {
  const table = formatReport(result(), "table");
  assert.match(table, /a\.csv\s+3\s+1\s+0/);
  assert.match(table, /Summaries: 1 turbine-windows over 1 turbines/);
  assert.match(table, /Anomalies: 1 turbine, 1 reading/);
  assert.match(
    table,
    /turbine 4 {2}2022-03-01T00:00:00\.000Z {2}mean 2\.000 {2}fleet 3\.000 ± 0\.400 {2}z -2\.500/,
  );
  assert.match(table, /a\.csv:3 {2}Expected 5 fields/);
});
