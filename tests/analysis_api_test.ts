import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OpenAPIHono } from "@hono/zod-openapi";
import { analyseFiles } from "../analysis/analyse_files.ts";
import { analysisRouter, MAX_UPLOAD_BYTES } from "../routes/analysis.ts";
import { handleError } from "../routes/api_error.ts";
import { AnalysisStore } from "../store/analysis_store.ts";

const SHIPPED_DIR = fileURLToPath(new URL("../data/", import.meta.url));
const SHIPPED = ["data_group_1.csv", "data_group_2.csv", "data_group_3.csv"];
const HEADER = "timestamp,turbine_id,wind_speed,wind_direction,power_output";
const GOOD = `${HEADER}\n2022-03-01 00:00:00,1,11.8,169,2.7\n2022-03-01 01:00:00,1,11.0,170,2.9\n`;

interface Harness {
  app: OpenAPIHono;
  store: AnalysisStore;
  dataDir: string;
  directory: string;
}

/** An app with only the analysis routes, a real KV file and a data directory with the shipped files. */
async function withApp(test: (harness: Harness) => Promise<void>): Promise<void> {
  const directory = await Deno.makeTempDir({ prefix: "analysis_api_" });
  const dataDir = join(directory, "data");
  await Deno.mkdir(dataDir);
  for (const name of SHIPPED) await Deno.copyFile(join(SHIPPED_DIR, name), join(dataDir, name));
  const kv = await Deno.openKv(join(directory, "gridfleet.kv"));
  const store = new AnalysisStore(kv);
  const app = new OpenAPIHono();
  app.onError(handleError);
  app.route("/", analysisRouter({ store, dataDir }));
  try {
    await test({ app, store, dataDir, directory });
  } finally {
    kv.close();
    await Deno.remove(directory, { recursive: true });
  }
}

// deno-lint-ignore no-explicit-any
type Json = any;

async function request(app: OpenAPIHono, path: string, init?: RequestInit) {
  const response = await app.request(path, init);
  return {
    status: response.status,
    headers: response.headers,
    body: await response.json() as Json,
  };
}

