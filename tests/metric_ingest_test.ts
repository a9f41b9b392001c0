import assert from "node:assert/strict";
import type { TurbineMetric } from "../actors/protocol.ts";
import { IngestOverloaded, MetricIngest } from "../fleet/metric_ingest.ts";
import { KvStore } from "../store/kv_store.ts";
import { T, testMetric } from "./fleet_harness.ts";

function metric(turbine: number, second: number, status: "ok" | "broken" = "ok"): TurbineMetric {
  return testMetric(turbine, second, { operational_status: status });
}

async function withIngest(
  test: (ingest: MetricIngest, store: KvStore) => Promise<void>,
  capacity?: number,
): Promise<void> {
  const store = await KvStore.open(":memory:");
  const ingest = new MetricIngest(store, { capacity });
  await ingest.load();
  try {
    await test(ingest, store);
  } finally {
    await ingest.drain();
    store.close();
  }
}

async function countMetrics(store: KvStore, turbine: number): Promise<number> {
  return (await store.listMetrics(turbine, { limit: 100_000 })).metrics.length;
}

Deno.test("submit resolves only once every metric is readable from the store", async () => {
  await withIngest(async (ingest, store) => {
    const batch = Array.from({ length: 2_500 }, (_, i) => metric(1 + (i % 5), Math.floor(i / 5)));
    await ingest.submit(batch);
    for (let turbine = 1; turbine <= 5; turbine++) {
      assert.equal(await countMetrics(store, turbine), 500);
    }
    assert.equal((await store.getTurbine(3))!.latest.timestamp, T + 499);
  });
});

Deno.test("a broken metric after an ok one opens exactly one repair per episode", async () => {
  await withIngest(async (ingest, store) => {
    await ingest.submit([metric(4, 0), metric(4, 1, "broken"), metric(4, 2, "broken")]);
    await ingest.submit([metric(4, 3, "broken"), metric(4, 4), metric(4, 5, "broken")]);
    // The same metrics again (a client retry) open nothing new.
    await ingest.submit([metric(4, 1, "broken"), metric(4, 5, "broken")]);
    const repairs = await store.listRepairs();
    assert.deepEqual(repairs.map((r) => r.id).sort(), [`r-4-${T + 1}`, `r-4-${T + 5}`]);
    assert.ok(repairs.every((r) => r.status === "waiting"));
  });
});

Deno.test("a turbine whose first metric is broken gets a repair", async () => {
  await withIngest(async (ingest, store) => {
    await ingest.submit([metric(9, 0, "broken")]);
    assert.equal((await store.listRepairs("waiting")).length, 1);
  });
});

Deno.test("a late metric older than the latest neither changes it nor opens a repair", async () => {
  await withIngest(async (ingest, store) => {
    await ingest.submit([metric(2, 10)]);
    await ingest.submit([metric(2, 5, "broken")]);
    assert.equal((await store.getTurbine(2))!.latest.timestamp, T + 10);
    assert.equal((await store.listRepairs()).length, 0);
    assert.equal(await countMetrics(store, 2), 2, "the late metric is still stored");
  });
});

Deno.test("a full queue refuses a batch at once and writes none of it", async () => {
  await withIngest(async (ingest, store) => {
    const first = ingest.submit(Array.from({ length: 80 }, (_, i) => metric(1, i)));
    await assert.rejects(
      ingest.submit(Array.from({ length: 30 }, (_, i) => metric(2, i))),
      (error: Error) => error instanceof IngestOverloaded && /holds 80 of 100/.test(error.message),
    );
    await first;
    assert.equal(await countMetrics(store, 2), 0);
    assert.equal(await store.getTurbine(2), null);
  }, 100);
});

Deno.test("metrics of a reopened store keep the episode: no second repair after restart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let store = await KvStore.open(`${dir}/a.kv`);
    let ingest = new MetricIngest(store);
    await ingest.submit([metric(6, 0), metric(6, 1, "broken")]);
    store.close();
    store = await KvStore.open(`${dir}/a.kv`);
    ingest = new MetricIngest(store);
    await ingest.load();
    await ingest.submit([metric(6, 2, "broken")]);
    assert.equal((await store.listRepairs()).length, 1);
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a latest state without a status change reaches the store by the next flush", async () => {
  await withIngest(async (ingest, store) => {
    await ingest.submit([metric(5, 0)]);
    await ingest.submit([metric(5, 30)]);
    assert.equal(ingest.latest(5)!.latest.timestamp, T + 30, "in memory at once");
    await ingest.drain();
    assert.equal((await store.getTurbine(5))!.latest.timestamp, T + 30);
  });
});

Deno.test("a metric sent twice reads back once", async () => {
  await withIngest(async (ingest, store) => {
    await ingest.submit([metric(8, 0), metric(8, 1)]);
    await ingest.submit([metric(8, 1), metric(8, 2)]);
    const page = await store.listMetrics(8, { limit: 10 });
    assert.deepEqual(page.metrics.map((m) => m.timestamp - T), [0, 1, 2]);
  });
});
