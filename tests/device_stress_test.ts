import assert from "node:assert/strict";
import type { PcReading, RaspberryReading } from "../actors/device_readings.ts";
import { pcReading, piReading } from "./device_fixtures.ts";
import {
  ALERT_REARM_READINGS,
  type AlertTracker,
  initAlertTracker,
  initStressTracker,
  isOverLimit,
  PI_SOFT_LIMIT_NOW,
  PI_SOFT_LIMIT_SINCE_BOOT,
  PI_THROTTLED_NOW,
  stepAlert,
  STRESS_SUSTAIN_SECONDS,
  type StressStep,
  type StressTracker,
  temperatureLimit,
  trackStress,
} from "../actors/device_stress.ts";

function pc(timestamp: number, temperature: number): PcReading {
  return pcReading({
    timestamp,
    cpu_temp_c: temperature,
    cpu_load_percent: 95,
    cpu_power_w: 80,
    fan_cfm: 60,
  });
}

function pi(timestamp: number, temperature: number, throttled = 0): RaspberryReading {
  return piReading({
    timestamp,
    cpu_temp_c: temperature,
    gpu_temp_c: temperature,
    throttled,
    cpu_load_percent: 95,
    power_w: 6.4,
    fan_cfm: 3,
  });
}

/** Feeds PC temperatures five seconds apart from t = 0 and returns every step. */
function feed(temperatures: number[], start: StressTracker = initStressTracker()): StressStep[] {
  let tracker = start;
  return temperatures.map((temperature, i) => {
    const step = trackStress(tracker, pc(i * 5, temperature));
    tracker = step.tracker;
    return step;
  });
}

Deno.test("the limits are 90 °C for a PC and 80 °C for a Pi, sustained for a minute", () => {
  assert.equal(temperatureLimit("pc"), 90);
  assert.equal(temperatureLimit("raspberry"), 80);
  assert.equal(STRESS_SUSTAIN_SECONDS, 60);
});

Deno.test("isOverLimit compares the CPU temperature with the profile's limit", () => {
  assert.equal(isOverLimit(pc(0, 89.9)), false);
  assert.equal(isOverLimit(pc(0, 90)), true);
  assert.equal(isOverLimit(pi(0, 79.854)), false);
  assert.equal(isOverLimit(pi(0, 80.341)), true);
});

Deno.test("isOverLimit counts a Pi that is throttled or at its soft limit now, not since boot", () => {
  assert.equal(isOverLimit(pi(0, 70, PI_SOFT_LIMIT_NOW)), true);
  assert.equal(isOverLimit(pi(0, 70, PI_THROTTLED_NOW)), true);
  assert.equal(isOverLimit(pi(0, 70, PI_SOFT_LIMIT_SINCE_BOOT | 0xe0000)), false);
});

Deno.test("trackStress turns stressed at the twelfth reading over the limit in a row", () => {
  const steps = feed([70, ...Array(12).fill(92), 92]);
  assert.deepEqual(steps.map((step) => step.stressed), [...Array(12).fill(false), true, true]);
  assert.deepEqual(steps.map((step) => step.onset), [...Array(12).fill(false), true, false]);
});

Deno.test("trackStress ignores a spike shorter than the sustain time", () => {
  const steps = feed([70, ...Array(11).fill(95), 85, ...Array(11).fill(95), 70]);
  assert.equal(steps.some((step) => step.stressed), false);
});

Deno.test("trackStress recovers after a minute back under the limit, not at one cool reading", () => {
  const stressed = feed(Array(12).fill(95));
  const tracker = stressed.at(-1)!.tracker;
  assert.equal(tracker.stressed, true);
  const back = feed([...Array(12).fill(95), 85, 95, ...Array(12).fill(80)], tracker);
  assert.equal(back.slice(0, 13).every((step) => step.stressed), true);
  const recoveries = back.filter((step) => step.recovered);
  assert.equal(recoveries.length, 1);
  assert.equal(back.at(-1)!.stressed, false);
  assert.equal(back.at(-1)!.recovered, true);
});

Deno.test("trackStress restarts the count after a gap in the readings", () => {
  let tracker = initStressTracker();
  for (let t = 0; t < 50; t += 5) tracker = trackStress(tracker, pc(t, 95)).tracker;
  const afterGap = trackStress(tracker, pc(200, 95));
  assert.equal(afterGap.stressed, false);
  assert.equal(afterGap.tracker.runSince, 200);
});

