import assert from "node:assert/strict";
import { createDeviceSim, setWorkload, stepDevice } from "../actors/device_physics.ts";
import type {
  DeviceProfile,
  DeviceReading,
  PcReading,
  RaspberryReading,
} from "../actors/device_readings.ts";
import { temperatureLimit } from "../actors/device_stress.ts";
import { deriveSeed, Random } from "../actors/random.ts";
import {
  featureVector,
  parseStressModel,
  predictStress,
  STRESS_FEATURES,
  STRESS_MODEL_FORMAT,
  type StressModel,
} from "../actors/stress_model.ts";
import { simulateHistory } from "../training/history.ts";
import { pcReading, piReading } from "./device_fixtures.ts";
import { train } from "../training/train.ts";

const { model } = train({
  seed: 7,
  devices: 24,
  hours: 3,
  horizonMinutes: 5,
  threshold: 0.7,
  version: 1,
}, []);

/** A PC reading every five seconds with the given temperatures and load. */
function pcWindow(temperatures: number[], load: number): PcReading[] {
  return temperatures.map((temperature, i) =>
    pcReading({
      timestamp: 1_704_067_200 + i * 5,
      cpu_clock_mhz: 4000,
      cpu_temp_c: Math.round(temperature),
      cpu_load_percent: load,
      cpu_power_w: 5 + 0.8 * load,
      fan_cfm: 20 + Math.max(0, temperature - 50),
    })
  );
}

function piWindow(temperatures: number[], load: number): RaspberryReading[] {
  return temperatures.map((temperature, i) =>
    piReading({
      timestamp: 1_704_067_200 + i * 5,
      cpu_temp_c: temperature,
      gpu_temp_c: temperature,
      cpu_load_percent: load,
      power_w: 2.5 + 0.04 * load,
      fan_cfm: temperature > 65 ? 3 : 0,
    })
  );
}

/** Temperatures from `from` to `to` over `count` readings. */
function ramp(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + (to - from) * i / (count - 1));
}

function validModel(): StressModel {
  const part = {
    features: STRESS_FEATURES.map((feature) => feature.name),
    mean: STRESS_FEATURES.map(() => 0),
    std: STRESS_FEATURES.map(() => 1),
    weights: STRESS_FEATURES.map(() => 0),
    bias: -2,
  };
  return {
    format: STRESS_MODEL_FORMAT,
    version: 3,
    trainedAt: "2024-01-01T00:00:00.000Z",
    horizonMinutes: 5,
    threshold: 0.7,
    windowReadings: 60,
    profiles: { pc: structuredClone(part), raspberry: structuredClone(part) },
    training: { seed: 42 },
  };
}

Deno.test("parseStressModel accepts a trained model and its JSON", () => {
  assert.deepEqual(parseStressModel(JSON.parse(JSON.stringify(model))), model);
  assert.deepEqual(parseStressModel(validModel()), validModel());
});

Deno.test("the shipped model file parses with the features this code computes", async () => {
  const path = new URL("../data/models/device-stress.json", import.meta.url);
  const shipped = parseStressModel(JSON.parse(await Deno.readTextFile(path)));
  assert.equal(shipped.horizonMinutes, 5);
  assert.equal(shipped.training.seed, 42);
});

Deno.test("parseStressModel names the field that is wrong and the value seen", () => {
  const cases: [(model: Record<string, unknown>) => void, RegExp][] = [
    [(m) => m.format = "other/1", /"format" must be "gridfleet.stress-model\/1", not "other\/1"/],
    [(m) => delete m.version, /"version" is missing: it must be a positive integer/],
    [(m) => m.version = 1.5, /"version" must be a positive integer, not 1.5/],
    [(m) => m.trainedAt = "yesterday", /"trainedAt" must be an ISO 8601 date, not "yesterday"/],
    [(m) => m.horizonMinutes = 0, /"horizonMinutes" must be positive, not 0/],
    [(m) => m.threshold = 2, /"threshold" must be in \[0, 1\], not 2/],
    [(m) => m.windowReadings = 0, /"windowReadings" must be a positive integer, not 0/],
    [
      (m) => delete (m.profiles as Record<string, unknown>).raspberry,
      /"profiles.raspberry" is missing: it must be an object/,
    ],
    [
      (m) => (m as unknown as StressModel).profiles.pc.features.reverse(),
      /"profiles.pc.features" must be the features this code computes/,
    ],
    [
      (m) => (m as unknown as StressModel).profiles.pc.std[2] = 0,
      /"profiles.pc.std\[2\]" must be positive, not 0/,
    ],
    [
      (m) => (m as unknown as StressModel).profiles.raspberry.weights.pop(),
      new RegExp(
        `"profiles.raspberry.weights" must be an array of ${STRESS_FEATURES.length} numbers`,
      ),
    ],
    [
      (m) => (m as unknown as StressModel).profiles.pc.bias = NaN,
      /"profiles.pc.bias" must be a number/,
    ],
    [(m) => m.training = [], /"training" must be an object, not \[\]/],
  ];
  for (const [spoil, message] of cases) {
    const json = validModel() as unknown as Record<string, unknown>;
    spoil(json);
    assert.throws(() => parseStressModel(json), message);
  }
  assert.throws(() => parseStressModel(null), /"\(the document\)" must be an object, not null/);
});

