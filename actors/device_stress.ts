/**
 * When a monitored device counts as stressed, and when a stress forecast
 * raises an alert. Both are pure trackers fed one reading at a time, so the
 * device actor, the training evaluation and the tests judge readings the same
 * way.
 *
 * **Stress.** A reading is *over the limit* when its CPU temperature is at or
 * above its profile's limit ({@linkcode temperatureLimit}: 90 °C for a PC, 80 °C
 * for a Raspberry Pi, the Pi 4's soft temperature limit), or, for a Pi, when
 * its firmware reports that it is throttled now or its soft temperature limit
 * is active (bits 2 and 3 of the throttled flag word). A device *becomes
 * stressed* once it has been over the limit continuously for
 * {@linkcode STRESS_SUSTAIN_SECONDS} (60 s: twelve readings five seconds apart,
 * each standing for the five seconds up to it); that reading is the stress
 * *onset*. It *recovers* the same way: once it has been under the limit
 * continuously for the same time. A gap of more than
 * {@linkcode MAX_READING_GAP_SECONDS} between readings restarts the count, since
 * nothing is known about the time in between.
 *
 * **Alerts.** A forecast alert fires when the probability of stress reaches the
 * threshold while the tracker is armed and the device is not stressed. Firing,
 * or becoming stressed, disarms it: one alert per episode. It re-arms once the
 * device has been back to normal (not stressed, probability below
 * `rearmBelow`) for {@linkcode ALERT_REARM_READINGS} readings in a row.
 *
 * @module
 */

import {
  type DeviceProfile,
  type DeviceReading,
  READING_INTERVAL_SECONDS,
} from "./device_readings.ts";

/** How long a device must stay over (or, to recover, under) its limit, seconds. */
export const STRESS_SUSTAIN_SECONDS = 60;

/** A longer gap between two readings restarts the sustain count, seconds. */
export const MAX_READING_GAP_SECONDS = 30;

/** The CPU temperature limit of each profile, °C. */
export const TEMPERATURE_LIMITS_C: Readonly<Record<DeviceProfile, number>> = {
  // Comfortably below the 95-100 °C at which desktop CPUs throttle.
  pc: 90,
  // The Raspberry Pi 4's soft limit, where its firmware starts to cut the ARM clock.
  raspberry: 80,
};

/** Bit of the Pi's throttled flag word: the ARM is throttled now. */
export const PI_THROTTLED_NOW = 1 << 2;
/** Bit of the Pi's throttled flag word: the soft temperature limit is active now. */
export const PI_SOFT_LIMIT_NOW = 1 << 3;
/** Bit of the Pi's throttled flag word: throttled at some time since boot. */
export const PI_THROTTLED_SINCE_BOOT = 1 << 18;
/** Bit of the Pi's throttled flag word: soft temperature limit active at some time since boot. */
export const PI_SOFT_LIMIT_SINCE_BOOT = 1 << 19;

/** Default probability at which a forecast raises an alert. */
export const DEFAULT_ALERT_THRESHOLD = 0.7;
/** Default probability below which a device counts as back to normal. */
export const DEFAULT_REARM_BELOW = 0.4;
/**
 * The re-arm level for a threshold: {@linkcode DEFAULT_REARM_BELOW} at the
 * default threshold, and the same proportion of a lower one, so the band
 * between them never closes.
 *
 * @example
 * ```ts
 * defaultRearmBelow(0.7); // 0.4
 * defaultRearmBelow(0.35); // 0.2
 * ```
 */
export function defaultRearmBelow(threshold: number): number {
  return Math.min(DEFAULT_REARM_BELOW, threshold * DEFAULT_REARM_BELOW / DEFAULT_ALERT_THRESHOLD);
}

/** Readings in a row a device must be back to normal before the alert re-arms (one minute). */
export const ALERT_REARM_READINGS = 60 / READING_INTERVAL_SECONDS;

/**
 * The CPU temperature limit of a profile, °C.
 *
 * @example
 * ```ts
 * temperatureLimit("raspberry"); // 80
 * ```
 */
export function temperatureLimit(profile: DeviceProfile): number {
  return TEMPERATURE_LIMITS_C[profile];
}

/**
 * Whether one reading is over its profile's limit: the CPU temperature at or
 * above the limit, or a Pi reporting that it is throttled or at its soft limit.
 *
 * @example
 * ```ts
 * isOverLimit({
 *   device_id: "pc1", profile: "pc", timestamp: 0, cpu_clock_mhz: 3000, cpu_temp_c: 91,
 *   cpu_load_percent: 99, cpu_power_w: 80, fan_cfm: 60,
 * }); // true
 * ```
 */
export function isOverLimit(reading: DeviceReading): boolean {
  if (reading.cpu_temp_c >= temperatureLimit(reading.profile)) return true;
  return reading.profile === "raspberry" &&
    (reading.throttled & (PI_THROTTLED_NOW | PI_SOFT_LIMIT_NOW)) !== 0;
}

