import assert from "node:assert/strict";
import type { FleetEvent } from "../fleet/event_bus.ts";
import { startTestFleet } from "./fleet_harness.ts";
import type { Placement } from "../actors/supervisor.ts";

/** Runs a fleet for three simulated hours and returns what it did, minus wall-clock fields. */
async function run(
  seed: number,
  placement: Placement,
): Promise<{ events: string[]; metrics: number; energy: number }> {
  const t = await startTestFleet({ seed, placement, turbines: 6, engineers: 2, poolSize: 2 });
  try {
    await t.fleet.runFor(3 * 3600_000);
    let energy = 0;
    let metrics = 0;
    const events = t.events.flatMap((event: FleetEvent) => {
      if (event.type === "metrics") {
        metrics += event.metrics.length;
        for (const m of event.metrics) energy += m.power_output_in_kwh;
        return [];
      }
      return [JSON.stringify(event)];
    });
    return { events, metrics, energy: Math.round(energy * 1e6) };
  } finally {
    await t.close();
  }
}

Deno.test("the same seed on the virtual clock gives the identical sequence of events", async () => {
  const first = await run(2026, "pool");
  const second = await run(2026, "pool");
  assert.ok(first.events.some((e) => e.includes('"turbine.broken"')), "something broke");
  assert.ok(first.events.some((e) => e.includes('"turbine.repaired"')), "something was repaired");
  assert.equal(first.metrics, 6 * 3 * 3600);
  assert.deepEqual(second, first);
});

Deno.test("placement does not change what the simulation does", async () => {
  const pool = await run(7, "pool");
  const worker = await run(7, "worker");
  assert.deepEqual(worker, pool);
});

Deno.test("a different seed gives a different run", async () => {
  const a = await run(1, "pool");
  const b = await run(2, "pool");
  assert.notDeepEqual(a.events, b.events);
  assert.notEqual(a.energy, b.energy);
});
