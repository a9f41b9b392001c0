import assert from "node:assert/strict";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { deviceAddress } from "../actors/protocol.ts";
import { parseConfig } from "../config.ts";
import { createApp } from "../main.ts";
import { DeviceStore } from "../store/device_store.ts";
import { pcReading as fixturePc, piReading as fixturePi } from "./device_fixtures.ts";
import { startTestFleet, T, type TestFleet, waitFor } from "./fleet_harness.ts";

interface Harness {
  test: TestFleet;
  app: OpenAPIHono;
  store: DeviceStore;
}

async function withDevices(fn: (h: Harness) => Promise<void>): Promise<void> {
  const test = await startTestFleet({
    turbines: 0,
    engineers: 0,
    devices: [{ id: "pc1", profile: "pc" }, { id: "raspberry", profile: "raspberry" }],
    tickMs: 5_000,
  });
  const config = parseConfig(["--seed", "42"], {})!;
  try {
    await fn({ test, app: createApp(test.fleet, config), store: new DeviceStore(test.store.kv) });
  } finally {
    await test.close();
  }
}

async function call(app: OpenAPIHono, method: string, path: string, body?: unknown) {
  const response = await app.request(path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** A valid PC reading of `id` at `second` after `T`, possibly made invalid by `extra`. */
function pcReading(id: string, second: number, extra: Record<string, unknown> = {}) {
  return { ...fixturePc({ device_id: id, timestamp: T + second }), ...extra };
}

/** A valid Pi reading of `id` at `second` after `T`, possibly made invalid by `extra`. */
function piReading(id: string, second: number, extra: Record<string, unknown> = {}) {
  return { ...fixturePi({ device_id: id, timestamp: T + second }), ...extra };
}

Deno.test("POST /api/readings scores, stores and registers an external device", async () => {
  await withDevices(async ({ app, store }) => {
    const batch = Array.from({ length: 24 }, (_, i) => pcReading("lab-1", i * 5));
    const posted = await call(app, "POST", "/api/readings", batch);
    assert.equal(posted.status, 201, JSON.stringify(posted.body));
    assert.equal(posted.body.accepted, 24);
    for (const scored of posted.body.readings) {
      assert.ok(scored.probability >= 0 && scored.probability <= 1);
      assert.equal(scored.status, "ok");
    }
    // A single reading (not an array) and a Pi.
    const pi = await call(app, "POST", "/api/readings", piReading("shelf-pi", 0));
    assert.equal(pi.status, 201, JSON.stringify(pi.body));

    const device = await call(app, "GET", "/api/devices/lab-1");
    assert.equal(device.status, 200);
    assert.equal(device.body.source, "external");
    assert.equal(device.body.profile, "pc");
    assert.equal(device.body.latest.timestamp, T + 115);
    assert.equal(device.body.status, "ok");

    const status = await call(app, "GET", "/api/devices/lab-1/status");
    assert.equal(status.body.text, "The device is OK");
    assert.equal(status.body.cpu_temp_c, 48);

    const page = await call(
      app,
      "GET",
      `/api/devices/lab-1/readings?since=${T + 10}&until=${T + 30}`,
    );
    assert.deepEqual(page.body.readings.map((r: { timestamp: number }) => r.timestamp), [
      T + 10,
      T + 15,
      T + 20,
      T + 25,
    ]);
    assert.equal(page.body.readings[0].cpu_load_percent, 12.5);
    const latest = await call(app, "GET", "/api/devices/lab-1/readings?limit=2");
    assert.deepEqual(latest.body.readings.map((r: { timestamp: number }) => r.timestamp), [
      T + 110,
      T + 115,
    ]);
    assert.equal((await store.listReadings("lab-1", { since: 0, limit: 100 })).length, 24);

    const list = await call(app, "GET", "/api/devices");
    assert.deepEqual(list.body.map((d: { id: string }) => d.id), [
      "lab-1",
      "pc1",
      "raspberry",
      "shelf-pi",
    ]);
  });
});

Deno.test("bad readings get a 400 naming the field, and nothing of the batch is stored", async () => {
  await withDevices(async ({ app, store, test }) => {
    const cases: [unknown, string, unknown?][] = [
      [pcReading("x", 0, { throttled: 0 }), "throttled"],
      [pcReading("x", 0, { cpu_temp_c: "NaN" }), "cpu_temp_c", "NaN"],
      [pcReading("x", 0, { cpu_temp_c: "48" }), "cpu_temp_c", "48"],
      [pcReading("x", 0, { cpu_load_percent: 140 }), "cpu_load_percent", 140],
      [pcReading("x", 0, { cpu_power_w: -1 }), "cpu_power_w", -1],
      [pcReading("x", 0, { fan_cfm: null }), "fan_cfm", null],
      [pcReading("x", 0, { timestamp: T + 0.5 }), "timestamp", T + 0.5],
      [pcReading("x", 0, { device_id: "a/b" }), "device_id", "a/b"],
      [pcReading("x", 0, { profile: "toaster" }), "profile", "toaster"],
      [piReading("x", 0, { throttled: 1.5 }), "throttled", 1.5],
      [piReading("x", 0, { cpu_clock_mhz: 3000 }), "cpu_clock_mhz", 3000],
      [[pcReading("x", 0), pcReading("x", 5, { cpu_temp_c: 1e9 })], "readings[1].cpu_temp_c", 1e9],
      [[pcReading("x", 0), pcReading("x", 0)], "readings[1].timestamp", T],
      [[], "body"],
    ];
    for (const [body, field, value] of cases) {
      const response = await call(app, "POST", "/api/readings", body);
      assert.equal(response.status, 400, `${field}: ${JSON.stringify(response.body)}`);
      const detail = response.body.error.details[0];
      assert.equal(detail.field, field, JSON.stringify(response.body));
      if (value !== undefined) assert.deepEqual(detail.value, value);
      assert.match(response.body.error.message, new RegExp(field.replace(/[[\].]/g, "\\$&")));
    }
    const missing = { ...pcReading("x", 0) } as Record<string, unknown>;
    delete missing.fan_cfm;
    const response = await call(app, "POST", "/api/readings", missing);
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.error.details[0], { field: "fan_cfm", problem: "is required" });
    const malformed = await call(app, "POST", "/api/readings", '{"cpu_temp_c": NaN}');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, "malformed_json");

    assert.equal(test.fleet.devices.get("x"), undefined, "no device registered");
    assert.deepEqual(await store.listReadings("x", { since: 0, limit: 10 }), []);
  });
});