/** Where a device stands in the stress definition; plain data, kept in snapshots. */
export interface StressTracker {
  stressed: boolean;
  /**
   * Epoch seconds of the first reading of the current run on the other side
   * of the limit (over it while normal, under it while stressed), or null.
   */
  runSince: number | null;
  /** Epoch seconds of the last reading seen, or null before the first. */
  lastTimestamp: number | null;
}

/** What {@linkcode trackStress} concludes from one reading. */
export interface StressStep {
  tracker: StressTracker;
  /** Whether the device is stressed after this reading. */
  stressed: boolean;
  /** The device became stressed at this reading. */
  onset: boolean;
  /** The device stopped being stressed at this reading. */
  recovered: boolean;
}

/**
 * A tracker for a device not yet seen: normal.
 *
 * @example
 * ```ts
 * initStressTracker().stressed; // false
 * ```
 */
export function initStressTracker(): StressTracker {
  return { stressed: false, runSince: null, lastTimestamp: null };
}

/**
 * Feeds one reading (in time order) to the stress tracker.
 *
 * @example
 * ```ts
 * let tracker = initStressTracker();
 * for (let t = 0; t < 60; t += 5) {
 *   const step = trackStress(tracker, {
 *     device_id: "pc1", profile: "pc", timestamp: t, cpu_clock_mhz: 3000, cpu_temp_c: 95,
 *     cpu_load_percent: 99, cpu_power_w: 80, fan_cfm: 60,
 *   });
 *   tracker = step.tracker; // step.onset is true at t = 55, the twelfth reading over the limit
 * }
 * ```
 */
export function trackStress(tracker: StressTracker, reading: DeviceReading): StressStep {
  const t = reading.timestamp;
  const gap = tracker.lastTimestamp !== null && t - tracker.lastTimestamp > MAX_READING_GAP_SECONDS;
  const otherSide = isOverLimit(reading) !== tracker.stressed;
  let runSince = otherSide ? (tracker.runSince === null || gap ? t : tracker.runSince) : null;
  let stressed = tracker.stressed;
  let changed = false;
  if (runSince !== null && t - runSince + READING_INTERVAL_SECONDS >= STRESS_SUSTAIN_SECONDS) {
    stressed = !stressed;
    changed = true;
    runSince = null;
  }
  return {
    tracker: { stressed, runSince, lastTimestamp: t },
    stressed,
    onset: changed && stressed,
    recovered: changed && !stressed,
  };
}

/** Whether an alert may fire; plain data, kept in snapshots. */
export interface AlertTracker {
  armed: boolean;
  /** Readings in a row the device has been back to normal while disarmed. */
  normalReadings: number;
}

/** Thresholds of {@linkcode stepAlert}. */
export interface AlertOptions {
  /** Probability at which an alert fires; default {@linkcode DEFAULT_ALERT_THRESHOLD}. */
  threshold?: number;
  /**
   * Probability below which the device counts as back to normal; default
   * {@linkcode defaultRearmBelow} of the threshold.
   */
  rearmBelow?: number;
}

/** What {@linkcode stepAlert} concludes from one forecast. */
export interface AlertStep {
  tracker: AlertTracker;
  /** Raise an alert for this reading. */
  fire: boolean;
}

/**
 * An armed alert tracker.
 *
 * @example
 * ```ts
 * initAlertTracker().armed; // true
 * ```
 */
export function initAlertTracker(): AlertTracker {
  return { armed: true, normalReadings: 0 };
}

/**
 * Feeds one forecast to the alert tracker: the probability the model gave for
 * a reading and whether {@linkcode trackStress} found the device stressed at
 * that same reading. Throws when the thresholds are not probabilities or
 * `rearmBelow` exceeds `threshold`.
 *
 * @example
 * ```ts
 * const first = stepAlert(initAlertTracker(), 0.85, false);
 * first.fire; // true
 * stepAlert(first.tracker, 0.9, false).fire; // false: one alert per episode
 * ```
 */
export function stepAlert(
  tracker: AlertTracker,
  probability: number,
  stressed: boolean,
  options: AlertOptions = {},
): AlertStep {
  const threshold = options.threshold ?? DEFAULT_ALERT_THRESHOLD;
  const rearmBelow = options.rearmBelow ?? defaultRearmBelow(threshold);
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new Error(`Alert threshold must be a probability in [0, 1], not ${threshold}`);
  }
  if (!(rearmBelow >= 0 && rearmBelow <= threshold)) {
    throw new Error(
      `Alert rearmBelow must be in [0, threshold ${threshold}], not ${rearmBelow}`,
    );
  }
  if (tracker.armed) {
    if (stressed) return { tracker: { armed: false, normalReadings: 0 }, fire: false };
    if (probability >= threshold) {
      return { tracker: { armed: false, normalReadings: 0 }, fire: true };
    }
    return { tracker, fire: false };
  }
  const normalReadings = !stressed && probability < rearmBelow ? tracker.normalReadings + 1 : 0;
  if (normalReadings >= ALERT_REARM_READINGS) {
    return { tracker: { armed: true, normalReadings: 0 }, fire: false };
  }
  return { tracker: { armed: false, normalReadings }, fire: false };
}
