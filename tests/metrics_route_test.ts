import assert from "node:assert/strict";
import { MetricIngest } from "../fleet/metric_ingest.ts";
import { handleError } from "../routes/api_error.ts";
import { metricsRouter } from "../routes/metrics.ts";
import { KvStore } from "../store/kv_store.ts";
import { testMetric as metric } from "./fleet_harness.ts";

Deno.test("a full ingest queue answers 503 with Retry-After and stores nothing of that request", async () => {
  const store = await KvStore.open(":memory:");
  const ingest = new MetricIngest(store, { capacity: 10 });
  const app = metricsRouter(ingest, { isSimulated: () => false, latestAllowed: () => Infinity });
  app.onError(handleError);
  try {
    const queued = ingest.submit(Array.from({ length: 9 }, (_, i) => metric(1, i)));
    const response = await app.request("/api/metrics", {
      method: "POST",
      body: JSON.stringify(Array.from({ length: 5 }, (_, i) => metric(2, i))),
    });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "1");
    assert.equal((await response.json()).error.code, "overloaded");
    await queued;
    await ingest.drain();
    assert.equal((await store.listMetrics(1, { limit: 100 })).metrics.length, 9);
    assert.equal((await store.listMetrics(2, { limit: 100 })).metrics.length, 0);
  } finally {
    store.close();
  }
});
