import assert from "node:assert/strict";
import { join } from "node:path";
import { checkKvPath } from "../analysis/result_sink.ts";

Deno.test("checkKvPath accepts :memory:", async () => {
  await checkKvPath(":memory:");
});

Deno.test("checkKvPath accepts a new file in an existing directory", async () => {
  const directory = await Deno.makeTempDir({ prefix: "analysis_kv_" });
  await checkKvPath(join(directory, "results.kv"));
  await Deno.remove(directory);
});

Deno.test("checkKvPath rejects a path that is a directory", async () => {
  const directory = await Deno.makeTempDir({ prefix: "analysis_kv_" });
  await assert.rejects(checkKvPath(directory), /exists but is not a file/);
  await Deno.remove(directory);
});
