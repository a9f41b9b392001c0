import assert from "node:assert/strict";
import { KvStore, type RepairJob } from "../store/kv_store.ts";
import { T, testMetric as metric } from "./fleet_harness.ts";

async function withStore(test: (store: KvStore) => Promise<void>): Promise<void> {
  const store = await KvStore.open(":memory:");
  try {
    await test(store);
  } finally {
    store.close();
  }
}

Deno.test("metric range queries honour since (inclusive) and until (exclusive), alone or together", async () => {
  await withStore(async (store) => {
    const metrics = Array.from({ length: 20 }, (_, i) => metric(1, i));
    await store.commitMetrics({ metrics: [...metrics, metric(2, 5)], latest: [], repairs: [] });
    const seconds = async (options: { since?: number; until?: number }) =>
      (await store.listMetrics(1, { ...options, limit: 100 })).metrics.map((m) => m.timestamp - T);
    assert.deepEqual(await seconds({ since: T + 5, until: T + 8 }), [5, 6, 7]);
    assert.deepEqual(await seconds({ since: T + 17 }), [17, 18, 19]);
    assert.deepEqual(await seconds({ until: T + 2 }), [0, 1]);
    assert.equal((await seconds({})).length, 20, "another turbine's metrics stay out");
    assert.deepEqual(await seconds({ since: T + 2.5, until: T + 4.5 }), [3, 4]);
  });
});

Deno.test("a commit larger than one atomic operation lands whole, split within the limits", async () => {
  await withStore(async (store) => {
    const metrics = Array.from({ length: 4_321 }, (_, i) => metric(3, i));
    await store.commitMetrics({ metrics, latest: [], repairs: [] });
    const page = await store.listMetrics(3, { limit: 10_000 });
    assert.equal(page.metrics.length, 4_321);
    assert.equal(page.cursor, null);
  });
});

Deno.test("a repair's status index moves with it in one commit", async () => {
  await withStore(async (store) => {
    const waiting: RepairJob = {
      id: "r-1-1",
      turbine_id: 1,
      status: "waiting",
      engineer: null,
      reported_at: 1000,
      started_at: null,
      arrived_at: null,
      finished_at: null,
    };
    await store.commitMetrics({ metrics: [], latest: [], repairs: [waiting] });
    assert.equal((await store.listRepairs("waiting")).length, 1);
    const started = { ...waiting, status: "in_progress" as const, engineer: "engineer/1" as const };
    await store.updateRepair(started, waiting);
    assert.equal((await store.listRepairs("waiting")).length, 0);
    assert.deepEqual(await store.listRepairs("in_progress"), [started]);
  });
});

Deno.test("actor snapshots round-trip, including many at once", async () => {
  await withStore(async (store) => {
    const snapshots = new Map(
      Array.from({ length: 1_234 }, (_, i) => [`turbine/${i + 1}` as const, {
        state: { n: i },
        reminders: [],
      }]),
    );
    await store.saveSnapshots(snapshots);
    const loaded = await store.loadSnapshots(["turbine/1", "turbine/1234", "turbine/9999"]);
    assert.deepEqual(loaded.get("turbine/1234"), { state: { n: 1233 }, reminders: [] });
    assert.equal(loaded.has("turbine/9999"), false);
    assert.equal((await store.loadSnapshots([...snapshots.keys()])).size, 1_234);
  });
});

Deno.test("pages follow their cursor to the end without gaps or repeats", async () => {
  await withStore(async (store) => {
    // Two commits interleaved in time, spanning several segment buckets.
    const even = Array.from({ length: 150 }, (_, i) => metric(4, 2 * i));
    const odd = Array.from({ length: 150 }, (_, i) => metric(4, 2 * i + 1));
    await store.commitMetrics({ metrics: even, latest: [], repairs: [] });
    await store.commitMetrics({ metrics: odd, latest: [], repairs: [] });
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const result = await store.listMetrics(4, { limit: 70, cursor, since: T + 10 });
      seen.push(...result.metrics.map((m) => m.timestamp - T));
      if (!result.cursor) break;
      cursor = result.cursor;
    }
    assert.deepEqual(seen, Array.from({ length: 290 }, (_, i) => i + 10));
  });
});

Deno.test("a cursor the store did not hand out is refused", async () => {
  await withStore(async (store) => {
    await assert.rejects(store.listMetrics(1, { limit: 5, cursor: "bogus" }), TypeError);
  });
});

Deno.test("compaction moves the ingest log into segments and reads return the same", async () => {
  await withStore(async (store) => {
    for (let turbine = 1; turbine <= 3; turbine++) {
      const metrics = Array.from({ length: 1_500 }, (_, i) => metric(turbine, i * 3));
      await store.commitMetrics({ metrics, latest: [], repairs: [] });
    }
    assert.equal(await store.logSize(), 4_500);
    const before = await store.listMetrics(2, { limit: 10_000, since: T + 100 });
    while (await store.compactLog(2) > 0);
    assert.equal(await store.logSize(), 0);
    const after = await store.listMetrics(2, { limit: 10_000, since: T + 100 });
    assert.deepEqual(after, before);
    assert.equal(after.metrics.length, 1_500 - 34);
  });
});

Deno.test("a metric both compacted and still in the log reads back once", async () => {
  await withStore(async (store) => {
    const metrics = Array.from({ length: 100 }, (_, i) => metric(5, i));
    await store.commitMetrics({ metrics, latest: [], repairs: [] });
    await store.compactLog();
    // As if the server died after writing segments and before deleting the log.
    await store.commitMetrics({ metrics: metrics.slice(50), latest: [], repairs: [] });
    const page = await store.listMetrics(5, { limit: 1_000 });
    assert.deepEqual(page.metrics.map((m) => m.timestamp - T), metrics.map((_, i) => i));
  });
});

Deno.test("the retention sweep deletes whole buckets before the cutoff and nothing after", async () => {
  await withStore(async (store) => {
    const metrics = Array.from({ length: 600 }, (_, i) => metric(6, i));
    await store.commitMetrics({ metrics, latest: [], repairs: [] });
    while (await store.compactLog() > 0);
    assert.equal(await store.deleteMetricsBefore(6, T + 250), 4, "buckets 0–239 s go");
    const left = (await store.listMetrics(6, { limit: 1000 })).metrics.map((m) => m.timestamp - T);
    assert.deepEqual(left, Array.from({ length: 360 }, (_, i) => i + 240));
  });
});

Deno.test("snapshots far larger in all than one commit are saved in several and read back", async () => {
  const store = await KvStore.open(":memory:");
  try {
    // 300 device-sized snapshots of ~30 KB of numbers each: about 9 MB, eleven commit limits.
    const snapshots = new Map(
      Array.from({ length: 300 }, (_, i) => [
        `device/d${i}` as const,
        {
          state: { window: Array.from({ length: 2_000 }, (_, j) => [i + j / 7, j * 1.5]) },
          reminders: [],
        },
      ]),
    );
    await store.saveSnapshots(snapshots);
    const loaded = await store.loadSnapshots([...snapshots.keys()]);
    assert.equal(loaded.size, 300);
    assert.deepEqual(loaded.get("device/d299"), snapshots.get("device/d299"));
  } finally {
    store.close();
  }
});
