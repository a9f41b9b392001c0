import assert from "node:assert/strict";
import { HashRing } from "../actors/consistent_hash.ts";
import { AskError } from "../actors/supervisor.ts";
import type { EngineerState } from "../actors/engineer.ts";
import type { TurbineState } from "../actors/turbine.ts";
import { startTestFleet, T0, waitFor } from "./fleet_harness.ts";

Deno.test("worker placement runs every actor in a Worker of its own", async () => {
  const t = await startTestFleet({ placement: "worker", turbines: 3, engineers: 2 });
  try {
    const workers = t.fleet.supervisor.list().map((a) => a.worker);
    assert.equal(workers.length, 5);
    assert.equal(new Set(workers).size, 5);
  } finally {
    await t.close();
  }
});

Deno.test("pool placement spreads actors over a fixed pool by consistent hash", async () => {
  const t = await startTestFleet({ placement: "pool", poolSize: 3, turbines: 30, engineers: 3 });
  try {
    const ring = new HashRing(3);
    const actors = t.fleet.supervisor.list();
    assert.equal(new Set(actors.map((a) => a.worker)).size, 3);
    for (const actor of actors) assert.equal(actor.worker, ring.nodeFor(actor.address) + 1);
  } finally {
    await t.close();
  }
});

Deno.test("ask returns the actor's reply; an unknown address goes to dead letters", async () => {
  const t = await startTestFleet();
  try {
    const state = await t.fleet.supervisor.ask<TurbineState>("turbine/2", { type: "get_state" });
    assert.equal(state.id, 2);
    assert.equal(t.fleet.supervisor.tell("turbine/99", { type: "force_failure" }), "dead_letter");
    await assert.rejects(
      t.fleet.supervisor.ask("engineer/7", { type: "get_state" }),
      /dead_letter|no_such_actor/,
    );
    const dead = t.fleet.supervisor.deadLetters();
    assert.equal(dead.count, 2);
    assert.deepEqual(dead.recent.map((d) => [d.to, d.type, d.reason]), [
      ["turbine/99", "force_failure", "no_such_actor"],
      ["engineer/7", "get_state", "no_such_actor"],
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("a full mailbox refuses messages and counts the overflow", async () => {
  const t = await startTestFleet({ turbines: 1, engineers: 0 });
  try {
    const results = Array.from(
      { length: 1_500 },
      () => t.fleet.supervisor.tell("turbine/1", { type: "get_state" }),
    );
    assert.equal(results.filter((r) => r === "accepted").length, 1_000);
    assert.equal(results.filter((r) => r === "mailbox_full").length, 500);
    assert.equal(t.fleet.supervisor.info("turbine/1")!.overflow, 500);
    await t.fleet.supervisor.whenIdle();
    assert.equal(t.fleet.supervisor.info("turbine/1")!.mailbox, 0);
  } finally {
    await t.close();
  }
});

for (const placement of ["worker", "pool"] as const) {
  Deno.test(`supervisor restarts a crashed turbine from its last snapshot (${placement})`, async () => {
    const t = await startTestFleet({ placement, turbines: 2, engineers: 0 });
    try {
      await t.fleet.runFor(60_000);
      const before = t.fleet.supervisor.stateOf<TurbineState>("turbine/1")!;
      assert.ok(before.metricsEmitted >= 60);
      assert.ok(t.fleet.supervisor.crash("turbine/1"));
      await waitFor(() => t.fleet.supervisor.info("turbine/1")!.restarts === 1, 3_000, "a restart");
      await waitFor(() => t.fleet.supervisor.info("turbine/1")!.status === "running");
      const after = await t.fleet.supervisor.ask<TurbineState>("turbine/1", { type: "get_state" });
      assert.equal(after.metricsEmitted, before.metricsEmitted);
      assert.equal(after.energyKwh, before.energyKwh);
      await t.fleet.runFor(30_000);
      const later = t.fleet.supervisor.stateOf<TurbineState>("turbine/1")!;
      assert.equal(later.metricsEmitted, before.metricsEmitted + 30);
      const info = t.fleet.supervisor.info("turbine/1")!;
      assert.match(info.lastError!, /Injected crash of turbine\/1/);
      // The neighbour was not disturbed (one-for-one).
      assert.equal(t.fleet.supervisor.info("turbine/2")!.restarts, 0);
    } finally {
      await t.close();
    }
  });
}

Deno.test("supervisor stops an actor after too many restarts and raises an alarm", async () => {
  const t = await startTestFleet({ turbines: 1, engineers: 0, maxRestarts: 2 });
  try {
    for (let crash = 1; crash <= 3; crash++) {
      await waitFor(
        () => t.fleet.supervisor.info("turbine/1")!.status === "running",
        5000,
        `running ${crash}`,
      );
      assert.ok(t.fleet.supervisor.crash("turbine/1"));
      await waitFor(
        () => t.fleet.supervisor.info("turbine/1")!.status !== "running",
        5000,
        `crash ${crash}`,
      );
    }
    await waitFor(
      () => t.fleet.supervisor.info("turbine/1")!.status === "stopped",
      5000,
      "stopped",
    );
    assert.equal(t.fleet.supervisor.info("turbine/1")!.restarts, 2);
    await waitFor(async () => (await t.store.listAlarms()).length === 1, 5000, "alarm");
    const [alarm] = await t.store.listAlarms();
    assert.equal(alarm.address, "turbine/1");
    assert.ok(t.events.some((e) => e.type === "actor.stopped" && e.address === "turbine/1"));
    assert.equal(t.fleet.supervisor.tell("turbine/1", { type: "force_failure" }), "dead_letter");
  } finally {
    await t.close();
  }
});

Deno.test("a durable reminder survives an engineer crash and the repair still finishes", async () => {
  const t = await startTestFleet({
    turbines: 1,
    engineers: 1,
    params: (p) => (p.turbine.mtbfSeconds = 1e12),
  });
  try {
    t.fleet.supervisor.tell("turbine/1", { type: "force_failure" });
    await t.fleet.runFor(20_000);
    await waitFor(() =>
      t.fleet.supervisor.stateOf<EngineerState>("engineer/1")?.status === "travelling"
    );
    assert.ok(t.fleet.supervisor.crash("engineer/1"));
    await waitFor(() => t.fleet.supervisor.info("engineer/1")!.restarts === 1);
    await waitFor(() => t.fleet.supervisor.info("engineer/1")!.status === "running");
    const restarted = t.fleet.supervisor.stateOf<EngineerState>("engineer/1")!;
    assert.equal(restarted.status, "travelling");
    await t.fleet.runFor(40 * 60_000);
    const [repair] = await t.store.listRepairs("done");
    assert.ok(repair, "the repair finished");
    assert.ok(repair.finished_at! > T0);
    assert.equal(t.fleet.supervisor.stateOf<TurbineState>("turbine/1")!.status, "ok");
  } finally {
    await t.close();
  }
});

Deno.test("a fleet keeps only the configured simulated days of metrics", async () => {
  const t = await startTestFleet({ turbines: 1, engineers: 0, retentionDays: 1, tickMs: 60_000 });
  try {
    await t.fleet.runFor(26 * 3600_000);
    await t.fleet.ingest.drain();
    await t.fleet.sweep();
    const { metrics } = await t.store.listMetrics(1, { limit: 200_000 });
    assert.ok(metrics.length >= 86_400, "every second of the last day");
    const oldest = metrics[0].timestamp * 1000;
    assert.ok(
      oldest >= t.clock.now() - 86_400_000 - 60_000,
      "nothing older than a day (and a bucket)",
    );
    assert.ok(oldest < t.clock.now() - 86_400_000 + 60_000, "a whole day is kept");
  } finally {
    await t.close();
  }
});

Deno.test("an actor sending into a full mailbox is held back until the message fits", async () => {
  const t = await startTestFleet({
    turbines: 1,
    engineers: 1,
    params: (p) => {
      p.turbine.mtbfSeconds = 1e12;
      p.engineer = { travelSeconds: [30, 30], repairSeconds: [30, 30] };
    },
  });
  try {
    t.fleet.supervisor.tell("turbine/1", { type: "force_failure" });
    await t.fleet.runFor(20_000);
    const assigned = t.events.find((e) => e.type === "repair.assigned");
    assert.ok(assigned?.type === "repair.assigned");
    const doneAt = assigned.repair.started_at! + 60_000;
    await t.fleet.runFor(doneAt - 500 - t.clock.now());
    assert.equal(t.fleet.supervisor.stateOf<EngineerState>("engineer/1")!.status, "repairing");
    // The turbine is down a moment (restarting) and its mailbox full when the engineer reports.
    assert.ok(t.fleet.supervisor.crash("turbine/1"));
    await waitFor(() => t.fleet.supervisor.info("turbine/1")!.status === "restarting");
    for (let i = 0; i < 1_000; i++) t.fleet.supervisor.tell("turbine/1", { type: "get_state" });
    assert.equal(t.fleet.supervisor.tell("turbine/1", { type: "get_state" }), "mailbox_full");
    // Straight to the engineer's reminder, without waiting for the turbine first.
    while (t.clock.fireNext(doneAt) && t.clock.now() < doneAt);
    await t.fleet.settle();
    const turbine = t.fleet.supervisor.stateOf<TurbineState>("turbine/1")!;
    assert.equal(turbine.status, "ok", "the repaired message got through once there was room");
    assert.equal(turbine.repairsReceived, 1);
    assert.ok(
      t.fleet.supervisor.info("turbine/1")!.overflow >= 2,
      "the engineer's send overflowed too",
    );
    assert.equal(t.fleet.supervisor.deadLetters().count, 0, "nothing was dropped");
  } finally {
    await t.close();
  }
});

Deno.test("an ask that gets no answer in time rejects with a timeout, and a late reply is dropped", async () => {
  const t = await startTestFleet({ turbines: 1, engineers: 0 });
  try {
    assert.ok(t.fleet.supervisor.crash("turbine/1"));
    await waitFor(() => t.fleet.supervisor.info("turbine/1")!.status === "restarting");
    // The restart waits at least 50 ms of backoff: the ask cannot be answered in 20.
    await assert.rejects(
      t.fleet.supervisor.ask("turbine/1", { type: "get_state" }, 20),
      (error: Error) => error instanceof AskError && error.reason === "timeout",
    );
    const state = await t.fleet.supervisor.ask<TurbineState>("turbine/1", { type: "get_state" });
    assert.equal(state.id, 1, "asks after the restart are answered, each by its own reply");
  } finally {
    await t.close();
  }
});
