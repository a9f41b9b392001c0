import assert from "node:assert/strict";
import { CircuitBreaker } from "../notifications/circuit_breaker.ts";

Deno.test("a circuit opens after N failures, lets one probe through after the cool-down, and closes on its success", () => {
  let now = 0;
  const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 1_000, now: () => now });
  breaker.failed();
  assert.equal(breaker.allows(), true);
  breaker.failed();
  assert.equal(breaker.state, "open");
  assert.equal(breaker.allows(), false);
  now = 1_000;
  assert.equal(breaker.allows(), true);
  assert.equal(breaker.allows(), false, "only one probe while half-open");
  breaker.failed();
  assert.equal(breaker.state, "open");
  now = 2_000;
  assert.equal(breaker.allows(), true);
  breaker.succeeded();
  assert.equal(breaker.state, "closed");
  assert.equal(breaker.allows(), true);
});