Deno.test("readings that conflict with a device get a 409 and store nothing", async () => {
  await withDevices(async ({ app, store }) => {
    assert.equal((await call(app, "POST", "/api/readings", pcReading("lab", 100))).status, 201);
    const cases: [unknown, string][] = [
      [pcReading("pc1", 0), "device_id"],
      [piReading("lab", 200), "profile"],
      [pcReading("lab", 100), "timestamp"],
      [pcReading("lab", 50), "timestamp"],
      // One good device and one conflicting one: the good one is not stored either.
      [[pcReading("other", 0), pcReading("lab", 90)], "readings[1].timestamp"],
    ];
    for (const [body, field] of cases) {
      const response = await call(app, "POST", "/api/readings", body);
      assert.equal(response.status, 409, JSON.stringify(response.body));
      assert.equal(response.body.error.details[0].field, field);
    }
    assert.equal((await store.listReadings("lab", { since: 0, limit: 10 })).length, 1);
    assert.deepEqual(await store.listReadings("other", { since: 0, limit: 10 }), []);
    assert.equal((await call(app, "GET", "/api/devices/other")).status, 404);
  });
});

Deno.test("an alert can be confirmed or rejected, and the feedback is a training example", async () => {
  await withDevices(async ({ app, test, store }) => {
    await call(app, "POST", "/api/devices/pc1/workload", { mode: "idle" });
    await test.fleet.runFor(10 * 60_000);
    const workload = await call(app, "POST", "/api/devices/pc1/workload", { mode: "heavy" });
    assert.equal(workload.status, 202);
    await test.fleet.runFor(40 * 60_000);
    const alerts = await call(app, "GET", "/api/devices/pc1/alerts");
    assert.equal(alerts.body.length, 1);
    const alert = alerts.body[0];
    assert.equal(alert.feedback, null);
    const status = await call(app, "GET", "/api/devices/pc1/status");
    assert.equal(status.body.status, "stressed");
    assert.equal(status.body.text, "The device is stressed");

    const bad = [
      [{ alert_id: alert.id, correct: "yes" }, "correct"],
      [{ alert_id: alert.id }, "correct"],
      [{ alert_id: alert.id, correct: true, extra: 1 }, "extra"],
    ] as const;
    for (const [body, field] of bad) {
      const response = await call(app, "POST", "/api/devices/pc1/feedback", body);
      assert.equal(response.status, 400);
      assert.equal(response.body.error.details[0].field, field);
    }
    const unknown = await call(app, "POST", "/api/devices/pc1/feedback", {
      alert_id: "pc1-1",
      correct: true,
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.details[0].field, "alert_id");
    assert.equal(
      (await call(app, "POST", "/api/devices/nope/feedback", { alert_id: "x", correct: true }))
        .status,
      404,
    );

    const given = await call(app, "POST", "/api/devices/pc1/feedback", {
      alert_id: alert.id,
      correct: false,
      comment: "a backup job, expected",
    });
    assert.equal(given.status, 200);
    assert.equal(given.body.feedback.correct, false);
    // A later verdict replaces the earlier one.
    await call(app, "POST", "/api/devices/pc1/feedback", { alert_id: alert.id, correct: true });
    const samples = [];
    for await (const sample of store.feedbackSamples(24)) samples.push(sample);
    assert.equal(samples.length, 1);
    assert.equal(samples[0].correct, true);
    assert.equal(samples[0].window.length, 24);
    assert.equal(samples[0].window.at(-1)!.timestamp, alert.at);
    assert.equal("probability" in samples[0].window[0], false, "only the sensor values");
  });
});

Deno.test("one device in two profiles in a batch is a 400 naming the reading; nothing stored", async () => {
  await withDevices(async ({ app, store, test }) => {
    const batch = [pcReading("good", 0), pcReading("mix", 0), piReading("mix", 5)];
    for (let attempt = 0; attempt < 8; attempt++) {
      const response = await call(app, "POST", "/api/readings", batch);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error.details[0].field, "readings[2].profile");
      assert.equal(response.body.error.details[0].value, "raspberry");
    }
    assert.equal(test.fleet.devices.get("good"), undefined);
    assert.deepEqual(await store.listReadings("good", { since: 0, limit: 10 }), []);
    assert.equal(test.fleet.supervisor.has(deviceAddress("mix")), false, "no actor to crash");
    assert.equal((await call(app, "POST", "/api/readings", pcReading("mix", 0))).status, 201);
  });
});

