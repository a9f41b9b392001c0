import assert from "node:assert/strict";
import { formatTimestamp, parseTimestamp } from "../analysis/timestamp.ts";

const MARCH_1 = Date.UTC(2022, 2, 1);

Deno.test("parseTimestamp reads a space-separated time as UTC", () => {
  assert.equal(parseTimestamp("2022-03-01 00:00:00"), MARCH_1);
});

Deno.test("parseTimestamp reads ISO-8601 with T and Z", () => {
  assert.equal(parseTimestamp("2022-03-01T00:00:00Z"), MARCH_1);
});

Deno.test("parseTimestamp applies a positive offset", () => {
  assert.equal(parseTimestamp("2022-03-01T02:30:00+02:30"), MARCH_1);
});

Deno.test("parseTimestamp applies a compact negative offset", () => {
  assert.equal(parseTimestamp("2022-02-28T19:00:00-0500"), MARCH_1);
});

Deno.test("parseTimestamp keeps milliseconds of fractional seconds", () => {
  assert.equal(parseTimestamp("2022-03-01T00:00:00.25Z"), MARCH_1 + 250);
});

Deno.test("parseTimestamp rejects impossible dates", () => {
  assert.equal(parseTimestamp("2022-02-29 00:00:00"), undefined);
  assert.equal(parseTimestamp("2022-13-01 00:00:00"), undefined);
  assert.equal(parseTimestamp("2022-03-01 24:00:00"), undefined);
});

Deno.test("parseTimestamp accepts February 29 in a leap year", () => {
  assert.equal(parseTimestamp("2024-02-29 12:00:00"), Date.UTC(2024, 1, 29, 12));
});

Deno.test("parseTimestamp rejects text, dates without time and trailing junk", () => {
  for (
    const text of ["", "yesterday", "2022-03-01", "2022-03-01 00:00:00x", "2022/03/01 00:00:00"]
  ) {
    assert.equal(parseTimestamp(text), undefined, text);
  }
});

Deno.test("parseTimestamp reads years below 100 literally", () => {
  assert.equal(parseTimestamp("0050-01-01T00:00:00Z"), new Date("0050-01-01T00:00:00Z").getTime());
});

Deno.test("formatTimestamp writes ISO-8601 UTC with milliseconds", () => {
  assert.equal(formatTimestamp(MARCH_1), "2022-03-01T00:00:00.000Z");
});
