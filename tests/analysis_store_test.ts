import assert from "node:assert/strict";
import { join } from "node:path";
import { analyseFiles, type AnalysisResult } from "../analysis/analyse_files.ts";
import type { ReadingAnomaly, TurbineAnomaly, WindowSummary } from "../analysis/summarise.ts";
import type { TurbineSeries } from "../analysis/turbine_series.ts";
import { AnalysisStore, CLEAN_ROWS_PER_PART } from "../store/analysis_store.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MARCH_1 = Date.UTC(2022, 2, 1);
const SHIPPED = ["data/data_group_1.csv", "data/data_group_2.csv", "data/data_group_3.csv"];
const SETTINGS = { windowMs: DAY, maxGapMs: 3 * HOUR, spikeThreshold: 5 };

async function withKvFile(test: (path: string) => Promise<void>): Promise<void> {
  const directory = await Deno.makeTempDir({ prefix: "analysis_store_" });
  try {
    await test(join(directory, "analysis.kv"));
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
}

function withStore(test: (store: AnalysisStore) => Promise<void>): Promise<void> {
  return withKvFile(async (path) => {
    const store = new AnalysisStore(await Deno.openKv(path));
    try {
      await test(store);
    } finally {
      store.kv.close();
    }
  });
}

function summary(turbineId: number, windowStart: number, mean: number, windowMs = DAY) {
  return {
    turbineId,
    windowStart,
    windowEnd: windowStart + windowMs,
    min: mean - 1,
    max: mean + 1,
    mean,
    std: 0.5,
    count: 24,
    imputed: 0,
  } satisfies WindowSummary;
}

function readingAnomaly(turbineId: number, timestamp: number): ReadingAnomaly {
  return { kind: "reading", turbineId, timestamp, powerOutput: 9, windowMean: 2, windowStd: 1 };
}

function turbineAnomaly(turbineId: number, windowStart: number): TurbineAnomaly {
  return { kind: "turbine", turbineId, windowStart, mean: 9, fleetMean: 2, fleetStd: 1, z: 7 };
}

function resultOf(
  summaries: WindowSummary[],
  anomalies: (TurbineAnomaly | ReadingAnomaly)[] = [],
  windowMs = DAY,
): AnalysisResult {
  return withCleaned({
    files: [{ file: "a.csv", rowsRead: 1, rejected: 0, duplicates: 0 }],
    rows: {
      read: 1,
      valid: 1,
      rejected: 0,
      duplicates: 0,
      missing: 0,
      impossible: 0,
      spikes: 0,
      imputed: 0,
    },
    rejectedByReason: { malformed_line: 0, field_count: 0, bad_timestamp: 0, bad_turbine_id: 0 },
    quarantine: [],
    windowMs,
    summaries,
    anomalies,
  }, []);
}

/** A series of `rows` hourly readings of turbine 1 from March 1st, power = row number. */
function hourlySeries(rows: number, stepMs = HOUR): TurbineSeries {
  const series: TurbineSeries = {
    turbineId: 1,
    time: new Float64Array(rows),
    power: new Float64Array(rows),
    windSpeed: new Float64Array(rows),
    windDirection: new Float64Array(rows),
    imputed: new Uint8Array(rows),
  };
  for (let i = 0; i < rows; i++) {
    series.time[i] = MARCH_1 + i * stepMs;
    series.power[i] = i;
    series.windSpeed[i] = 10 + (i % 7);
    series.windDirection[i] = i % 360;
    series.imputed[i] = i % 5 === 0 ? 1 : 0;
  }
  series.power[3] = NaN;
  return series;
}

/** A result carrying cleaned series, as `AnalysisResult.series` is to hold them. */
function withCleaned(
  result: Omit<AnalysisResult, "series">,
  series: TurbineSeries[],
): AnalysisResult {
  return Object.assign({}, result, { series });
}

async function entries(kv: Deno.Kv, section: string): Promise<[Deno.KvKey, unknown][]> {
  const found: [Deno.KvKey, unknown][] = [];
  for await (const entry of kv.list({ prefix: ["analysis", section] })) {
    found.push([entry.key, entry.value]);
  }
  return found;
}

function byTurbineThenWindow(a: WindowSummary, b: WindowSummary): number {
  return a.turbineId - b.turbineId || a.windowStart - b.windowStart;
}

Deno.test("the shipped files' 465 daily summaries read back exactly and survive reopening", async () => {
  const result = await analyseFiles(SHIPPED, SETTINGS);
  const expected = [...result.summaries].sort(byTurbineThenWindow);
  assert.equal(expected.length, 465);
  await withKvFile(async (path) => {
    const first = new AnalysisStore(await Deno.openKv(path));
    await first.saveResults("run-1", result);
    assert.deepEqual((await first.listSummaries({ limit: 10_000 })).items, expected);
    first.kv.close();
    const reopened = new AnalysisStore(await Deno.openKv(path));
    try {
      assert.deepEqual((await reopened.listSummaries({ limit: 10_000 })).items, expected);
    } finally {
      reopened.kv.close();
    }
  });
});

Deno.test("saving the same result twice leaves the same summary, anomaly and clean keys and values", async () => {
  const result = await analyseFiles(SHIPPED, SETTINGS);
  const withSeries = withCleaned(result, [hourlySeries(48)]);
  await withStore(async (store) => {
    await store.saveResults("run-1", withSeries);
    const sections = ["summary", "anomaly", "clean"];
    const before = await Promise.all(sections.map((section) => entries(store.kv, section)));
    const counts = await store.saveResults("run-2", withSeries);
    const after = await Promise.all(sections.map((section) => entries(store.kv, section)));
    assert.deepEqual(after, before);
    assert.equal(counts.deleted, 0);
    assert.equal(before[0].length, 465);
    assert.equal(before[1].length, result.anomalies.length);
    assert.ok(before[1].length > 0, "the shipped files have anomalies");
  });
});

Deno.test("a re-run deletes stale anomalies of the turbine-windows it covers and keeps the others", async () => {
  const day2 = MARCH_1 + DAY;
  await withStore(async (store) => {
    await store.saveResults(
      "run-1",
      resultOf([summary(1, MARCH_1, 2), summary(1, day2, 3), summary(2, MARCH_1, 4)], [
        turbineAnomaly(1, MARCH_1),
        readingAnomaly(1, MARCH_1 + 5 * HOUR),
        readingAnomaly(1, day2 + HOUR),
        readingAnomaly(2, MARCH_1 + HOUR),
      ]),
    );
    const counts = await store.saveResults("run-2", resultOf([summary(1, MARCH_1, 5)]));
    assert.equal(counts.deleted, 2);
    const anomalies = (await store.listAnomalies()).items;
    assert.deepEqual(anomalies, [
      readingAnomaly(1, day2 + HOUR),
      readingAnomaly(2, MARCH_1 + HOUR),
    ]);
    const means = (await store.listSummaries()).items.map((s) => [s.turbineId, s.mean]);
    assert.deepEqual(means, [[1, 5], [1, 3], [2, 4]]);
  });
});

Deno.test("a run with a longer window replaces the shorter windows starting inside its windows", async () => {
  await withStore(async (store) => {
    const sixHours = 6 * HOUR;
    await store.saveResults(
      "run-1",
      resultOf(
        [0, 1, 2, 3, 4].map((i) => summary(1, MARCH_1 + i * sixHours, i, sixHours)),
        [],
        sixHours,
      ),
    );
    await store.saveResults("run-2", resultOf([summary(1, MARCH_1, 7)]));
    const starts = (await store.listSummaries()).items.map((s) => [s.windowStart, s.windowEnd]);
    assert.deepEqual(starts, [[MARCH_1, MARCH_1 + DAY], [
      MARCH_1 + 4 * sixHours,
      MARCH_1 + 5 * sixHours,
    ]]);
  });
});

Deno.test("cleaned readings are stored in typed-array parts and read back by time range", async () => {
  const rows = 2 * CLEAN_ROWS_PER_PART + 10;
  const series = hourlySeries(rows, 1000);
  await withStore(async (store) => {
    await store.saveResults("run-1", withCleaned(resultOf([summary(1, MARCH_1, 1)]), [series]));
    const parts = await entries(store.kv, "clean");
    assert.deepEqual(
      parts.map(([key]) => key),
      [0, 1, 2].map((part) => [
        "analysis",
        "clean",
        1,
        MARCH_1,
        part,
      ]),
    );
    assert.ok(
      parts.every(([, value]) => (value as { time: unknown }).time instanceof Float64Array),
    );
    assert.deepEqual(await store.cleanReadings(1), series);
    const middle = await store.cleanReadings(1, {
      since: MARCH_1 + 100_000,
      until: MARCH_1 + 200_000,
    });
    assert.deepEqual([...middle.time], [...series.time.slice(100, 200)]);
    assert.ok(Number.isNaN((await store.cleanReadings(1)).power[3]));
  });
});

Deno.test("a re-run with fewer cleaned readings deletes the parts it no longer needs", async () => {
  await withStore(async (store) => {
    const window = resultOf([summary(1, MARCH_1, 1)]);
    await store.saveResults(
      "run-1",
      withCleaned(window, [hourlySeries(3 * CLEAN_ROWS_PER_PART, 1)]),
    );
    await store.saveResults("run-2", withCleaned(window, [hourlySeries(10, 1)]));
    assert.equal((await entries(store.kv, "clean")).length, 1);
    assert.equal((await store.cleanReadings(1)).time.length, 10);
  });
});

Deno.test("a turbine-window larger than one commit is written in several commits", async () => {
  // 40 parts of about 50 KB: 2 MB, more than Deno KV's 800 KiB per commit.
  const rows = 40 * CLEAN_ROWS_PER_PART;
  await withStore(async (store) => {
    const counts = await store.saveResults(
      "run-1",
      withCleaned(resultOf([summary(1, MARCH_1, 1)]), [hourlySeries(rows, 1)]),
    );
    assert.equal(counts.cleanParts, 40);
    assert.equal((await store.cleanReadings(1)).time.length, rows);
  });
});

Deno.test("more than 1,000 summaries are written in several commits", async () => {
  const summaries = Array.from(
    { length: 2_500 },
    (_, i) => summary(1 + (i % 5), MARCH_1 + Math.floor(i / 5) * DAY, i),
  );
  await withStore(async (store) => {
    await store.saveResults("run-1", resultOf(summaries));
    assert.equal((await store.listSummaries({ limit: 10_000 })).items.length, 2_500);
  });
});

Deno.test("listSummaries filters by turbine and window start and pages with a cursor", async () => {
  const summaries = [1, 2].flatMap((turbine) =>
    [0, 1, 2, 3].map((day) => summary(turbine, MARCH_1 + day * DAY, turbine * 10 + day))
  );
  await withStore(async (store) => {
    await store.saveResults("run-1", resultOf(summaries));
    const ranged = await store.listSummaries({
      turbine: 2,
      since: MARCH_1 + DAY,
      until: MARCH_1 + 3 * DAY,
    });
    assert.deepEqual(ranged.items.map((s) => s.mean), [21, 22]);
    const allTurbines = await store.listSummaries({ since: MARCH_1 + 3 * DAY });
    assert.deepEqual(allTurbines.items.map((s) => s.mean), [13, 23]);
    const first = await store.listSummaries({ limit: 3 });
    assert.deepEqual(first.items.map((s) => s.mean), [10, 11, 12]);
    assert.notEqual(first.cursor, null);
    const rest = await store.listSummaries({ limit: 10, cursor: first.cursor! });
    assert.deepEqual(rest.items.map((s) => s.mean), [13, 20, 21, 22, 23]);
    assert.equal(rest.cursor, null);
  });
});

Deno.test("listAnomalies filters by kind, turbine and time and pages across kinds", async () => {
  const anomalies = [
    turbineAnomaly(1, MARCH_1),
    turbineAnomaly(2, MARCH_1 + DAY),
    readingAnomaly(1, MARCH_1 + HOUR),
    readingAnomaly(2, MARCH_1 + DAY + HOUR),
  ];
  const summaries = [summary(1, MARCH_1, 1), summary(2, MARCH_1 + DAY, 1)];
  await withStore(async (store) => {
    await store.saveResults("run-1", resultOf(summaries, anomalies));
    assert.deepEqual((await store.listAnomalies()).items, anomalies);
    assert.deepEqual((await store.listAnomalies({ kind: "reading" })).items, anomalies.slice(2));
    assert.deepEqual((await store.listAnomalies({ turbine: 2 })).items, [
      anomalies[1],
      anomalies[3],
    ]);
    assert.deepEqual((await store.listAnomalies({ until: MARCH_1 + DAY })).items, [
      anomalies[0],
      anomalies[2],
    ]);
    const first = await store.listAnomalies({ limit: 2 });
    const rest = await store.listAnomalies({ limit: 2, cursor: first.cursor! });
    assert.deepEqual([...first.items, ...rest.items], anomalies);
    assert.equal(rest.cursor, null);
  });
});

Deno.test("a cursor the store did not hand out is a TypeError", async () => {
  await withStore(async (store) => {
    await assert.rejects(store.listSummaries({ cursor: "nonsense" }), TypeError);
  });
});

Deno.test("run records sort by start time, record success counts and failures", async () => {
  await withStore(async (store) => {
    const settings = { windowMs: DAY, maxGapMs: 3 * HOUR, spikeThreshold: 5 };
    const older = await store.createRun({
      ...settings,
      files: ["a.csv"],
      status: "running",
      startedAt: MARCH_1,
    });
    const newer = await store.createRun({
      ...settings,
      files: ["b.csv"],
      status: "queued",
      startedAt: MARCH_1 + 1000,
    });
    await store.completeRun(older.id, resultOf([summary(1, MARCH_1, 1)]), MARCH_1 + 250);
    assert.deepEqual((await store.listRuns()).map((run) => run.id), [newer.id, older.id]);
    const done = (await store.getRun(older.id))!;
    assert.equal(done.status, "succeeded");
    assert.equal(done.duration_ms, 250);
    assert.equal(done.summaries, 1);
    assert.equal(done.window_seconds, 86_400);
    assert.equal(await store.failInterruptedRuns(), 1);
    assert.equal(
      (await store.getRun(newer.id))!.error,
      "The server stopped before the run finished",
    );
    assert.equal(await store.getRun("nope"), null);
  });
});

Deno.test("the quarantine of a run is stored and read back", async () => {
  await withStore(async (store) => {
    const quarantine = [{
      file: "a.csv",
      line: 3,
      reason: "Expected 5 fields as in the header, found 2",
    }];
    await store.saveResults("run-1", { ...resultOf([summary(1, MARCH_1, 1)]), quarantine });
    assert.deepEqual(await store.listQuarantine("run-1"), quarantine);
    assert.deepEqual(await store.listQuarantine("run-2"), []);
  });
});
