import assert from "node:assert/strict";
import webpush from "web-push";
import { EventBus } from "../fleet/event_bus.ts";
import { PushNotifier, type PushNotifierOptions } from "../notifications/notifier.ts";
import { PushStore, type PushSubscriptionRecord } from "../store/push_store.ts";
import { PushService, storeSubscription, type TestSubscription } from "./push_service.ts";

const SUBJECT = "mailto:ops@gridfleet.example.org";

interface Harness {
  service: PushService;
  store: PushStore;
  bus: EventBus;
  notifier: PushNotifier;
  subscribe(
    subscription: TestSubscription,
    filter?: Partial<PushSubscriptionRecord>,
  ): Promise<void>;
  close(): Promise<void>;
}

async function harness(options: Partial<PushNotifierOptions> = {}): Promise<Harness> {
  const service = await PushService.start();
  const kv = await Deno.openKv(":memory:");
  const store = new PushStore(kv);
  const bus = new EventBus();
  const notifier = new PushNotifier({
    store,
    vapid: webpush.generateVAPIDKeys(),
    subject: SUBJECT,
    agent: service.agent,
    timeoutMs: 2_000,
    baseDelayMs: 20,
    ...options,
  });
  const stop = notifier.start(bus);
  return {
    service,
    store,
    bus,
    notifier,
    subscribe: (subscription, filter = {}) => storeSubscription(store, subscription, filter),
    async close() {
      stop();
      await notifier.stop();
      await service.close();
      kv.close();
    },
  };
}

function broken(turbine: number, repair: string) {
  return { type: "turbine.broken", turbine_id: turbine, at: 1_000, repair_id: repair } as const;
}

Deno.test("a turbine.broken event reaches the push service as one decrypted high-urgency alert", async () => {
  const h = await harness();
  try {
    const browser = h.service.subscribe();
    await h.subscribe(browser);
    h.bus.publish(broken(7, "repair-1"));
    await h.service.until(() => h.service.received.length === 1);
    await h.notifier.idle();
    const [push] = h.service.received;
    assert.equal(h.service.received.length, 1);
    assert.equal(push.id, browser.id);
    assert.equal(push.urgency, "high");
    assert.equal(push.ttl, String(24 * 3600));
    assert.equal(push.topic, "turbine-7-broken");
    assert.equal(push.payload.kind, "turbine.broken");
    assert.equal(push.payload.title, "Turbine 7 broke down");
    assert.deepEqual(push.payload.ids, { turbine_id: 7, repair_id: "repair-1" });
    assert.equal(push.payload.url, "/?turbine=7");
    assert.deepEqual(h.service.rejections, []);
  } finally {
    await h.close();
  }
});

Deno.test("a turbine.repaired event reaches the push service with normal urgency and the engineer", async () => {
  const h = await harness();
  try {
    const browser = h.service.subscribe();
    await h.subscribe(browser);
    h.bus.publish({
      type: "turbine.repaired",
      turbine_id: 3,
      at: 2_000,
      repair_id: "repair-9",
      engineer: "engineer/2",
    });
    await h.service.until(() => h.service.received.length === 1);
    const [push] = h.service.received;
    assert.equal(push.urgency, "normal");
    assert.equal(push.topic, "turbine-3-repaired");
    assert.equal(push.payload.title, "Turbine 3 is repaired");
    assert.deepEqual(push.payload.ids, {
      turbine_id: 3,
      repair_id: "repair-9",
      address: "engineer/2",
    });
  } finally {
    await h.close();
  }
});

Deno.test("the same breakdown episode published twice sends one alert", async () => {
  const h = await harness();
  try {
    const browser = h.service.subscribe();
    await h.subscribe(browser);
    h.bus.publish(broken(7, "repair-1"));
    h.bus.publish(broken(7, "repair-1"));
    h.bus.publish(broken(7, "repair-2"));
    await h.notifier.idle();
    const repairs = h.service.received.map((p) => p.payload.ids.repair_id).sort();
    assert.deepEqual(repairs, ["repair-1", "repair-2"]);
    assert.equal(h.notifier.stats().duplicates, 1);
  } finally {
    await h.close();
  }
});

Deno.test("a subscription's filter of kinds and turbines is honoured", async () => {
  const h = await harness();
  try {
    const onlyTurbine7 = h.service.subscribe();
    const onlyRepaired = h.service.subscribe();
    await h.subscribe(onlyTurbine7, { turbines: [7] });
    await h.subscribe(onlyRepaired, { kinds: ["turbine.repaired"] });
    h.bus.publish(broken(7, "r1"));
    h.bus.publish(broken(8, "r2"));
    h.bus.publish({
      type: "turbine.repaired",
      turbine_id: 8,
      at: 0,
      repair_id: "r2",
      engineer: "engineer/1",
    });
    await h.notifier.idle();
    assert.deepEqual(h.service.receivedBy(onlyTurbine7.id).map((p) => p.payload.ids.repair_id), [
      "r1",
    ]);
    assert.deepEqual(h.service.receivedBy(onlyRepaired.id).map((p) => p.payload.kind), [
      "turbine.repaired",
    ]);
  } finally {
    await h.close();
  }
});

