import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runAnalysis } from "../analysis/main.ts";
import type { JsonReport } from "../analysis/report.ts";

const DATA = fileURLToPath(new URL("../data/", import.meta.url));
const FILES = [1, 2, 3].map((group) => `${DATA}data_group_${group}.csv`);

interface DayStats {
  min: number;
  max: number;
  sum: number;
  count: number;
}

/** Min, max and mean of each turbine's raw power per UTC day, computed without the pipeline. */
async function rawDailyStats(): Promise<Map<string, DayStats>> {
  const stats = new Map<string, DayStats>();
  for (const file of FILES) {
    const [header, ...lines] = (await Deno.readTextFile(file)).trim().split("\n");
    assert.equal(header, "timestamp,turbine_id,wind_speed,wind_direction,power_output");
    for (const line of lines) {
      const [timestamp, turbineId, , , power] = line.split(",");
      const key = `${turbineId} ${timestamp.slice(0, 10)}T00:00:00.000Z`;
      const value = Number(power);
      const day = stats.get(key);
      if (day === undefined) stats.set(key, { min: value, max: value, sum: value, count: 1 });
      else {
        day.min = Math.min(day.min, value);
        day.max = Math.max(day.max, value);
        day.sum += value;
        day.count++;
      }
    }
  }
  return stats;
}

async function analyseShippedFiles(): Promise<JsonReport> {
  let output = "";
  const code = await runAnalysis(["--format", "json", "--window", "24h", ...FILES], {
    stdout: (text) => Promise.resolve(void (output += text)),
  });
  assert.equal(code, 0);
  return JSON.parse(output);
}

const report = await analyseShippedFiles();

Deno.test("shipped files give 15 turbines × 31 days = 465 daily summaries", () => {
  assert.equal(report.summaries.length, 465);
  assert.equal(new Set(report.summaries.map((s) => s.turbine_id)).size, 15);
  assert.equal(new Set(report.summaries.map((s) => s.window_start)).size, 31);
});

Deno.test("shipped files' daily summaries equal the raw readings' min, max and mean", async () => {
  const expected = await rawDailyStats();
  assert.equal(expected.size, 465);
  for (const summary of report.summaries) {
    const key = `${summary.turbine_id} ${summary.window_start}`;
    const day = expected.get(key);
    assert.ok(day !== undefined, key);
    assert.deepEqual(
      [summary.min, summary.max, summary.mean, summary.count, summary.imputed],
      [day.min, day.max, day.sum / day.count, day.count, 0],
      key,
    );
  }
});

Deno.test("shipped files' daily windows start at UTC midnight and last a day", () => {
  for (const summary of report.summaries) {
    assert.match(summary.window_start, /^2022-03-\d\dT00:00:00\.000Z$/);
    assert.equal(Date.parse(summary.window_end) - Date.parse(summary.window_start), 86_400_000);
  }
});

Deno.test("shipped files are clean: nothing rejected, missing, removed or imputed", () => {
  assert.deepEqual(report.rows, {
    read: 11_160,
    valid: 11_160,
    rejected: 0,
    duplicates: 0,
    missing: 0,
    impossible: 0,
    spikes: 0,
    imputed: 0,
  });
  assert.deepEqual(report.quarantine, []);
});