Deno.test("trackStress state survives a JSON round trip", () => {
  const tracker = feed([95, 95, 95]).at(-1)!.tracker;
  assert.deepEqual(JSON.parse(JSON.stringify(tracker)), tracker);
});

/** Feeds probabilities (and stress flags) to a fresh alert tracker; returns the firing steps. */
function alerts(
  probabilities: number[],
  stressed: boolean[] = [],
  start: AlertTracker = initAlertTracker(),
): { fired: number[]; tracker: AlertTracker } {
  let tracker = start;
  const fired: number[] = [];
  probabilities.forEach((probability, i) => {
    const step = stepAlert(tracker, probability, stressed[i] ?? false);
    tracker = step.tracker;
    if (step.fire) fired.push(i);
  });
  return { fired, tracker };
}

Deno.test("stepAlert fires when the probability reaches the threshold", () => {
  assert.deepEqual(alerts([0.1, 0.5, 0.69, 0.7, 0.9]).fired, [3]);
});

Deno.test("stepAlert fires once per episode however long the probability stays high", () => {
  assert.deepEqual(alerts([0.8, 0.9, 0.5, 0.95, 0.99, 0.6, 0.8]).fired, [0]);
});

Deno.test("stepAlert does not fire while the device is already stressed", () => {
  const run = alerts([0.99, 0.99, 0.99], [true, true, true]);
  assert.deepEqual(run.fired, []);
  assert.equal(run.tracker.armed, false);
});

Deno.test("stepAlert re-arms after a minute back to normal and then fires again", () => {
  const calm = Array(ALERT_REARM_READINGS).fill(0.1);
  assert.deepEqual(alerts([0.9, ...calm, 0.9]).fired, [0, ALERT_REARM_READINGS + 1]);
});

Deno.test("stepAlert does not re-arm when normal readings are interrupted", () => {
  const almost = Array(ALERT_REARM_READINGS - 1).fill(0.1);
  const run = alerts([0.9, ...almost, 0.5, ...almost, 0.9]);
  assert.deepEqual(run.fired, [0]);
});

Deno.test("stepAlert does not re-arm while the device is stressed, however low the forecast", () => {
  const low = Array(2 * ALERT_REARM_READINGS).fill(0.05);
  const run = alerts([0.9, ...low, 0.9], [false, ...low.map(() => true), false]);
  assert.deepEqual(run.fired, [0]);
});

Deno.test("stepAlert honours its threshold and re-arm options", () => {
  assert.equal(stepAlert(initAlertTracker(), 0.6, false).fire, false);
  assert.equal(stepAlert(initAlertTracker(), 0.6, false, { threshold: 0.5 }).fire, true);
  let tracker = stepAlert(initAlertTracker(), 0.9, false).tracker;
  for (let i = 0; i < ALERT_REARM_READINGS; i++) {
    tracker = stepAlert(tracker, 0.5, false, { rearmBelow: 0.6 }).tracker;
  }
  assert.equal(tracker.armed, true);
  assert.throws(
    () => stepAlert(initAlertTracker(), 0.5, false, { threshold: 0.5, rearmBelow: 0.6 }),
    /rearmBelow must be in \[0, threshold 0.5\], not 0.6/,
  );
  assert.throws(
    () => stepAlert(initAlertTracker(), 0.5, false, { threshold: 1.5 }),
    /threshold must be a probability in \[0, 1\], not 1.5/,
  );
});

Deno.test("any threshold has a re-arm level below it: low thresholds alert and re-arm too", () => {
  for (const threshold of [0.01, 0.1, 0.3, 0.39, 0.7, 0.95, 1]) {
    let tracker = initAlertTracker();
    const fired = stepAlert(tracker, threshold, false, { threshold });
    assert.equal(fired.fire, true, `fires at ${threshold}`);
    tracker = fired.tracker;
    for (let i = 0; i < ALERT_REARM_READINGS; i++) {
      tracker = stepAlert(tracker, 0, false, { threshold }).tracker;
    }
    assert.equal(tracker.armed, true, `re-arms under ${threshold}`);
  }
});
