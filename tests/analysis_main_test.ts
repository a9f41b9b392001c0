import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyseFiles, type AnalysisResult } from "../analysis/analyse_files.ts";
import { runAnalysis, type RunAnalysisOptions } from "../analysis/main.ts";
import { AnalysisStore } from "../store/analysis_store.ts";

const MAIN = fileURLToPath(new URL("../analysis/main.ts", import.meta.url));
const HEADER = "timestamp,turbine_id,wind_speed,wind_direction,power_output";
const GOOD = `${HEADER}\n2022-03-01 00:00:00,1,11.8,169,2.7\n2022-03-01 01:00:00,1,11.0,170,2.9\n`;

interface Run {
  code: number;
  stdout: string;
  stderr: string[];
}

async function run(args: string[], options: RunAnalysisOptions = {}): Promise<Run> {
  const result: Run = { code: 0, stdout: "", stderr: [] };
  result.code = await runAnalysis(args, {
    stdout: (text) => Promise.resolve(void (result.stdout += text)),
    stderr: (text) => void result.stderr.push(text),
    ...options,
  });
  return result;
}

async function tempFiles(files: Record<string, string>): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "analysis_main_" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(directory, name), text);
  }
  return directory;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("runAnalysis without input files exits 2 with a one-line reason", async () => {
  const { code, stderr } = await run([]);
  assert.equal(code, 2);
  assert.deepEqual(stderr, ["analyze: No input files given; see --help"]);
});

