/**
 * One generated fleet with every defect the cleaner must handle, each placed
 * on its own turbine-day so that its effect can be checked exactly.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAnalysis } from "../analysis/main.ts";
import type { JsonReport, JsonTurbineAnomaly } from "../analysis/report.ts";

const HOUR = 3_600_000;
const START = Date.UTC(2022, 2, 1);
const DAYS = 7;
const TURBINES = 10;

interface Row {
  turbine: number;
  time: number;
  windSpeed: string;
  windDirection: string;
  power: string;
}

function stamp(time: number): string {
  return new Date(time).toISOString().slice(0, 19).replace("T", " ");
}

function basePower(turbine: number, hour: number): number {
  return 2.9 + ((hour * 7 + turbine * 13) % 3) / 10;
}

/** The fleet's rows per turbine, in time order, with the defects applied. */
function fleetRows(): Row[] {
  const rows: Row[] = [];
  for (let turbine = 1; turbine <= TURBINES; turbine++) {
    for (let hour = 0; hour < DAYS * 24; hour++) {
      const day = Math.floor(hour / 24);
      if (turbine === 8 && (day === 4 || day === 5)) continue; // a 48 h outage: no rows at all
      let power = basePower(turbine, hour).toFixed(1);
      if (turbine === 10 && day === 3) power = (basePower(turbine, hour) * 0.4).toFixed(2);
      if (turbine === 9 && (day === 4 || day === 5)) power = ""; // 48 h of blank power
      const row: Row = {
        turbine,
        time: START + hour * HOUR,
        windSpeed: (9 + (hour % 60) / 10).toFixed(1),
        windDirection: String((hour * 37 + turbine * 11) % 360),
        power,
      };
      if (turbine === 2 && hour === 24 + 5) row.power = "";
      if (turbine === 2 && hour === 24 + 10) row.power = "NaN";
      if (turbine === 2 && hour === 24 + 12) row.windSpeed = "N/A";
      if (turbine === 5 && hour === 48 + 3) row.power = "-5";
      if (turbine === 6 && hour === 48 + 12) row.power = "250000";
      rows.push(row);
      if (turbine === 7 && hour === 72 + 7) rows.push({ ...row, power: "99" });
    }
  }
  return rows;
}

function standardLine(row: Row): string {
  return `${stamp(row.time)},${row.turbine},${row.windSpeed},${row.windDirection},${row.power}`;
}

/** Deterministic shuffle, so that file A's rows arrive out of order. */
function shuffled<T>(items: T[]): T[] {
  const result = [...items];
  let state = 42;
  for (let i = result.length - 1; i > 0; i--) {
    state = (state * 48271) % 2147483647;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j], result[i]];
  }
  return result;
}

async function writeFleet(directory: string): Promise<void> {
  const rows = fleetRows();
  const header = "timestamp,turbine_id,wind_speed,wind_direction,power_output";
  const turbine1Split = START + 3 * 24 * HOUR;
  // File A: LF, rows shuffled; turbines 1–4, but turbine 1 only for its first three days.
  const a = rows.filter((r) => r.turbine <= 4 && (r.turbine !== 1 || r.time < turbine1Split));
  await Deno.writeTextFile(
    join(directory, "fleet_a.csv"),
    [header, ...shuffled(a).map(standardLine)].join("\n") + "\n",
  );
  // File B: CRLF; turbines 5–7 and the rest of turbine 1.
  const b = rows.filter((r) =>
    (r.turbine >= 5 && r.turbine <= 7) || (r.turbine === 1 && r.time >= turbine1Split)
  );
  await Deno.writeTextFile(
    join(directory, "fleet_b.csv"),
    [header, ...b.map(standardLine)].join("\r\n") + "\r\n",
  );
  // File C: shuffled columns plus extra ones; turbines 8–10.
  const c = rows.filter((r) => r.turbine >= 8);
  await Deno.writeTextFile(
    join(directory, "fleet_c.csv"),
    [
      "power_output,site,turbine_id,wind_direction,timestamp,wind_speed,notes",
      ...c.map((r) =>
        `${r.power},north,${r.turbine},${r.windDirection},${
          stamp(r.time)
        },${r.windSpeed},"ok, checked"`
      ),
    ].join("\n") + "\n",
  );
}

const directory = await Deno.makeTempDir({ prefix: "analysis_defects_" });
globalThis.addEventListener("unload", () => Deno.removeSync(directory, { recursive: true }));
await writeFleet(directory);

let output = "";
const exitCode = await runAnalysis(
  ["--format", "json", "--window", "24h", "--max-gap", "3h", join(directory, "fleet_*.csv")],
  { stdout: (text) => Promise.resolve(void (output += text)) },
);
const report: JsonReport = JSON.parse(output);

