import assert from "node:assert/strict";
import webpush from "web-push";
import { PushNotifier } from "../notifications/notifier.ts";
import { PushStore } from "../store/push_store.ts";
import { startTestFleet } from "./fleet_harness.ts";
import { PushService, storeSubscription } from "./push_service.ts";

Deno.test("a breakdown in a running simulation pages once, and its repair pages once", async () => {
  const service = await PushService.start();
  const t = await startTestFleet({
    turbines: 2,
    engineers: 1,
    params: (p) => {
      p.turbine.mtbfSeconds = 1e12;
      p.engineer = { travelSeconds: [60, 60], repairSeconds: [60, 60] };
    },
  });
  const store = new PushStore(t.store.kv);
  const notifier = new PushNotifier({
    store,
    vapid: webpush.generateVAPIDKeys(),
    subject: "mailto:ops@gridfleet.example.org",
    agent: service.agent,
  });
  const stop = notifier.start(t.fleet.bus);
  try {
    await storeSubscription(store, service.subscribe());
    t.fleet.supervisor.tell("turbine/2", { type: "force_failure" });
    // Broken metrics keep coming every second until the repair: one page, not one per metric.
    await t.fleet.runFor(50_000);
    await service.until(() => service.received.length >= 1, 1_000);
    await notifier.idle();
    assert.deepEqual(service.received.map((p) => [p.payload.kind, p.urgency]), [
      ["turbine.broken", "high"],
    ]);
    const repair = t.fleet.desk.openRepairOf(2)!;
    assert.deepEqual(service.received[0].payload.ids, { turbine_id: 2, repair_id: repair.id });
    await t.fleet.runFor(200_000);
    await service.until(() => service.received.length >= 2, 1_000);
    await notifier.idle();
    assert.deepEqual(service.received.map((p) => p.payload.kind), [
      "turbine.broken",
      "turbine.repaired",
    ]);
  } finally {
    stop();
    await notifier.stop();
    await t.close();
    await service.close();
  }
});
