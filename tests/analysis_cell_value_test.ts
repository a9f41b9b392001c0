import assert from "node:assert/strict";
import { parseReading, parseTurbineId } from "../analysis/cell_value.ts";

Deno.test("parseReading reads decimals exactly as Number does", () => {
  for (const text of ["2.7", "0.1", "-3.25", "4500", "1e3", " 2.7 ", "123456789.123456"]) {
    assert.equal(parseReading(text), Number(text), text);
  }
});

Deno.test("parseReading treats missing-value markers and text as NaN", () => {
  for (const text of ["", " ", "NaN", "null", "NA", "N/A", "-", "abc", "Infinity", "0x1A", "1,5"]) {
    assert.ok(Number.isNaN(parseReading(text)), text);
  }
});

Deno.test("parseTurbineId accepts positive integers only", () => {
  assert.equal(parseTurbineId("12"), 12);
  assert.equal(parseTurbineId(" 7 "), 7);
  for (const text of ["0", "-1", "1.5", "", "x", "1e2"]) {
    assert.equal(parseTurbineId(text), undefined, text);
  }
});
