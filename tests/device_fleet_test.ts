import assert from "node:assert/strict";
import { deviceAddress } from "../actors/protocol.ts";
import type { FleetEvent } from "../fleet/event_bus.ts";
import { DeviceStore } from "../store/device_store.ts";
import { startTestFleet, T } from "./fleet_harness.ts";

type Alerted = Extract<FleetEvent, { type: "device.stress_predicted" }>;
type Transition = Extract<FleetEvent, { type: "device.stressed" | "device.recovered" }>;

function alertsOf(events: FleetEvent[], id: string): Alerted[] {
  return events.filter((e): e is Alerted =>
    e.type === "device.stress_predicted" && e.alert.device_id === id
  );
}

function stressOnsets(events: FleetEvent[], id: string): Transition[] {
  return events.filter((e): e is Transition => e.type === "device.stressed" && e.device_id === id);
}

const DEVICES = [
  { id: "busy-pc", profile: "pc" as const },
  { id: "busy-pi", profile: "raspberry" as const },
  { id: "idle-pc", profile: "pc" as const },
  { id: "idle-pi", profile: "raspberry" as const },
];

for (const placement of ["pool", "worker"] as const) {
  Deno.test(`[${placement}] sustained heavy load: exactly one alert before stress; idle devices: none`, async () => {
    const test = await startTestFleet({
      turbines: 0,
      engineers: 0,
      devices: DEVICES,
      placement,
      tickMs: 5_000,
    });
    try {
      // Ten quiet minutes, so each device has a history, then the override.
      for (const { id } of DEVICES) {
        test.fleet.supervisor.tell(deviceAddress(id), {
          type: "set_workload",
          mode: "idle",
          untilMs: null,
        });
      }
      await test.fleet.runFor(10 * 60_000);
      for (const id of ["busy-pc", "busy-pi"]) {
        test.fleet.supervisor.tell(deviceAddress(id), {
          type: "set_workload",
          mode: "heavy",
          untilMs: null,
        });
      }
      await test.fleet.runFor(40 * 60_000);

      for (const id of ["busy-pc", "busy-pi"]) {
        const alerts = alertsOf(test.events, id);
        const onsets = stressOnsets(test.events, id);
        assert.equal(alerts.length, 1, `${id}: one alert per episode, got ${alerts.length}`);
        assert.equal(onsets.length, 1, `${id} became stressed once`);
        const alertAt = alerts[0].alert.at;
        const stressedAt = onsets[0].at / 1000;
        assert.ok(
          alertAt < stressedAt,
          `${id}: alert at ${alertAt} comes before stress at ${stressedAt}`,
        );
        assert.ok(alerts[0].alert.probability >= 0.7);
        assert.equal(test.fleet.devices.get(id)!.status, "stressed");
      }
      for (const id of ["idle-pc", "idle-pi"]) {
        assert.equal(alertsOf(test.events, id).length, 0, `${id} raised no alert`);
        assert.equal(stressOnsets(test.events, id).length, 0, `${id} was never stressed`);
        assert.equal(test.fleet.devices.get(id)!.status, "ok");
      }

      // Every reading is stored once, with its forecast; the alert is stored for feedback.
      const store = new DeviceStore(test.store.kv);
      const readings = await store.listReadings("busy-pc", { limit: 10_000, since: 0 });
      assert.equal(readings.length, 50 * 12);
      const times = readings.map((r) => r.timestamp);
      assert.deepEqual(times, [...new Set(times)].sort((a, b) => a - b));
      assert.equal(times[0], T + 5);
      for (const reading of readings) {
        assert.ok(reading.probability >= 0 && reading.probability <= 1);
        assert.ok(["ok", "at_risk", "stressed"].includes(reading.status));
      }
      const [stored] = await store.listAlerts("busy-pc");
      assert.equal(stored.id, alertsOf(test.events, "busy-pc")[0].alert.id);
      assert.equal(stored.feedback, null);
      const alertReading = readings.find((r) => r.timestamp === stored.at)!;
      assert.equal(alertReading.probability, stored.probability);
    } finally {
      await test.close();
    }
  });
}

