import assert from "node:assert/strict";
import { join } from "node:path";
import { AnalysisError } from "../analysis/analysis_error.ts";
import { expandInputs, matchGlob } from "../analysis/glob.ts";

async function directoryWith(names: string[]): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "analysis_glob_" });
  for (const name of names) await Deno.writeTextFile(join(directory, name), "");
  return directory;
}

Deno.test("matchGlob matches * against any run of characters, including none", () => {
  assert.ok(matchGlob("data_*.csv", "data_group_1.csv"));
  assert.ok(matchGlob("data_*.csv", "data_.csv"));
  assert.ok(!matchGlob("data_*.csv", "data_group_1.txt"));
});

Deno.test("matchGlob matches ? against exactly one character", () => {
  assert.ok(matchGlob("group_?.csv", "group_1.csv"));
  assert.ok(!matchGlob("group_?.csv", "group_12.csv"));
});

Deno.test("matchGlob leaves hidden files to patterns starting with a dot", () => {
  assert.ok(!matchGlob("*.csv", ".draft.csv"));
  assert.ok(matchGlob(".*.csv", ".draft.csv"));
});

Deno.test("expandInputs expands a file-name pattern to sorted matches", async () => {
  const directory = await directoryWith(["b.csv", "a.csv", "c.txt"]);
  assert.deepEqual(await expandInputs([join(directory, "*.csv")]), [
    join(directory, "a.csv"),
    join(directory, "b.csv"),
  ]);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("expandInputs lists a file named twice only once", async () => {
  const directory = await directoryWith(["a.csv"]);
  const file = join(directory, "a.csv");
  assert.deepEqual(await expandInputs([file, join(directory, "?.csv")]), [file]);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("expandInputs fails naming a pattern that matches nothing", async () => {
  const directory = await directoryWith(["a.csv"]);
  const pattern = join(directory, "*.json");
  await assert.rejects(expandInputs([pattern]), (error: unknown) => {
    assert.ok(error instanceof AnalysisError);
    assert.equal(error.message, `No files match "${pattern}"`);
    return true;
  });
  await Deno.remove(directory, { recursive: true });
});

Deno.test("expandInputs refuses wildcards in the directory part", async () => {
  await assert.rejects(expandInputs(["data*/x.csv"]), /only supported in the file name/);
});
