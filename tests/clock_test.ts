import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { RealClock, VirtualClock } from "../actors/clock.ts";

Deno.test("virtual clock fires timers in time order, ties in scheduling order", () => {
  const clock = new VirtualClock(0);
  const fired: string[] = [];
  clock.schedule(300, () => fired.push("c"));
  clock.schedule(100, () => fired.push("a1"));
  clock.schedule(100, () => fired.push("a2"));
  const cancelled = clock.schedule(200, () => fired.push("cancelled"));
  clock.cancel(cancelled);
  while (clock.fireNext(1000));
  assert.deepEqual(fired, ["a1", "a2", "c"]);
  assert.equal(clock.now(), 1000);
});

Deno.test("virtual clock does not pass the limit it is given", () => {
  const clock = new VirtualClock(0);
  let fired = false;
  clock.schedule(5000, () => (fired = true));
  assert.equal(clock.fireNext(4000), false);
  assert.equal(clock.now(), 4000);
  assert.equal(fired, false);
});

Deno.test("real clock runs time-scale times faster than the wall clock and pauses", () => {
  const fake = FakeTimers.withGlobal(globalThis).install({
    toFake: ["setTimeout", "clearTimeout", "performance"],
  });
  try {
    const clock = new RealClock({ start: 0, timeScale: 60 });
    const fired: number[] = [];
    clock.schedule(60_000, () => fired.push(clock.now()));
    fake.tick(999);
    assert.equal(fired.length, 0);
    fake.tick(1);
    assert.equal(fired.length, 1);
    clock.pause();
    const frozen = clock.now();
    clock.schedule(frozen + 60_000, () => fired.push(clock.now()));
    fake.tick(10_000);
    assert.equal(clock.now(), frozen);
    assert.equal(fired.length, 1, "no timer fires while paused");
    clock.resume();
    fake.tick(1000);
    assert.equal(fired.length, 2);
    clock.dispose();
  } finally {
    fake.uninstall();
  }
});