Deno.test("predictStress gives a probability in [0, 1] for every reading of four simulated hours", () => {
  for (const profile of ["pc", "raspberry"] as const) {
    const { readings } = simulateHistory(11, `probe-${profile}`, profile, 4);
    let lowest = 1;
    for (let i = 0; i < readings.length; i++) {
      const p = predictStress(model, readings.slice(Math.max(0, i - 59), i + 1));
      assert.ok(p >= 0 && p <= 1 && Number.isFinite(p), `${profile} reading ${i}: ${p}`);
      lowest = Math.min(lowest, p);
    }
    assert.ok(lowest < 0.01, `${profile}: lowest ${lowest}`);
  }
});

/** A simulated device forced heavy for 25 minutes (stressed by then), then idle for 20. */
function heatAndCool(profile: DeviceProfile, seed: number): DeviceReading[] {
  const random = new Random(deriveSeed(seed, "probe"));
  let sim = setWorkload(createDeviceSim(profile, random, 0), "heavy", null);
  const readings: DeviceReading[] = [];
  for (let i = 1; i <= 12 * 45; i++) {
    if (i === 12 * 25) sim = setWorkload(sim, "idle", null);
    const step = stepDevice(sim, random, "probe", 1_704_067_200 + i * 5);
    sim = step.sim;
    readings.push(step.reading);
  }
  return readings;
}

for (const profile of ["pc", "raspberry"] as const) {
  Deno.test(`predictStress forecasts: a ${profile} heating up is at risk, one cooling at the same temperature is not`, () => {
    const target = temperatureLimit(profile) - 6;
    for (let seed = 1; seed <= 6; seed++) {
      const readings = heatAndCool(profile, seed);
      const up = readings.findIndex((reading) => reading.cpu_temp_c >= target);
      const down = readings.findIndex((reading, i) => i >= 12 * 25 && reading.cpu_temp_c <= target);
      assert.ok(up > 0 && down > 0, `seed ${seed}`);
      assert.ok(Math.abs(readings[up].cpu_temp_c - readings[down].cpu_temp_c) < 1, `seed ${seed}`);
      const window = (i: number) =>
        readings.slice(Math.max(0, i + 1 - model.windowReadings), i + 1);
      const rising = predictStress(model, window(up));
      const falling = predictStress(model, window(down));
      assert.ok(rising > 0.5, `seed ${seed}: rising ${rising}`);
      assert.ok(falling < 0.05, `seed ${seed}: falling ${falling}`);
    }
  });

  Deno.test(`predictStress sees no risk in an idle ${profile}`, () => {
    const random = new Random(deriveSeed(3, "idle"));
    let sim = setWorkload(createDeviceSim(profile, random, 0), "idle", null);
    const readings: DeviceReading[] = [];
    for (let i = 1; i <= 12 * 30; i++) {
      const step = stepDevice(sim, random, "idle", 1_704_067_200 + i * 5);
      sim = step.sim;
      readings.push(step.reading);
      assert.ok(predictStress(model, readings.slice(-model.windowReadings)) < 0.05, `reading ${i}`);
    }
  });
}

Deno.test("predictStress looks at the model's window only", () => {
  const long = pcWindow([...ramp(95, 60, 200), ...ramp(60, 75, 60)], 97);
  assert.equal(predictStress(model, long), predictStress(model, long.slice(-model.windowReadings)));
});

Deno.test("featureVector copes with a fresh device's single reading", () => {
  const features = featureVector("pc", pcWindow([60], 5));
  assert.equal(features.length, STRESS_FEATURES.length);
  assert.ok(features.every(Number.isFinite));
  assert.equal(features[0], 30);
  assert.ok(Number.isFinite(predictStress(model, pcWindow([60], 5))));
});

Deno.test("featureVector refuses an empty window and readings of another profile", () => {
  assert.throws(() => featureVector("pc", []), /needs at least one reading/);
  const mixed: DeviceReading[] = [...pcWindow([60], 5), ...piWindow([60], 5)];
  assert.throws(() => featureVector("pc", mixed), /"pc" stress forecast got a "raspberry" reading/);
  assert.throws(() => predictStress(model, []), /needs at least one reading/);
});
