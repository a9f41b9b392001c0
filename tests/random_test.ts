import assert from "node:assert/strict";
import { HashRing } from "../actors/consistent_hash.ts";
import { deriveSeed, Random } from "../actors/random.ts";

Deno.test("the same seed gives the same sequence, and a saved state continues it", () => {
  const a = new Random(42);
  const b = new Random(42);
  const first = [a.next(), a.next(), a.next()];
  assert.deepEqual(first, [b.next(), b.next(), b.next()]);
  const resumed = new Random(a.state);
  assert.equal(resumed.next(), a.next());
  assert.notEqual(new Random(43).next(), first[0]);
});

Deno.test("exponential draws average their mean", () => {
  const random = new Random(1);
  let sum = 0;
  for (let i = 0; i < 20_000; i++) sum += random.exponential(100);
  assert.ok(Math.abs(sum / 20_000 - 100) < 3);
});

Deno.test("derived seeds differ per actor and are stable", () => {
  assert.equal(deriveSeed(1, "turbine/1"), deriveSeed(1, "turbine/1"));
  assert.notEqual(deriveSeed(1, "turbine/1"), deriveSeed(1, "turbine/2"));
  assert.notEqual(deriveSeed(1, "turbine/1"), deriveSeed(2, "turbine/1"));
});

Deno.test("the hash ring spreads actors evenly and keeps most in place when a node is added", () => {
  const four = new HashRing(4);
  const five = new HashRing(5);
  const counts = [0, 0, 0, 0];
  let moved = 0;
  for (let i = 1; i <= 10_000; i++) {
    const node = four.nodeFor(`turbine/${i}`);
    counts[node]++;
    if (five.nodeFor(`turbine/${i}`) !== node) moved++;
  }
  for (const count of counts) assert.ok(count > 1_800 && count < 3_200, `${counts}`);
  assert.ok(moved < 3_000, `${moved} of 10,000 moved`);
});