Deno.test("a device stress forecast pages the device's owner once, with high urgency", async () => {
  const h = await harness();
  try {
    const owner = h.service.subscribe();
    const otherOwner = h.service.subscribe();
    await h.subscribe(owner, { devices: ["pc1"] });
    await h.subscribe(otherOwner, { devices: ["raspberry"] });
    const alert = {
      id: "pc1-1767225875",
      device_id: "pc1",
      profile: "pc" as const,
      at: 1_767_225_875,
      probability: 0.83,
      threshold: 0.7,
      horizon_minutes: 5,
      model: 3,
      cpu_temp_c: 79,
    };
    h.bus.publish({ type: "device.stress_predicted", alert });
    h.bus.publish({ type: "device.stress_predicted", alert });
    await h.notifier.idle();
    const [received, ...more] = h.service.receivedBy(owner.id);
    assert.equal(more.length, 0, "one alert per episode");
    assert.equal(received.payload.kind, "device.stress_predicted");
    assert.equal(received.payload.title, "pc1 is about to be stressed");
    assert.match(received.payload.body, /83 % chance of stress within 5 minutes/);
    assert.deepEqual(received.payload.ids, { device_id: "pc1", alert_id: alert.id });
    assert.equal(received.payload.url, "/?device=pc1");
    assert.equal(received.urgency, "high");
    assert.equal(received.ttl, "3600");
    assert.deepEqual(h.service.receivedBy(otherOwner.id), []);
  } finally {
    await h.close();
  }
});

Deno.test("a 410 from the push service deletes the subscription from the store", async () => {
  const h = await harness();
  try {
    const gone = h.service.subscribe({ kind: "gone" });
    await h.subscribe(gone);
    h.bus.publish(broken(1, "r1"));
    await h.notifier.idle();
    assert.equal(await h.store.getSubscription(gone.json.endpoint), null);
    assert.equal(h.notifier.stats().gone, 1);
  } finally {
    await h.close();
  }
});

Deno.test("a 503 is retried after Retry-After and then delivered, and both are counted", async () => {
  const h = await harness();
  try {
    const flaky = h.service.subscribe({ kind: "unavailable", times: 2, retryAfterSeconds: 0 });
    await h.subscribe(flaky);
    h.bus.publish(broken(1, "r1"));
    await h.notifier.idle();
    assert.deepEqual(h.service.attempts.map((a) => a.status), [503, 503, 201]);
    assert.equal(h.service.received.length, 1);
    const stats = h.notifier.stats();
    assert.equal(stats.retries, 2);
    assert.equal(stats.delivered, 1);
    assert.equal(stats.failed, 0);
  } finally {
    await h.close();
  }
});

Deno.test("a hanging endpoint trips its breaker and does not delay a healthy subscriber", async () => {
  const h = await harness({
    // Long enough that a loaded machine still delivers the healthy alert within it.
    timeoutMs: 3_000,
    maxAttempts: 4,
    breakerThreshold: 2,
    breakerCooldownMs: 60_000,
  });
  try {
    const dead = h.service.subscribe({ kind: "hang" });
    const healthy = h.service.subscribe();
    await h.subscribe(dead);
    await h.subscribe(healthy);
    h.bus.publish(broken(5, "r1"));
    await h.service.until(() => h.service.receivedBy(healthy.id).length === 1);
    const deadAttemptsBefore = h.service.attempts.filter((a) => a.id === dead.id).length;
    await h.notifier.idle();
    const deadAttempts = h.service.attempts.filter((a) => a.id === dead.id);
    // The healthy one arrived while the dead one was still on its first attempt (or before
    // that attempt reached the service).
    assert.ok(deadAttemptsBefore <= 1, `${deadAttemptsBefore} attempts`);
    assert.ok(h.service.receivedBy(healthy.id)[0].at < deadAttempts[deadAttempts.length - 1].at);
    // Two timeouts open the circuit: the other two attempts are never made.
    assert.equal(deadAttempts.length, 2);
    assert.equal(h.notifier.stats().circuit_open, 1);
    assert.equal(h.notifier.stats().open_circuits, 1);
    h.bus.publish(broken(5, "r2"));
    await h.notifier.idle();
    assert.equal(h.service.attempts.filter((a) => a.id === dead.id).length, 2);
    assert.equal(h.service.receivedBy(healthy.id).length, 2);
  } finally {
    await h.close();
  }
});

Deno.test("a refusing endpoint is retried with backoff while a healthy subscriber gets its alert first", async () => {
  const h = await harness({ maxAttempts: 3, breakerThreshold: 10, baseDelayMs: 100 });
  try {
    const refusing = h.service.subscribeUnreachable();
    const healthy = h.service.subscribe();
    await h.subscribe(refusing);
    await h.subscribe(healthy);
    h.bus.publish(broken(5, "r1"));
    await h.service.until(() => h.service.received.length === 1);
    const stillRetrying = h.notifier.stats().failed === 0;
    await h.notifier.idle();
    assert.ok(stillRetrying, "the healthy alert arrived before the refusing endpoint gave up");
    const stats = h.notifier.stats();
    assert.equal(stats.retries, 2);
    assert.equal(stats.failed, 1);
    assert.equal(stats.delivered, 1);
  } finally {
    await h.close();
  }
});
