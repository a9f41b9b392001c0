/**
 * Damaged input must end in a report or a clear AnalysisError, never in any
 * other exception. Seeded, so a failure reproduces.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { analyseFiles, type AnalysisResult } from "../analysis/analyse_files.ts";
import { AnalysisError } from "../analysis/analysis_error.ts";
import { formatReport } from "../analysis/report.ts";

const HEADER = "timestamp,turbine_id,wind_speed,wind_direction,power_output";
const OPTIONS = { windowMs: 86_400_000, maxGapMs: 10_800_000, spikeThreshold: 5 };

/** mulberry32: a small seeded generator. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function validLines(random: () => number, count: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const time = new Date(Date.UTC(2022, 2, 1) + i * 3_600_000).toISOString().slice(0, 19);
    const turbine = 1 + Math.floor(random() * 8);
    lines.push(
      `${time.replace("T", " ")},${turbine},${(9 + random() * 6).toFixed(1)},${
        Math.floor(random() * 360)
      },${(1.5 + random() * 3).toFixed(1)}`,
    );
  }
  return lines;
}

function randomBytes(random: () => number, count: number): Uint8Array {
  const bytes = new Uint8Array(count);
  for (let i = 0; i < count; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

function garbage(random: () => number): string {
  const pieces = [
    '"',
    ",",
    "\r",
    "NaN",
    "-",
    "\u0000",
    "€",
    "2022-02-30 00:00:00",
    "1e309",
    "\ufffd",
    " ",
  ];
  let text = "";
  const length = Math.floor(random() * 12);
  for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
  return text;
}

/** One damaged file per iteration, of a kind chosen by the iteration number. */
function damagedFile(random: () => number, iteration: number): Uint8Array {
  const encoder = new TextEncoder();
  const lines = validLines(random, 5 + Math.floor(random() * 40));
  switch (iteration % 4) {
    case 0:
      return randomBytes(random, Math.floor(random() * 2000));
    case 1: {
      const header = random() < 0.5 ? `${HEADER}\n` : "";
      return new Uint8Array([
        ...encoder.encode(header),
        ...randomBytes(random, Math.floor(random() * 2000)),
      ]);
    }
    case 2: {
      const truncated = lines.map((line) =>
        random() < 0.3 ? line.slice(0, Math.floor(random() * line.length)) : line
      );
      const text = [HEADER, ...truncated].join(random() < 0.5 ? "\n" : "\r\n");
      return encoder.encode(
        random() < 0.5 ? text : text.slice(0, Math.floor(random() * text.length)),
      );
    }
    default: {
      const mixed = lines.flatMap((line) =>
        random() < 0.3 ? [garbage(random), line + garbage(random)] : [line]
      );
      return encoder.encode([HEADER, ...mixed].join("\n"));
    }
  }
}

async function analyseOrExplain(files: string[]): Promise<AnalysisResult | AnalysisError> {
  try {
    return await analyseFiles(files, OPTIONS);
  } catch (error) {
    if (error instanceof AnalysisError) return error;
    throw error;
  }
}

function assertReportOrClearError(outcome: AnalysisResult | AnalysisError, context: string): void {
  if (outcome instanceof AnalysisError) {
    assert.ok(outcome.message.length > 0 && !outcome.message.includes("\n"), context);
    return;
  }
  const json = JSON.parse(formatReport(outcome, "json"));
  assert.ok(Array.isArray(json.summaries), context);
  assert.equal(typeof formatReport(outcome, "table"), "string", context);
}

Deno.test("fuzz: damaged files give a report or a clear error, never another exception", async () => {
  const random = seeded(20220301);
  const directory = await Deno.makeTempDir({ prefix: "analysis_fuzz_" });
  const file = join(directory, "damaged.csv");
  for (let iteration = 0; iteration < 400; iteration++) {
    await Deno.writeFile(file, damagedFile(random, iteration));
    assertReportOrClearError(await analyseOrExplain([file]), `iteration ${iteration}`);
  }
  await Deno.remove(directory, { recursive: true });
});

Deno.test("fuzz: a 5 MB field rejects its line and keeps the rest of the file", async () => {
  const directory = await Deno.makeTempDir({ prefix: "analysis_fuzz_" });
  const file = join(directory, "huge.csv");
  const lines = validLines(seeded(5), 10);
  lines[4] = `${lines[4]}${"9".repeat(5 * 1024 * 1024)}`;
  await Deno.writeTextFile(file, [HEADER, ...lines].join("\n") + "\n");
  const outcome = await analyseOrExplain([file]);
  assert.ok(!(outcome instanceof AnalysisError));
  assert.deepEqual(outcome.quarantine, [{
    file,
    line: 6,
    reason: "Line is longer than 1048576 characters",
  }]);
  assert.equal(outcome.rows.valid, 9);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("fuzz: a 5 MB header is a clear error", async () => {
  const directory = await Deno.makeTempDir({ prefix: "analysis_fuzz_" });
  const file = join(directory, "huge_header.csv");
  await Deno.writeTextFile(file, `${HEADER}${"x".repeat(5 * 1024 * 1024)}\n`);
  const outcome = await analyseOrExplain([file]);
  assert.ok(outcome instanceof AnalysisError);
  assert.match(
    outcome.message,
    /Cannot read the header of .*huge_header\.csv line 1: Line is longer/,
  );
  await Deno.remove(directory, { recursive: true });
});

Deno.test("fuzz: a large quoted field under the line limit is read as one value", async () => {
  const directory = await Deno.makeTempDir({ prefix: "analysis_fuzz_" });
  const file = join(directory, "quoted.csv");
  const lines = validLines(seeded(6), 3);
  lines[1] = `${lines[1]},"${"a,".repeat(200_000)}"`;
  await Deno.writeTextFile(
    file,
    [`${HEADER},notes`, ...lines.map((l, i) => i === 1 ? l : `${l},`)].join("\n"),
  );
  const outcome = await analyseOrExplain([file]);
  assert.ok(!(outcome instanceof AnalysisError));
  assert.equal(outcome.rows.valid, 3);
  await Deno.remove(directory, { recursive: true });
});