Deno.test("a device actor that crashes resumes from its snapshot without a second alert", async () => {
  const test = await startTestFleet({
    turbines: 0,
    engineers: 0,
    devices: [{ id: "pc1", profile: "pc" }],
    tickMs: 5_000,
  });
  try {
    const address = deviceAddress("pc1");
    test.fleet.supervisor.tell(address, { type: "set_workload", mode: "heavy", untilMs: null });
    let crashed = false;
    for (let minute = 0; minute < 40; minute++) {
      await test.fleet.runFor(60_000);
      // Crash it once, right after the alert went out, mid-episode.
      if (!crashed && alertsOf(test.events, "pc1").length === 1) {
        await test.fleet.supervisor.flushSnapshots();
        assert.ok(test.fleet.supervisor.crash(address));
        crashed = true;
        await test.fleet.settle();
      }
    }
    assert.ok(crashed, "the alert came within 40 minutes");
    assert.ok(test.events.some((e) => e.type === "actor.restarted" && e.address === address));
    assert.equal(alertsOf(test.events, "pc1").length, 1);
    assert.equal(stressOnsets(test.events, "pc1").length, 1);
    const readings = await new DeviceStore(test.store.kv).listReadings("pc1", {
      since: 0,
      limit: 10_000,
    });
    const times = readings.map((r) => r.timestamp);
    assert.equal(new Set(times).size, times.length);
    // No gap: one reading every five seconds from the start to the end.
    assert.equal(times.at(-1)! - times[0], (times.length - 1) * 5);
  } finally {
    await test.close();
  }
});

Deno.test("the device registry and snapshots survive a restart of the fleet", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridfleet-devices-" });
  const kvPath = `${dir}/g.kv`;
  try {
    const first = await startTestFleet({
      kvPath,
      turbines: 0,
      engineers: 0,
      devices: [{ id: "pc1", profile: "pc" }],
      tickMs: 5_000,
    });
    await first.fleet.runFor(5 * 60_000);
    const before = first.fleet.devices.get("pc1")!;
    await first.close();

    const second = await startTestFleet({
      kvPath,
      turbines: 0,
      engineers: 0,
      devices: [{ id: "pc1", profile: "pc" }],
      tickMs: 5_000,
    });
    try {
      const after = second.fleet.devices.get("pc1")!;
      assert.deepEqual(after.latest, before.latest);
      const state = second.fleet.supervisor.stateOf<{ readings: number; lastTimestamp: number }>(
        deviceAddress("pc1"),
      )!;
      assert.equal(state.readings, 60);
      assert.equal(state.lastTimestamp, before.latest!.reading.timestamp);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a device left out of --devices is retired; an external or other-profile id cannot be simulated", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gridfleet-devices-" });
  const kvPath = `${dir}/g.kv`;
  const start = (devices: { id: string; profile: "pc" | "raspberry" }[]) =>
    startTestFleet({ kvPath, turbines: 0, engineers: 0, devices, tickMs: 5_000 });
  try {
    const first = await start([{ id: "pc1", profile: "pc" }, { id: "pi", profile: "raspberry" }]);
    await first.fleet.runFor(2 * 60_000);
    const { app } = { app: first.fleet };
    await app.devices.observe([{
      device_id: "lab",
      profile: "pc",
      timestamp: T + 60,
      cpu_clock_mhz: 3000,
      cpu_temp_c: 50,
      cpu_load_percent: 10,
      cpu_power_w: 8,
      fan_cfm: 20,
    }]);
    const piBefore = first.fleet.devices.get("pi")!;
    await first.close();

    const second = await start([{ id: "pc1", profile: "pc" }]);
    try {
      const pi = second.fleet.devices.get("pi")!;
      assert.equal(pi.source, "retired");
      assert.deepEqual(pi.latest, piBefore.latest, "its history stays");
      assert.equal(second.fleet.devices.get("pc1")!.source, "simulated");
      await assert.rejects(
        () => second.fleet.devices.observe([{ ...piBefore.latest!.reading, timestamp: T + 3600 }]),
        /was simulated by this server in an earlier run/,
      );
    } finally {
      await second.close();
    }

    await assert.rejects(
      () => start([{ id: "lab", profile: "pc" }]),
      /"lab" is an external device/,
    );
    await assert.rejects(
      () => start([{ id: "pc1", profile: "raspberry" }]),
      /"pc1" was simulated as a "pc" device/,
    );

    // Simulated again with its old profile, the retired Pi carries on from its snapshot.
    const third = await start([{ id: "pi", profile: "raspberry" }]);
    try {
      assert.equal(third.fleet.devices.get("pi")!.source, "simulated");
      // The test clock starts at T again: run past where the first fleet stopped.
      await third.fleet.runFor(4 * 60_000);
      const readings = await new DeviceStore(third.store.kv).listReadings("pi", {
        since: 0,
        limit: 1000,
      });
      const times = readings.map((r) => r.timestamp);
      assert.equal(new Set(times).size, times.length, "no reading twice");
      assert.ok(times.at(-1)! > piBefore.latest!.reading.timestamp);
      assert.equal(third.fleet.devices.get("pc1")!.source, "retired");
    } finally {
      await third.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