function summary(turbine: number, day: number): JsonReport["summaries"][number] | undefined {
  const windowStart = new Date(START + day * 24 * HOUR).toISOString();
  return report.summaries.find((s) => s.turbine_id === turbine && s.window_start === windowStart);
}

Deno.test("generated fleet: the run succeeds and reads all three files found by the glob", () => {
  assert.equal(exitCode, 0);
  assert.deepEqual(
    report.files.map((f) => [f.file.slice(directory.length + 1), f.rejected]),
    [["fleet_a.csv", 0], ["fleet_b.csv", 0], ["fleet_c.csv", 0]],
  );
});

Deno.test("generated fleet: blank, NaN and N/A cells are missing and imputed", () => {
  const day = summary(2, 1)!;
  assert.equal(day.count, 24);
  assert.equal(day.imputed, 2);
  assert.equal(report.rows.missing, 2 + 1 + 48);
});

Deno.test("generated fleet: negative power is impossible and replaced by interpolation", () => {
  assert.equal(report.rows.impossible, 1);
  assert.ok(summary(5, 2)!.min >= 2.9);
  assert.equal(summary(5, 2)!.imputed, 1);
});

Deno.test("generated fleet: the 250000 spike is removed and imputed", () => {
  assert.equal(report.rows.spikes, 1);
  assert.ok(summary(6, 2)!.max <= 3.1);
  assert.equal(summary(6, 2)!.imputed, 1);
});

Deno.test("generated fleet: a duplicate row is counted and the first one kept", () => {
  assert.equal(report.rows.duplicates, 1);
  assert.equal(report.files[1].duplicates, 1);
  assert.ok(summary(7, 3)!.max <= 3.1);
  assert.equal(summary(7, 3)!.count, 24);
});

Deno.test("generated fleet: a 48 h outage produces no summaries for its days", () => {
  assert.equal(summary(8, 4), undefined);
  assert.equal(summary(8, 5), undefined);
  assert.equal(summary(8, 6)!.count, 24);
});

Deno.test("generated fleet: 48 h of blank power is not imputed with max-gap 3h", () => {
  assert.equal(summary(9, 4), undefined);
  assert.equal(summary(9, 5), undefined);
  assert.equal(summary(9, 3)!.imputed, 0);
  assert.equal(summary(9, 6)!.imputed, 0);
  assert.equal(report.rows.imputed, 2 + 1 + 1 + 1);
});

Deno.test("generated fleet: the CRLF file's numbers are read whole", () => {
  assert.equal(report.files[1].rows_read, 3 * DAYS * 24 + 4 * 24 + 1);
  assert.equal(summary(7, 0)!.max, 3.1);
});

Deno.test("generated fleet: shuffled and extra columns are mapped by header", () => {
  const day = summary(10, 0)!;
  const expected = Array.from({ length: 24 }, (_, h) => Number(basePower(10, h).toFixed(1)));
  assert.deepEqual([day.min, day.max], [Math.min(...expected), Math.max(...expected)]);
});

Deno.test("generated fleet: a turbine split across two files has all its days", () => {
  const days = report.summaries.filter((s) => s.turbine_id === 1);
  assert.equal(days.length, DAYS);
  assert.ok(days.every((s) => s.count === 24 && s.imputed === 0));
});

Deno.test("generated fleet: every untouched turbine-day equals its raw readings", () => {
  const touched = new Set(["2 1", "5 2", "6 2", "10 3"]);
  for (const s of report.summaries) {
    const day = (Date.parse(s.window_start) - START) / (24 * HOUR);
    if (touched.has(`${s.turbine_id} ${day}`)) continue;
    const raw = Array.from(
      { length: 24 },
      (_, h) => Number(basePower(s.turbine_id, day * 24 + h).toFixed(1)),
    );
    const mean = raw.reduce((total, value) => total + value, 0) / raw.length;
    assert.deepEqual([s.min, s.max, s.mean, s.count], [
      Math.min(...raw),
      Math.max(...raw),
      mean,
      24,
    ]);
  }
  assert.equal(report.summaries.length, TURBINES * DAYS - 4);
});

Deno.test("generated fleet: a day at 40% power is kept, not removed as spikes", () => {
  const day = summary(10, 3)!;
  assert.equal(day.count, 24);
  assert.equal(day.imputed, 0);
  assert.ok(day.mean < 1.3);
});

Deno.test("generated fleet: a day at 40% power is the day's only turbine anomaly", () => {
  const day3 = new Date(START + 3 * 24 * HOUR).toISOString();
  const anomalies = report.anomalies.filter((a): a is JsonTurbineAnomaly =>
    a.kind === "turbine" && a.window_start === day3
  );
  assert.deepEqual(anomalies.map((a) => a.turbine_id), [10]);
  assert.ok(anomalies[0].z < -2);
});
