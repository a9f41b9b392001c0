/**
 * Labelled device history for training and evaluation, made with the same
 * simulator and stress tracker the live devices use.
 *
 * The label of a reading answers the model's question: does the device become
 * stressed (a stress onset, see `actors/device_stress.ts`) within the next
 * `horizonMinutes`, that is at a reading later than this one and at most that
 * long after it? Readings taken while the device is stressed are excluded (the
 * question does not arise: it already is), and so are the last
 * `horizonMinutes` of a history, whose future is unknown.
 *
 * @module
 */

import { createDeviceSim, stepDevice } from "../actors/device_physics.ts";
import {
  type DeviceProfile,
  type DeviceReading,
  READING_INTERVAL_SECONDS,
} from "../actors/device_readings.ts";
import { initStressTracker, trackStress } from "../actors/device_stress.ts";
import { deriveSeed, Random } from "../actors/random.ts";

/** One simulated device's readings and what the stress tracker made of them. */
export interface DeviceHistory {
  deviceId: string;
  profile: DeviceProfile;
  readings: DeviceReading[];
  /** Whether the device was stressed at each reading. */
  stressed: boolean[];
  /** Epoch seconds of each stress onset. */
  onsets: number[];
}

/**
 * How a reading takes part in training and evaluation: a positive or negative
 * example, or excluded (stressed already, or too close to the end of the
 * history to know).
 */
export type ReadingLabel = "positive" | "negative" | "excluded";

/** Epoch seconds at which simulated histories start (2024-01-01T00:00:00Z). */
export const HISTORY_START_SECONDS = 1_704_067_200;

/**
 * Simulates one device in its automatic workload for `hours`, its random
 * numbers seeded from `seed` and its id.
 *
 * @example
 * ```ts
 * const history = simulateHistory(42, "train-0", "pc", 1);
 * history.readings.length; // 720
 * ```
 */
export function simulateHistory(
  seed: number,
  deviceId: string,
  profile: DeviceProfile,
  hours: number,
): DeviceHistory {
  const random = new Random(deriveSeed(seed, `device/${deviceId}`));
  let sim = createDeviceSim(profile, random, HISTORY_START_SECONDS * 1000);
  const readings: DeviceReading[] = [];
  const count = Math.round(hours * 3600 / READING_INTERVAL_SECONDS);
  for (let i = 1; i <= count; i++) {
    const step = stepDevice(
      sim,
      random,
      deviceId,
      HISTORY_START_SECONDS + i * READING_INTERVAL_SECONDS,
    );
    sim = step.sim;
    readings.push(step.reading);
  }
  return trackHistory(deviceId, profile, readings);
}

/**
 * A history of given readings (oldest first), with the stress tracker's
 * verdict on each.
 *
 * @example
 * ```ts ignore
 * const history = trackHistory("pc1", "pc", readings);
 * history.onsets; // epoch seconds of each stress onset
 * ```
 */
export function trackHistory(
  deviceId: string,
  profile: DeviceProfile,
  readings: DeviceReading[],
): DeviceHistory {
  let tracker = initStressTracker();
  const stressed: boolean[] = [];
  const onsets: number[] = [];
  for (const reading of readings) {
    const tracked = trackStress(tracker, reading);
    tracker = tracked.tracker;
    stressed.push(tracked.stressed);
    if (tracked.onset) onsets.push(reading.timestamp);
  }
  return { deviceId, profile, readings, stressed, onsets };
}

/**
 * The label of every reading of a history for a forecast horizon.
 *
 * @example
 * ```ts
 * const history = simulateHistory(42, "train-0", "pc", 1);
 * const labels = labelHistory(history, 5);
 * ```
 */
export function labelHistory(history: DeviceHistory, horizonMinutes: number): ReadingLabel[] {
  const horizon = horizonMinutes * 60;
  const end = history.readings.length === 0 ? 0 : history.readings.at(-1)!.timestamp;
  let next = 0;
  return history.readings.map((reading, i) => {
    const t = reading.timestamp;
    while (next < history.onsets.length && history.onsets[next] <= t) next++;
    if (history.stressed[i]) return "excluded";
    if (next < history.onsets.length && history.onsets[next] <= t + horizon) {
      return "positive";
    }
    return t + horizon > end ? "excluded" : "negative";
  });
}
