import assert from "node:assert/strict";
import { join } from "node:path";
import { AnalysisError } from "../analysis/analysis_error.ts";
import { ingestFiles } from "../analysis/ingest.ts";

const HEADER = "timestamp,turbine_id,wind_speed,wind_direction,power_output";

const directory = await Deno.makeTempDir({ prefix: "analysis_ingest_" });
globalThis.addEventListener("unload", () => Deno.removeSync(directory, { recursive: true }));
let fileCount = 0;

async function fileWith(text: string): Promise<string> {
  const file = join(directory, `input_${++fileCount}.csv`);
  await Deno.writeTextFile(file, text);
  return file;
}

Deno.test("ingestFiles quarantines bad rows with file, line and a reason naming the value", async () => {
  const file = await fileWith(
    `${HEADER}\n2022-03-01 00:00:00,1,1,1,1\n2022-03-32 00:00:00,1,1,1,1\n2022-03-01 01:00:00,x7,1,1,1\n1,2\n`,
  );
  const ingested = await ingestFiles([file]);
  assert.deepEqual(ingested.quarantine, [
    {
      file,
      line: 3,
      reason:
        'Cannot parse "timestamp": "2022-03-32 00:00:00" is not a YYYY-MM-DD HH:MM:SS or ISO-8601 time',
    },
    { file, line: 4, reason: 'Cannot parse "turbine_id": "x7" is not a positive integer' },
    { file, line: 5, reason: "Expected 5 fields as in the header, found 2" },
  ]);
  assert.deepEqual(ingested.rejectedByReason, {
    malformed_line: 0,
    field_count: 1,
    bad_timestamp: 1,
    bad_turbine_id: 1,
  });
});

Deno.test("ingestFiles keeps only the first rejections but counts all", async () => {
  const file = await fileWith(`${HEADER}\n${"bad,1,1,1,1\n".repeat(20)}`);
  const ingested = await ingestFiles([file], { quarantineLimit: 5 });
  assert.equal(ingested.quarantine.length, 5);
  assert.equal(ingested.files[0].rejected, 20);
});

Deno.test("ingestFiles matches header names case-insensitively and ignores surrounding spaces", async () => {
  const file = await fileWith(
    " Power_Output ,TIMESTAMP,turbine_id,wind_speed,wind_direction\n2.5,2022-03-01 00:00:00,3,10,90\n",
  );
  const ingested = await ingestFiles([file]);
  assert.deepEqual([...ingested.turbines.get(3)!.finish().series.power], [2.5]);
});

Deno.test("ingestFiles fails naming an empty file", async () => {
  const file = await fileWith("");
  await assert.rejects(
    ingestFiles([file]),
    new AnalysisError("input", `${file} is empty: expected a header line with ${HEADER}`),
  );
});

Deno.test("ingestFiles fails on a column named twice", async () => {
  const file = await fileWith(`${HEADER},power_output\n`);
  await assert.rejects(
    ingestFiles([file]),
    /has column "power_output" twice in its header on line 1/,
  );
});
