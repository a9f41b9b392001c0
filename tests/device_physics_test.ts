import assert from "node:assert/strict";
import {
  createDeviceSim,
  type DeviceSimState,
  setWorkload,
  stepDevice,
  type WorkloadMode,
  workloadOf,
} from "../actors/device_physics.ts";
import {
  cpuClockMhz,
  DEVICE_PROFILES,
  type DeviceProfile,
  type DeviceReading,
  powerDraw,
  type RaspberryReading,
  SENSOR_FIELDS,
} from "../actors/device_readings.ts";
import {
  initStressTracker,
  PI_SOFT_LIMIT_NOW,
  PI_SOFT_LIMIT_SINCE_BOOT,
  trackStress,
} from "../actors/device_stress.ts";
import { deriveSeed, Random } from "../actors/random.ts";

const START_MS = Date.UTC(2024, 0, 1);

/** A device of a profile seeded like the device actor seeds it. */
function device(profile: DeviceProfile, seed: number): { sim: DeviceSimState; random: Random } {
  const random = new Random(deriveSeed(seed, `device/${profile}-${seed}`));
  return { sim: createDeviceSim(profile, random, START_MS), random };
}

/** Runs a device for `minutes` under a workload mode and returns its readings. */
function run(
  profile: DeviceProfile,
  seed: number,
  minutes: number,
  mode: WorkloadMode = "auto",
): DeviceReading[] {
  let { sim, random } = device(profile, seed);
  sim = setWorkload(sim, mode, null);
  const readings: DeviceReading[] = [];
  for (let i = 1; i <= minutes * 12; i++) {
    const step = stepDevice(sim, random, "d1", START_MS / 1000 + i * 5);
    sim = step.sim;
    readings.push(step.reading);
  }
  return readings;
}

