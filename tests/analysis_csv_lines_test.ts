import assert from "node:assert/strict";
import { type CsvRecord, readCsvRecords, splitCsvLine } from "../analysis/csv_lines.ts";

async function readAll(chunks: string[], maxLineLength?: number): Promise<CsvRecord[]> {
  const encoder = new TextEncoder();
  const stream = ReadableStream.from(chunks.map((chunk) => encoder.encode(chunk)));
  const records: CsvRecord[] = [];
  for await (const batch of readCsvRecords(stream, { maxLineLength })) records.push(...batch);
  return records;
}

Deno.test("readCsvRecords strips CRLF line endings", async () => {
  assert.deepEqual(await readAll(["a,b\r\n1,2\r\n"]), [
    { line: 1, fields: ["a", "b"] },
    { line: 2, fields: ["1", "2"] },
  ]);
});

Deno.test("readCsvRecords joins a line split across chunks", async () => {
  const text = "timestamp,power\n2022-03-01 00:00:00,2.7\n";
  const oneCharChunks = [...text];
  assert.deepEqual(await readAll(oneCharChunks), await readAll([text]));
});

Deno.test("readCsvRecords reads a last line without a newline", async () => {
  assert.deepEqual(await readAll(["a\n1"]), [
    { line: 1, fields: ["a"] },
    { line: 2, fields: ["1"] },
  ]);
});

Deno.test("readCsvRecords skips empty lines but keeps counting them", async () => {
  assert.deepEqual(await readAll(["a\n\n\r\n1\n"]), [
    { line: 1, fields: ["a"] },
    { line: 4, fields: ["1"] },
  ]);
});

Deno.test("readCsvRecords drops a leading byte-order mark", async () => {
  assert.deepEqual(await readAll(["\ufeffa,b\n"]), [{ line: 1, fields: ["a", "b"] }]);
});

Deno.test("readCsvRecords reports an over-long line as malformed and reads on", async () => {
  const records = await readAll(["a\n", "x".repeat(50), "y".repeat(50), "\n1\n"], 60);
  assert.deepEqual(records, [
    { line: 1, fields: ["a"] },
    { line: 2, malformed: "Line is longer than 60 characters" },
    { line: 3, fields: ["1"] },
  ]);
});

Deno.test("readCsvRecords reports an unclosed quote on its own line only", async () => {
  assert.deepEqual(await readAll(['a,"b\n1,2\n']), [
    { line: 1, malformed: "Quoted field is not closed" },
    { line: 2, fields: ["1", "2"] },
  ]);
});

Deno.test("splitCsvLine keeps commas and doubled quotes inside quoted fields", () => {
  assert.deepEqual(splitCsvLine('1,"a ""b"", c",'), ["1", 'a "b", c', ""]);
});

Deno.test("splitCsvLine splits a plain line on every comma", () => {
  assert.deepEqual(splitCsvLine(",a,,b,"), ["", "a", "", "b", ""]);
});