function postRun(app: OpenAPIHono, body: unknown) {
  return request(app, "/api/analysis/runs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

function uploadCsv(app: OpenAPIHono, csv: string, query = "") {
  return request(app, `/api/analysis/runs${query}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: csv,
  });
}

/** Polls the run until it has finished; the run always ends, so this never waits on luck. */
async function finished(app: OpenAPIHono, id: string): Promise<Json> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { status, body } = await request(app, `/api/analysis/runs/${id}`);
    assert.equal(status, 200);
    if (body.status === "succeeded" || body.status === "failed") return body;
    if (Date.now() > deadline) throw new Error(`Run ${id} still ${body.status} after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("POST /api/analysis/runs by file paths runs to succeeded and stores the 465 daily summaries exactly", async () => {
  const expected = await analyseFiles(SHIPPED.map((name) => join(SHIPPED_DIR, name)), {
    windowMs: 86_400_000,
    maxGapMs: 10_800_000,
    spikeThreshold: 5,
  });
  await withApp(async ({ app }) => {
    const accepted = await postRun(app, { files: ["data_group_*.csv"], window: "24h" });
    assert.equal(accepted.status, 202);
    assert.equal(accepted.body.status, "queued");
    assert.equal(accepted.headers.get("location"), `/api/analysis/runs/${accepted.body.id}`);
    const run = await finished(app, accepted.body.id);
    assert.equal(run.status, "succeeded");
    assert.deepEqual(run.files, SHIPPED);
    assert.deepEqual(run.counts, expected.rows);
    assert.equal(run.summaries, 465);
    assert.equal(typeof run.duration_ms, "number");
    assert.equal(run.error, null);

    const { body } = await request(app, "/api/analysis/summaries?limit=10000");
    assert.equal(body.summaries.length, 465);
    assert.equal(body.cursor, null);
    const byKey = new Map(
      body.summaries.map((s: Json) => [`${s.turbine_id}@${s.window_start}`, s]),
    );
    for (const s of expected.summaries) {
      const got = byKey.get(`${s.turbineId}@${new Date(s.windowStart).toISOString()}`) as Json;
      assert.deepEqual([got.min, got.max, got.mean, got.count], [s.min, s.max, s.mean, s.count]);
    }
  });
});

Deno.test("GET /api/analysis/summaries and /api/anomalies filter by turbine, since, until and kind", async () => {
  await withApp(async ({ app }) => {
    const accepted = await postRun(app, { files: SHIPPED });
    assert.equal((await finished(app, accepted.body.id)).status, "succeeded");

    const since = "2022-03-02T00:00:00Z";
    const until = Date.UTC(2022, 2, 5) / 1000;
    const summaries = await request(
      app,
      `/api/analysis/summaries?turbine=3&since=${since}&until=${until}`,
    );
    assert.equal(summaries.status, 200);
    assert.deepEqual(summaries.body.summaries.map((s: Json) => [s.turbine_id, s.window_start]), [
      [3, "2022-03-02T00:00:00.000Z"],
      [3, "2022-03-03T00:00:00.000Z"],
      [3, "2022-03-04T00:00:00.000Z"],
    ]);
    assert.equal(summaries.body.summaries[0].window_end, "2022-03-03T00:00:00.000Z");

    const all = (await request(app, "/api/anomalies?limit=10000")).body.anomalies;
    const turbine = (await request(app, "/api/anomalies?kind=turbine&limit=10000")).body.anomalies;
    const reading = (await request(app, "/api/anomalies?kind=reading&limit=10000")).body.anomalies;
    assert.ok(turbine.length > 0 && reading.length > 0);
    assert.ok(turbine.every((a: Json) => a.kind === "turbine" && "z" in a));
    assert.ok(reading.every((a: Json) => a.kind === "reading" && "power_output" in a));
    assert.equal(all.length, turbine.length + reading.length);

    const target = reading[Math.floor(reading.length / 2)];
    const day = target.timestamp.slice(0, 10);
    const filtered = (await request(
      app,
      `/api/anomalies?kind=reading&turbine=${target.turbine_id}&since=${day}T00:00:00Z&until=${day}T23:59:59Z`,
    )).body.anomalies;
    assert.deepEqual(
      filtered,
      reading.filter((a: Json) =>
        a.turbine_id === target.turbine_id && a.timestamp.startsWith(day)
      ),
    );
    assert.ok(filtered.some((a: Json) => a.timestamp === target.timestamp));
  });
});

Deno.test("POST /api/analysis/runs with a CSV upload runs to succeeded under the name upload.csv", async () => {
  await withApp(async ({ app }) => {
    const accepted = await uploadCsv(app, `${GOOD}not a time,1,1,1,1\n`, "?window=6h");
    assert.equal(accepted.status, 202);
    const run = await finished(app, accepted.body.id);
    assert.equal(run.status, "succeeded");
    assert.deepEqual(run.files, ["upload.csv"]);
    assert.equal(run.window_seconds, 21_600);
    assert.equal(run.counts.valid, 2);
    assert.equal(run.quarantine[0].file, "upload.csv");
    const { body } = await request(app, "/api/analysis/summaries?turbine=1");
    assert.deepEqual(body.summaries.map((s: Json) => [s.window_end, s.mean]), [
      ["2022-03-01T06:00:00.000Z", 2.8],
    ]);
  });
});

Deno.test("a second POST while a run is in progress is a 409 naming the running run", async () => {
  await withApp(async ({ app, dataDir }) => {
    // The first run reads a named pipe, so it cannot finish before this test writes to it.
    const pipe = join(dataDir, "slow.csv");
    const mkfifo = await new Deno.Command("mkfifo", { args: [pipe] }).output();
    assert.equal(mkfifo.code, 0);
    const first = await postRun(app, { files: ["slow.csv"] });
    assert.equal(first.status, 202);

    const second = await postRun(app, { files: ["data_group_1.csv"] });
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, "run_in_progress");
    assert.match(second.body.error.message, new RegExp(`Analysis run ${first.body.id} is still`));
    assert.equal((await uploadCsv(app, GOOD)).status, 409);

    const writer = await Deno.open(pipe, { write: true });
    await writer.write(new TextEncoder().encode(GOOD));
    writer.close();
    assert.equal((await finished(app, first.body.id)).status, "succeeded");

    const third = await postRun(app, { files: ["data_group_1.csv"] });
    assert.equal(third.status, 202);
    assert.equal((await finished(app, third.body.id)).status, "succeeded");
  });
});

Deno.test("paths outside the data directory are a 400 naming files[i] and block nothing", async () => {
  await withApp(async ({ app, dataDir, directory }) => {
    await Deno.writeTextFile(join(directory, "secret.csv"), GOOD);
    await Deno.symlink(join(directory, "secret.csv"), join(dataDir, "link.csv"));
    const cases: [string[], string, string][] = [
      [["../x.csv"], "files[0]", "../x.csv"],
      [["/etc/passwd"], "files[0]", "/etc/passwd"],
      [["data_group_1.csv", "a/../../secret.csv"], "files[1]", "a/../../secret.csv"],
      [["link.csv"], "files[0]", "link.csv"],
      [["l*.csv"], "files[0]", "l*.csv"],
    ];
    for (const [files, field, value] of cases) {
      const { status, body } = await postRun(app, { files });
      assert.equal(status, 400, `${files}`);
      assert.equal(body.error.details[0].field, field);
      assert.equal(body.error.details[0].value, value);
      assert.match(body.error.message, new RegExp(`^Invalid ${field.replace("[", "\\[")}`));
    }
    assert.equal((await request(app, "/api/analysis/runs")).body.runs.length, 0);
    assert.equal((await postRun(app, { files: ["data_group_1.csv"] })).status, 202);
    const [run] = (await request(app, "/api/analysis/runs")).body.runs;
    await finished(app, run.id);
  });
});

Deno.test("a pattern or file that matches nothing in the data directory is a 400 naming files[0]", async () => {
  await withApp(async ({ app }) => {
    for (const file of ["nothing_*.csv", "missing.csv"]) {
      const { status, body } = await postRun(app, { files: [file] });
      assert.equal(status, 400);
      assert.deepEqual([body.error.details[0].field, body.error.details[0].value], [
        "files[0]",
        file,
      ]);
    }
  });
});

Deno.test("bad run settings are a 400 naming the field and value", async () => {
  await withApp(async ({ app }) => {
    const window = await postRun(app, { files: ["data_group_1.csv"], window: "daily" });
    assert.equal(window.status, 400);
    assert.deepEqual(window.body.error.details[0], {
      field: "window",
      problem: "must be a duration like 30m, 6h, 24h or 2d",
      value: "daily",
    });
    const threshold = await postRun(app, { files: ["data_group_1.csv"], spike_threshold: -1 });
    assert.equal(threshold.body.error.details[0].field, "spike_threshold");
    const unknown = await postRun(app, { files: ["data_group_1.csv"], windows: "6h" });
    assert.equal(unknown.body.error.details[0].field, "windows");
    const upload = await uploadCsv(app, GOOD, "?max_gap=forever");
    assert.equal(upload.status, 400);
    assert.equal(upload.body.error.details[0].field, "max_gap");
    const malformed = await request(app, "/api/analysis/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    assert.equal(malformed.body.error.code, "malformed_json");
    const text = await request(app, "/api/analysis/runs", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: GOOD,
    });
    assert.equal(text.status, 415);
    assert.equal((await uploadCsv(app, "")).status, 400);
  });
});

Deno.test("a run on a file with a missing column ends failed naming the file and column", async () => {
  await withApp(async ({ app, dataDir }) => {
    await Deno.writeTextFile(join(dataDir, "partial.csv"), "timestamp,turbine_id,wind_speed\n");
    const accepted = await postRun(app, { files: ["partial.csv"] });
    assert.equal(accepted.status, 202);
    const run = await finished(app, accepted.body.id);
    assert.equal(run.status, "failed");
    assert.match(run.error, /partial\.csv is missing required column "wind_direction"/);
    assert.equal(run.counts, null);
    const upload = await uploadCsv(app, "timestamp,turbine_id\n");
    const failed = await finished(app, upload.body.id);
    assert.match(failed.error, /^upload\.csv is missing required column "wind_speed"/);
  });
});

Deno.test("GET /api/analysis/runs/{id} is a 404 for an unknown run", async () => {
  await withApp(async ({ app }) => {
    const { status, body } = await request(app, "/api/analysis/runs/20220301T000000000Z-abcdef");
    assert.equal(status, 404);
    assert.equal(body.error.details[0].field, "id");
    assert.equal((await request(app, "/api/analysis/runs/not%20an%20id")).status, 400);
  });
});

Deno.test("bad summary and anomaly queries are a 400 naming the parameter", async () => {
  await withApp(async ({ app }) => {
    const cases: [string, string][] = [
      ["/api/anomalies?kind=bogus", "kind"],
      ["/api/anomalies?since=yesterday", "since"],
      ["/api/analysis/summaries?turbine=0", "turbine"],
      ["/api/analysis/summaries?cursor=nonsense", "cursor"],
      ["/api/analysis/summaries?window=6h", "window"],
      ["/api/anomalies?turbines=3", "turbines"],
    ];
    for (const [path, field] of cases) {
      const { status, body } = await request(app, path);
      assert.equal(status, 400, path);
      assert.equal(body.error.details[0].field, field, path);
    }
  });
});

Deno.test("an upload past the size limit is a 413, starts no run and blocks nothing", async () => {
  await withApp(async ({ app }) => {
    // Streamed without a Content-Length, so the limit must be enforced while reading.
    const chunk = new TextEncoder().encode(
      `${"2022-03-01 00:00:00,1,11.8,169,2.7\n".repeat(30_000)}`,
    );
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_UPLOAD_BYTES + chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await request(app, "/api/analysis/runs", {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body,
      duplex: "half",
    } as RequestInit);
    assert.equal(response.status, 413);
    assert.equal(response.body.error.code, "body_too_large");
    assert.equal((await request(app, "/api/analysis/runs")).body.runs.length, 0);
    const accepted = await uploadCsv(app, GOOD);
    assert.equal(accepted.status, 202);
    await finished(app, accepted.body.id);
  });
});