Deno.test("concurrent batches about the same device: the refused one stores nothing", async () => {
  await withDevices(async ({ app, store }) => {
    for (let round = 0; round < 10; round++) {
      const x = `x${round}`;
      const y = `y${round}`;
      const [a, b] = await Promise.all([
        call(app, "POST", "/api/readings", [pcReading(x, 0)]),
        call(app, "POST", "/api/readings", [pcReading(y, 0), pcReading(x, 0)]),
      ]);
      const statuses = [a.status, b.status].sort();
      assert.deepEqual(statuses, [201, 409], JSON.stringify([a.body, b.body]));
      const yStored = (await store.listReadings(y, { since: 0, limit: 10 })).length;
      assert.equal(yStored, b.status === 201 ? 1 : 0, "y only with the batch that holds it");
    }
  });
});

Deno.test("the workload override is refused for external devices and checked", async () => {
  await withDevices(async ({ app, test }) => {
    await call(app, "POST", "/api/readings", pcReading("lab", 0));
    assert.equal(
      (await call(app, "POST", "/api/devices/lab/workload", { mode: "heavy" })).status,
      409,
    );
    const bad = await call(app, "POST", "/api/devices/pc1/workload", { mode: "turbo" });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, "mode");
    const ok = await call(app, "POST", "/api/devices/pc1/workload", { mode: "idle", minutes: 30 });
    assert.equal(ok.status, 202);
    await test.fleet.runFor(60_000);
    const device = await call(app, "GET", "/api/devices/pc1");
    assert.equal(device.body.workload.mode, "idle");
    assert.equal(device.body.workload.until, ok.body.until);
    assert.equal(test.fleet.supervisor.has(deviceAddress("lab")), true);
  });
});

Deno.test("in the worker placement a batch that would pass 50 external devices is refused whole", async () => {
  const test = await startTestFleet({
    turbines: 0,
    engineers: 0,
    devices: [],
    placement: "worker",
  });
  try {
    const app = createApp(test.fleet, parseConfig(["--seed", "42"], {})!);
    const batch = Array.from({ length: 51 }, (_, i) => pcReading(`lab-${i}`, 0));
    const refused = await call(app, "POST", "/api/readings", batch);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.details[0].field, "readings[0].device_id");
    assert.match(refused.body.error.message, /at most 50 external devices.*--placement pool/);
    assert.deepEqual(test.fleet.devices.list(), []);
    assert.equal(test.fleet.supervisor.stats().workers, 0, "no actor was started");
    const accepted = await call(app, "POST", "/api/readings", batch.slice(0, 2));
    assert.equal(accepted.status, 201);
  } finally {
    await test.close();
  }
});