Deno.test("runAnalysis exits 1 naming the pattern when no files match", async () => {
  const directory = await tempFiles({});
  const pattern = join(directory, "*.csv");
  const { code, stderr } = await run([pattern]);
  assert.equal(code, 1);
  assert.deepEqual(stderr, [`analyze: No files match "${pattern}"`]);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("runAnalysis exits 1 naming the file and column when a required column is missing", async () => {
  const directory = await tempFiles({
    "a.csv": "timestamp,turbine_id,wind_speed,wind_direction\n",
  });
  const file = join(directory, "a.csv");
  const { code, stderr } = await run([file]);
  assert.equal(code, 1);
  assert.equal(stderr.length, 1);
  assert.match(stderr[0], new RegExp(`${file} is missing required column "power_output"`));
  await Deno.remove(directory, { recursive: true });
});

Deno.test("runAnalysis exits 1 naming an unreadable file", async () => {
  const directory = await tempFiles({});
  const missing = join(directory, "gone.csv");
  const { code, stderr } = await run([missing]);
  assert.equal(code, 1);
  assert.match(stderr[0], new RegExp(`^analyze: Cannot read ${missing}: `));
  await Deno.remove(directory, { recursive: true });
});

Deno.test("runAnalysis exits 1 when no row at all is valid", async () => {
  const directory = await tempFiles({ "a.csv": `${HEADER}\nyesterday,1,1,1,1\n` });
  const { code, stderr } = await run([join(directory, "a.csv")]);
  assert.equal(code, 1);
  assert.match(
    stderr[0],
    /^analyze: No valid rows in 1 file\(s\): 1 rows read, 1 rejected; first: .*a\.csv line 2: Cannot parse "timestamp": "yesterday"/,
  );
  await Deno.remove(directory, { recursive: true });
});

Deno.test("runAnalysis rejects an unknown flag with exit code 2", async () => {
  const { code, stderr } = await run(["--windw", "1h", "x.csv"]);
  assert.equal(code, 2);
  assert.match(stderr[0], /--windw/);
});

Deno.test("runAnalysis prints help and exits 0 for --help", async () => {
  const { code, stdout } = await run(["--help"]);
  assert.equal(code, 0);
  assert.match(stdout, /^Usage: deno task analyze/);
});

Deno.test("runAnalysis writes the report to --out and nothing to stdout", async () => {
  const directory = await tempFiles({ "a.csv": GOOD });
  const out = join(directory, "report.json");
  const { code, stdout } = await run(["--format", "json", "--out", out, join(directory, "a.csv")]);
  assert.equal(code, 0);
  assert.equal(stdout, "");
  assert.equal(JSON.parse(await Deno.readTextFile(out)).summaries[0].mean, 2.8);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("runAnalysis prints the table format by default", async () => {
  const directory = await tempFiles({ "a.csv": GOOD });
  const { stdout } = await run([join(directory, "a.csv")]);
  assert.match(stdout, /Rows: 2 read, 2 valid, 0 rejected, 0 duplicates/);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("runAnalysis hands the result and --kv path to the injected sink", async () => {
  const directory = await tempFiles({ "a.csv": GOOD });
  const stored: [AnalysisResult, string][] = [];
  const { code } = await run(["--kv", ":memory:", join(directory, "a.csv")], {
    sink: {
      storeResults: (result, { kvPath }) => Promise.resolve(void stored.push([result, kvPath])),
    },
  });
  assert.equal(code, 0);
  assert.deepEqual(stored.map(([result, kvPath]) => [result.summaries.length, kvPath]), [[
    1,
    ":memory:",
  ]]);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("runAnalysis rejects --kv in a directory that does not exist", async () => {
  const { code, stderr } = await run(["--kv", "/no/such/dir/results.kv", "x.csv"]);
  assert.equal(code, 2);
  assert.match(
    stderr[0],
    /--kv "\/no\/such\/dir\/results\.kv": directory "\/no\/such\/dir" does not exist/,
  );
});

Deno.test("--delete-after removes the inputs after a successful run", async () => {
  const directory = await tempFiles({ "a.csv": GOOD, "b.csv": GOOD });
  const out = join(directory, "report.txt");
  const { code } = await run(["--delete-after", "--out", out, join(directory, "?.csv")]);
  assert.equal(code, 0);
  assert.deepEqual(
    [await exists(join(directory, "a.csv")), await exists(join(directory, "b.csv"))],
    [false, false],
  );
  assert.ok(await exists(out));
  await Deno.remove(directory, { recursive: true });
});

Deno.test("--delete-after keeps every input when one file is unusable", async () => {
  const directory = await tempFiles({ "a.csv": GOOD, "b.csv": "timestamp,turbine_id\n" });
  const { code } = await run(["--delete-after", join(directory, "*.csv")]);
  assert.equal(code, 1);
  assert.deepEqual(
    [await exists(join(directory, "a.csv")), await exists(join(directory, "b.csv"))],
    [true, true],
  );
  await Deno.remove(directory, { recursive: true });
});

Deno.test("--delete-after keeps the inputs when the report cannot be written", async () => {
  const directory = await tempFiles({ "a.csv": GOOD });
  const out = join(directory, "missing-dir", "report.txt");
  const { code, stderr } = await run(["--delete-after", "--out", out, join(directory, "a.csv")]);
  assert.equal(code, 1);
  assert.match(stderr[0], /Cannot write the report to/);
  assert.ok(await exists(join(directory, "a.csv")));
  await Deno.remove(directory, { recursive: true });
});

Deno.test("--delete-after keeps the inputs when the sink fails", async () => {
  const directory = await tempFiles({ "a.csv": GOOD });
  const sink = { storeResults: () => Promise.reject(new Error("KV is down")) };
  await assert.rejects(
    run(["--delete-after", "--kv", ":memory:", join(directory, "a.csv")], { sink }),
    /KV is down/,
  );
  assert.ok(await exists(join(directory, "a.csv")));
  await Deno.remove(directory, { recursive: true });
});

Deno.test("--delete-after refuses an --out path that is also an input", async () => {
  const directory = await tempFiles({ "a.csv": GOOD });
  const file = join(directory, "a.csv");
  const { code } = await run(["--delete-after", "--out", file, file]);
  assert.equal(code, 2);
  assert.equal(await Deno.readTextFile(file), GOOD);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("main.ts as a subprocess exits 1 with one line on stderr when no files match", async () => {
  const directory = await tempFiles({});
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", MAIN, join(directory, "*.csv")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 1);
  assert.equal(stderr, `analyze: No files match "${join(directory, "*.csv")}"\n`);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("main.ts as a subprocess prints one JSON document and no progress when piped", async () => {
  const directory = await tempFiles({ "a.csv": GOOD });
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      MAIN,
      "--format",
      "json",
      join(directory, "a.csv"),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0);
  assert.equal(new TextDecoder().decode(output.stderr), "");
  assert.equal(JSON.parse(new TextDecoder().decode(output.stdout)).rows.valid, 2);
  await Deno.remove(directory, { recursive: true });
});

const SHIPPED = fileURLToPath(new URL("../data/data_group_*.csv", import.meta.url));

async function storedEntries(path: string, section: string): Promise<[Deno.KvKey, unknown][]> {
  const kv = await Deno.openKv(path);
  try {
    const found: [Deno.KvKey, unknown][] = [];
    for await (const entry of kv.list({ prefix: ["analysis", section] })) {
      found.push([entry.key, entry.value]);
    }
    return found;
  } finally {
    kv.close();
  }
}

Deno.test("runAnalysis with --kv stores the shipped files' 465 daily summaries and a run record", async () => {
  const directory = await tempFiles({});
  const kvPath = join(directory, "analysis.kv");
  const { code } = await run(["--kv", kvPath, SHIPPED]);
  assert.equal(code, 0);
  const kv = await Deno.openKv(kvPath);
  try {
    const store = new AnalysisStore(kv);
    const summaries = (await store.listSummaries({ limit: 10_000 })).items;
    assert.equal(summaries.length, 465);
    const expected = await analyseFiles(
      ["data_group_1.csv", "data_group_2.csv", "data_group_3.csv"].map((name) =>
        join(dirname(SHIPPED), name)
      ),
      { windowMs: 86_400_000, maxGapMs: 10_800_000, spikeThreshold: 5 },
    );
    const key = (s: { turbineId: number; windowStart: number }) =>
      `${s.turbineId}@${s.windowStart}`;
    const stored = new Map(summaries.map((s) => [key(s), [s.min, s.max, s.mean]]));
    for (const s of expected.summaries) {
      assert.deepEqual(stored.get(key(s)), [s.min, s.max, s.mean]);
    }
    const [record] = await store.listRuns();
    assert.equal(record.status, "succeeded");
    assert.equal(record.summaries, 465);
    assert.deepEqual(record.counts, expected.rows);
    assert.equal(record.files.length, 3);
  } finally {
    kv.close();
  }
  await Deno.remove(directory, { recursive: true });
});

Deno.test("runAnalysis with --kv twice on the same files leaves the same summaries and anomalies", async () => {
  const directory = await tempFiles({});
  const kvPath = join(directory, "analysis.kv");
  assert.equal((await run(["--kv", kvPath, SHIPPED])).code, 0);
  const summaries = await storedEntries(kvPath, "summary");
  const anomalies = await storedEntries(kvPath, "anomaly");
  assert.equal((await run(["--kv", kvPath, SHIPPED])).code, 0);
  assert.equal(summaries.length, 465);
  assert.ok(anomalies.length > 0);
  assert.deepEqual(await storedEntries(kvPath, "summary"), summaries);
  assert.deepEqual(await storedEntries(kvPath, "anomaly"), anomalies);
  assert.equal((await storedEntries(kvPath, "run")).length, 2);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("main.ts as a subprocess with --kv stores results with only read and write permissions", async () => {
  const directory = await tempFiles({ "a.csv": GOOD });
  const kvPath = join(directory, "analysis.kv");
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", MAIN, "--kv", kvPath, join(directory, "a.csv")],
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(output.stderr), "");
  assert.equal(output.code, 0);
  const [[, stored]] = await storedEntries(kvPath, "summary");
  assert.equal((stored as { mean: number }).mean, 2.8);
  await Deno.remove(directory, { recursive: true });
});
