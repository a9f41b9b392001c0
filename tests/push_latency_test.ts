import webpush from "web-push";
import { EventBus } from "../fleet/event_bus.ts";
import { PushNotifier } from "../notifications/notifier.ts";
import { PushStore } from "../store/push_store.ts";
import { PushService, storeSubscription } from "./push_service.ts";

const EVENTS = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// Prints alert latency (event published → push service decrypted it); asserts nothing about time.
Deno.test("alert latency from event to push service, p50 and p99 over 200 breakdowns", async () => {
  const service = await PushService.start();
  const kv = await Deno.openKv(":memory:");
  const store = new PushStore(kv);
  const notifier = new PushNotifier({
    store,
    vapid: webpush.generateVAPIDKeys(),
    subject: "mailto:ops@gridfleet.example.org",
    agent: service.agent,
  });
  const bus = new EventBus();
  const stop = notifier.start(bus);
  try {
    await storeSubscription(store, service.subscribe());
    const latencies: number[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const published = performance.now();
      bus.publish({ type: "turbine.broken", turbine_id: 1 + (i % 10), at: i, repair_id: `r${i}` });
      await service.until(() => service.received.length === i + 1);
      latencies.push(service.received[i].at - published);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `push alert latency over ${EVENTS} events: p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
    );
  } finally {
    stop();
    await notifier.stop();
    await service.close();
    kv.close();
  }
});