Deno.test("external readings are judged by the wall clock; workload minutes only with heavy or idle", async () => {
  // The simulation's clock days ahead of the wall clock, as after a long sped-up run.
  const test = await startTestFleet({
    turbines: 0,
    engineers: 0,
    devices: [{ id: "pc1", profile: "pc" }],
    start: Date.now() + 3 * 86_400_000,
  });
  const app = createApp(test.fleet, parseConfig(["--seed", "42"], {})!);
  try {
    const now = Math.floor(Date.now() / 1000);
    const ahead = pcReading("lab", 0, { timestamp: now + 2 * 3600 });
    const refused = await call(app, "POST", "/api/readings", ahead);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.details[0].field, "timestamp");
    assert.match(refused.body.error.details[0].problem, /ahead of the wall clock/);
    const fine = pcReading("lab", 0, { timestamp: now + 1800 });
    assert.equal((await call(app, "POST", "/api/readings", fine)).status, 201);

    const auto = await call(app, "POST", "/api/devices/pc1/workload", { mode: "auto", minutes: 5 });
    assert.equal(auto.status, 400);
    assert.equal(auto.body.error.details[0].field, "minutes");
    const heavy = await call(app, "POST", "/api/devices/pc1/workload", {
      mode: "heavy",
      minutes: 1.5,
    });
    assert.equal(heavy.status, 202);
    assert.ok(Number.isInteger(heavy.body.until), "epoch seconds");
    assert.equal(heavy.body.until, Math.round(test.clock.now() / 1000) + 90);
  } finally {
    await test.close();
  }
});

Deno.test("readings older than the retention horizon are refused, and the sweep keeps what it accepted", async () => {
  const test = await startTestFleet({
    turbines: 0,
    engineers: 0,
    devices: [{ id: "pc1", profile: "pc" }],
    retentionDays: 30,
    tickMs: 5_000,
  });
  const app = createApp(test.fleet, parseConfig(["--seed", "42"], {})!);
  const store = new DeviceStore(test.store.kv);
  try {
    const now = Math.floor(Date.now() / 1000);
    const old = await call(app, "POST", "/api/readings", [
      pcReading("lab", 0, { timestamp: now - 86_400 }),
      pcReading("lab", 0, { timestamp: now - 60 * 86_400 }),
    ]);
    assert.equal(old.status, 400);
    assert.equal(old.body.error.details[0].field, "readings[1].timestamp");
    assert.match(old.body.error.details[0].problem, /older than the 30 days/);
    const recent = pcReading("lab", 0, { timestamp: now - 29 * 86_400 });
    assert.equal((await call(app, "POST", "/api/readings", recent)).status, 201);
    await test.fleet.runFor(60_000);

    // Simulated time here is months behind the wall clock: each device is swept by its own clock.
    await test.fleet.sweep();
    assert.equal((await store.listReadings("lab", { since: 0, limit: 10 })).length, 1);
    assert.equal((await store.listReadings("pc1", { since: 0, limit: 100 })).length, 12);
  } finally {
    await test.close();
  }
});

Deno.test("concurrent batches of new devices cannot pass the external device cap together", async () => {
  const test = await startTestFleet({
    turbines: 0,
    engineers: 0,
    devices: [],
    maxExternalDevices: 10,
  });
  const app = createApp(test.fleet, parseConfig(["--seed", "42"], {})!);
  try {
    const batch = (n: number) => Array.from({ length: 4 }, (_, i) => pcReading(`b${n}-${i}`, 0));
    const answers = await Promise.all(
      [0, 1, 2, 3].map((n) => call(app, "POST", "/api/readings", batch(n))),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 201, 409, 409]);
    assert.equal(test.fleet.devices.list().length, 8);
  } finally {
    await test.close();
  }
});

Deno.test("readings for a device whose actor is stopped: 503 naming it, nothing of the batch stored", async () => {
  const test = await startTestFleet({ turbines: 0, engineers: 0, devices: [], maxRestarts: 0 });
  const app = createApp(test.fleet, parseConfig(["--seed", "42"], {})!);
  const store = new DeviceStore(test.store.kv);
  try {
    assert.equal((await call(app, "POST", "/api/readings", pcReading("ct2", 0))).status, 201);
    assert.ok(test.fleet.supervisor.crash(deviceAddress("ct2")));
    await waitFor(() => test.fleet.supervisor.info(deviceAddress("ct2"))?.status === "stopped");
    const refused = await call(app, "POST", "/api/readings", [
      pcReading("ct1", 0),
      pcReading("ct2", 5),
      pcReading("brand-new", 0),
    ]);
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.details[0].field, "readings[1].device_id");
    assert.match(refused.body.error.message, /POST \/api\/actors\/device\/ct2\/restart/);
    assert.deepEqual(await store.listReadings("ct1", { since: 0, limit: 10 }), []);
    assert.equal(test.fleet.devices.get("brand-new"), undefined);
    const workload = await call(app, "POST", "/api/devices/ct2/workload", { mode: "heavy" });
    assert.equal(workload.status, 409, "an external device still has no workload to set");
  } finally {
    await test.close();
  }
});
