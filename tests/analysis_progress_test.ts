import assert from "node:assert/strict";
import { createProgress } from "../analysis/progress.ts";

Deno.test("createProgress draws files done and rows per second", () => {
  const written: string[] = [];
  let clock = 0;
  const progress = createProgress(3, {
    enabled: true,
    write: (t) => void written.push(t),
    now: () => clock,
  });
  clock = 2000;
  progress.addRows(5000);
  progress.fileDone();
  assert.equal(written.at(-1), "\r\x1b[2Kfiles 1/3  rows 5,000  2,500 rows/s");
});

Deno.test("createProgress redraws at most once per interval", () => {
  const written: string[] = [];
  const progress = createProgress(1, {
    enabled: true,
    write: (t) => void written.push(t),
    now: () => 0,
  });
  for (let i = 0; i < 100; i++) progress.addRows(1);
  assert.equal(written.length, 1);
});

Deno.test("createProgress writes nothing when disabled", () => {
  const written: string[] = [];
  const progress = createProgress(1, { enabled: false, write: (t) => void written.push(t) });
  progress.addRows(10);
  progress.fileDone();
  progress.finish();
  assert.deepEqual(written, []);
});
