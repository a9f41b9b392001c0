import assert from "node:assert/strict";
import type { TurbineState } from "../actors/turbine.ts";
import { KvStore } from "../store/kv_store.ts";
import { startTestFleet, T0 } from "./fleet_harness.ts";

const neverFails = {
  params: (p: { turbine: { mtbfSeconds: number } }) => (p.turbine.mtbfSeconds = 1e12),
};

Deno.test("jobs wait in report order when no engineer is free, then are taken oldest first", async () => {
  const t = await startTestFleet({ turbines: 3, engineers: 1, ...neverFails });
  try {
    for (const turbine of [3, 1, 2]) {
      t.fleet.supervisor.tell(`turbine/${turbine}`, { type: "force_failure" });
      await t.fleet.runFor(10_000);
    }
    const waiting = t.events.filter((e) => e.type === "repair.waiting");
    assert.equal(waiting.length, 2, "two jobs had to wait");
    assert.deepEqual(t.fleet.desk.waiting().map((j) => j.turbine_id), [1, 2]);
    await t.fleet.runFor(4 * 3600_000);
    const done = (await t.store.listRepairs("done")).sort((a, b) => a.started_at! - b.started_at!);
    assert.deepEqual(done.map((j) => j.turbine_id), [3, 1, 2]);
    for (const turbine of [1, 2, 3]) {
      assert.equal(t.fleet.supervisor.stateOf<TurbineState>(`turbine/${turbine}`)!.status, "ok");
    }
  } finally {
    await t.close();
  }
});

Deno.test("a job persisted as assigned but never received by its engineer is handed out again after a restart", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/fleet.kv`;
  try {
    const store = await KvStore.open(kvPath);
    // As if the server stopped between persisting the assignment and telling the engineer.
    const job = {
      id: "r-2-1767225600",
      turbine_id: 2,
      status: "waiting" as const,
      engineer: null,
      reported_at: T0,
      started_at: null,
      arrived_at: null,
      finished_at: null,
    };
    await store.commitMetrics({ metrics: [], latest: [], repairs: [job] });
    await store.updateRepair({
      ...job,
      status: "in_progress",
      engineer: "engineer/1",
      started_at: T0,
    }, job);
    store.close();

    const t = await startTestFleet({ kvPath, turbines: 2, engineers: 1, ...neverFails });
    try {
      await t.fleet.runFor(2 * 3600_000);
      const [repair] = await t.store.listRepairs("done");
      assert.equal(repair?.id, job.id, "the stuck job was done");
      assert.equal(repair.engineer, "engineer/1");
    } finally {
      await t.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