/** Minutes from the start to the first stress onset, or null. */
function onsetMinutes(readings: DeviceReading[]): number | null {
  let tracker = initStressTracker();
  for (let i = 0; i < readings.length; i++) {
    const step = trackStress(tracker, readings[i]);
    tracker = step.tracker;
    if (step.onset) return (i + 1) * 5 / 60;
  }
  return null;
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

for (const profile of DEVICE_PROFILES) {
  Deno.test(`a ${profile}'s power follows a forced heavy load at once, its temperature over minutes`, () => {
    for (const seed of [1, 2, 3]) {
      const readings = run(profile, seed, 12, "heavy");
      const idle = run(profile, seed, 1, "idle");
      const idlePower = mean(idle.map(powerDraw));
      const idleTemperature = mean(idle.map((reading) => reading.cpu_temp_c));
      // One reading in: power has jumped, the temperature has barely started.
      assert.ok(powerDraw(readings[0]) > 2 * idlePower, `seed ${seed}: power`);
      const at = (minute: number) =>
        mean(readings.slice(minute * 12 - 3, minute * 12).map((r) => r.cpu_temp_c));
      const rise = at(6) - idleTemperature;
      assert.ok(readings[0].cpu_temp_c - idleTemperature < 0.5 * rise, `seed ${seed}: lag`);
      assert.ok(at(1) < at(3) && at(3) < at(6), `seed ${seed}: ${at(1)}, ${at(3)}, ${at(6)}`);
    }
  });

  Deno.test(`a ${profile}'s fan speeds up as it gets hot`, () => {
    const readings = run(profile, 4, 15, "heavy");
    const cool = readings.slice(0, 6);
    const hot = readings.slice(-6);
    assert.ok(mean(hot.map((r) => r.cpu_temp_c)) > mean(cool.map((r) => r.cpu_temp_c)) + 15);
    assert.ok(mean(hot.map((r) => r.fan_cfm)) > mean(cool.map((r) => r.fan_cfm)));
  });

  Deno.test(`a forced heavy load stresses every ${profile} within 5 to 20 minutes`, () => {
    const onsets = [];
    for (let seed = 0; seed < 150; seed++) {
      const onset = onsetMinutes(run(profile, seed, 20, "heavy"));
      assert.ok(onset !== null && onset >= 5 && onset <= 20, `seed ${seed}: onset ${onset}`);
      onsets.push(onset);
    }
    // Devices differ: not all at the same time.
    assert.ok(Math.max(...onsets) - Math.min(...onsets) > 3);
  });

  Deno.test(`a forced idle ${profile} is never stressed`, () => {
    for (let seed = 0; seed < 60; seed++) {
      assert.equal(onsetMinutes(run(profile, seed, 120, "idle")), null, `seed ${seed}`);
    }
  });

  Deno.test(`in auto mode some ${profile}s become stressed within four hours and others do not`, () => {
    const stressed = [];
    for (let seed = 0; seed < 24; seed++) {
      stressed.push(onsetMinutes(run(profile, seed, 240)) !== null);
    }
    assert.ok(stressed.filter(Boolean).length >= 4, `${stressed}`);
    assert.ok(stressed.filter((s) => !s).length >= 4, `${stressed}`);
  });

  Deno.test(`a ${profile}'s readings stay within the sensor field ranges`, () => {
    for (const seed of [5, 6]) {
      for (const reading of [...run(profile, seed, 90), ...run(profile, seed, 30, "heavy")]) {
        const values = reading as unknown as Record<string, number | undefined>;
        for (const field of SENSOR_FIELDS[profile]) {
          const value = values[field.name];
          if (value === undefined) {
            assert.ok(field.optional, `${field.name} missing`);
            continue;
          }
          assert.ok(value >= field.min && value <= field.max, `${field.name} = ${value}`);
          if (field.integer) assert.ok(Number.isInteger(value), `${field.name} = ${value}`);
        }
      }
    }
  });

  Deno.test(`a ${profile} run is the same for the same seed`, () => {
    assert.deepEqual(run(profile, 7, 30), run(profile, 7, 30));
    assert.notDeepEqual(run(profile, 7, 30), run(profile, 8, 30));
  });

  Deno.test(`a ${profile} restored from JSON mid-run continues identically`, () => {
    let { sim, random } = device(profile, 9);
    sim = setWorkload(sim, "heavy", START_MS + 20 * 60_000);
    let t = START_MS / 1000;
    for (let i = 0; i < 100; i++) sim = stepDevice(sim, random, "d1", t += 5).sim;
    const snapshot = JSON.parse(JSON.stringify({ sim, random: random.state }));
    const restored = { sim: snapshot.sim as DeviceSimState, random: new Random(snapshot.random) };
    assert.deepEqual(restored.sim, sim);
    const original: DeviceReading[] = [];
    const copy: DeviceReading[] = [];
    for (let i = 0; i < 400; i++) {
      t += 5;
      const a = stepDevice(sim, random, "d1", t);
      const b = stepDevice(restored.sim, restored.random, "d1", t);
      sim = a.sim;
      restored.sim = b.sim;
      original.push(a.reading);
      copy.push(b.reading);
    }
    assert.deepEqual(copy, original);
  });
}

Deno.test("a PC that overheats cuts its clock, and with it its power", () => {
  let throttled = 0;
  for (let seed = 0; seed < 10; seed++) {
    const { throttleC } = device("pc", seed).sim.traits;
    const readings = run("pc", seed, 40, "heavy");
    if (Math.max(...readings.map((r) => r.cpu_temp_c)) < throttleC) continue;
    throttled++;
    const early = readings.slice(12, 36);
    const settled = readings.slice(-120);
    assert.ok(mean(settled.map(cpuClockMhz)) < 0.99 * mean(early.map(cpuClockMhz)), `seed ${seed}`);
    assert.ok(mean(settled.map(powerDraw)) < mean(early.map(powerDraw)), `seed ${seed}`);
    assert.ok(Math.max(...settled.map((r) => r.cpu_temp_c)) <= throttleC + 3, `seed ${seed}`);
  }
  assert.ok(throttled >= 3, `only ${throttled} of 10 PCs got hot enough to throttle`);
});

Deno.test("a Pi at its soft limit sets the flag bits, slows its clocks and holds below 86 °C", () => {
  for (const seed of [1, 2, 3]) {
    const readings = run("raspberry", seed, 40, "heavy") as RaspberryReading[];
    const soft = readings.filter((r) => r.throttled & PI_SOFT_LIMIT_NOW);
    assert.ok(soft.length > 100, `seed ${seed}`);
    for (const reading of soft) {
      assert.ok(reading.core_freq_hz < 3.4e8, `seed ${seed}: core ${reading.core_freq_hz}`);
      assert.ok(reading.throttled & PI_SOFT_LIMIT_SINCE_BOOT);
    }
    const first = readings.indexOf(soft[0]);
    assert.ok(readings.slice(first).every((r) => r.throttled & PI_SOFT_LIMIT_SINCE_BOOT));
    const full = Math.max(...readings.map((r) => r.arm_freq_hz));
    assert.ok(Math.min(...soft.slice(-60).map((r) => r.arm_freq_hz)) < full, `seed ${seed}: arm`);
    assert.ok(Math.max(...readings.map((r) => r.cpu_temp_c)) < 86, `seed ${seed}`);
  }
});

Deno.test("a Pi reports realistic clocks, voltages and a constant memory split", () => {
  const readings = [
    ...run("raspberry", 11, 120),
    ...run("raspberry", 12, 30, "heavy"),
  ] as RaspberryReading[];
  for (const reading of readings) {
    assert.ok(reading.arm_freq_hz >= 5.99e8 && reading.arm_freq_hz <= 1.801e9);
    assert.ok(
      Math.abs(reading.core_freq_hz - 5e8) < 1e5 || Math.abs(reading.core_freq_hz - 3.3333e8) < 1e5,
    );
    assert.ok(reading.core_voltage_v >= 0.84 && reading.core_voltage_v <= 0.96);
    assert.equal(reading.sdram_c_voltage_v, 1.1);
    assert.equal(reading.arm_memory_bytes + reading.gpu_memory_bytes, 2 ** 30);
  }
  const splits = new Set(readings.slice(0, 1440).map((r) => r.gpu_memory_bytes));
  assert.equal(splits.size, 1);
});

Deno.test("a workload override ends at its time and the device returns to auto", () => {
  let { sim, random } = device("pc", 3);
  const until = START_MS + 10 * 60_000;
  sim = setWorkload(sim, "heavy", until);
  assert.deepEqual(workloadOf(sim), { mode: "heavy", untilMs: until, regime: "heavy" });
  const loads: number[] = [];
  for (let i = 1; i <= 24 * 12; i++) {
    const step = stepDevice(sim, random, "d1", START_MS / 1000 + i * 5);
    sim = step.sim;
    loads.push(step.reading.cpu_load_percent);
  }
  assert.ok(loads.slice(0, 119).every((load) => load >= 95));
  assert.equal(workloadOf(sim).mode, "auto");
  assert.equal(workloadOf(sim).untilMs, null);
  assert.equal(workloadOf(setWorkload(sim, "idle", null)).mode, "idle");
});
