/**
 * The stress forecast: the probability that a device becomes stressed (see
 * `device_stress.ts`) within the model's horizon, from a window of its recent
 * readings. It looks at levels and trends — how far the temperature is from
 * the limit, how fast it is climbing over two, three and five minutes, how
 * long the load has been high, how far power has risen — so it can warn while
 * the device is still fine. The model is an L2-regularised logistic regression
 * over standardised features with weights per profile, trained by
 * `training/main.ts` and stored as JSON (`data/models/device-stress.json`).
 *
 * Everything here is pure and cheap: the device actor calls
 * {@linkcode predictStress} for every reading.
 *
 * @module
 */

import {
  cpuClockMhz,
  DEVICE_PROFILES,
  type DeviceProfile,
  type DeviceReading,
  powerDraw,
  READING_INTERVAL_SECONDS,
} from "./device_readings.ts";
import { isOverLimit, temperatureLimit } from "./device_stress.ts";

/** The `format` tag of a stress model file. */
export const STRESS_MODEL_FORMAT = "gridfleet.stress-model/1";

/** A profile's part of the model: standardisation and logistic-regression coefficients. */
export interface ProfileModel {
  /** Feature names, in the order of {@linkcode STRESS_FEATURES}. */
  features: string[];
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
}

/** How a model was trained and how it did on held-out devices. */
export interface ModelTraining {
  seed: number;
  [detail: string]: unknown;
}

/** A trained stress model, as stored in its JSON file. */
export interface StressModel {
  format: typeof STRESS_MODEL_FORMAT;
  version: number;
  /** ISO 8601. */
  trainedAt: string;
  /** The model forecasts stress onsets within this many minutes. */
  horizonMinutes: number;
  /** The alert threshold the model was evaluated with. */
  threshold: number;
  /** How many recent readings the model looks at (the current one included). */
  windowReadings: number;
  profiles: Record<DeviceProfile, ProfileModel>;
  training: ModelTraining;
}

/** A feature: its name and what it measures. */
export interface StressFeature {
  name: string;
  description: string;
}

/** Readings in a minute. */
const MINUTE = 60 / READING_INTERVAL_SECONDS;
/** Readings averaged for a "current" value, smoothing sensor noise. */
const CURRENT_READINGS = 3;
/** Load at or above which a reading counts as heavy, %. */
const HEAVY_LOAD_PERCENT = 60;
/** Load at or above which the clock is expected at its maximum, %. */
const BUSY_LOAD_PERCENT = 50;
/** A `limit_rate` feature never exceeds this (the limit is then under 20 s away), 1/min. */
const MAX_LIMIT_RATE = 3;
/** A `minutes_to_limit` feature never exceeds this, minutes. */
const MAX_MINUTES_TO_LIMIT = 20;

/** What the features are computed from: one pass over the window. */
interface WindowSummary {
  /** Mean temperature of the last few readings, °C. */
  temperature: number;
  headroom: number;
  lowestTemperature: number;
  slope2m: number;
  slope3m: number;
  slopeWindow: number;
  /** Mean load over the last minute, %. */
  recentLoad: number;
  meanLoad: number;
  heavyMinutes: number;
  power: number;
  lowestPower: number;
  /** Mean clock of the last few readings, MHz. */
  clock: number;
  highestClock: number;
  fan: number;
  lowestFan: number;
  highestFan: number;
  overLimitMinutes: number;
}

const FEATURES: readonly (StressFeature & { value(summary: WindowSummary): number })[] = [
  {
    name: "headroom_c",
    description: "limit minus the current temperature (mean of the last 3 readings), °C",
    value: (s) => s.headroom,
  },
  {
    name: "near_limit",
    description: "exp(-headroom / 3 °C): grows steeply close to the limit",
    value: (s) => Math.exp(-Math.max(s.headroom, 0) / 3),
  },
  ...[2, 5, 10].map((knot) => ({
    name: `headroom_under_${knot}c`,
    description: `how far the headroom is under ${knot} °C (0 above it), °C`,
    value: (s: WindowSummary) => Math.max(0, knot - s.headroom),
  })),
  ...[3, 5, 8].map((knot) => ({
    name: `limit_within_${knot}m`,
    description: `how far the three-minute minutes-to-limit is under ${knot} (0 above it)`,
    value: (s: WindowSummary) => Math.max(0, knot - minutesToLimit(s.slope3m, s.headroom)),
  })),
  {
    name: "slope_2m",
    description: "temperature slope over the last two minutes, °C/min",
    value: (s) => s.slope2m,
  },
  {
    name: "slope_3m",
    description: "temperature slope over the last three minutes, °C/min",
    value: (s) => s.slope3m,
  },
  {
    name: "slope_window",
    description: "temperature slope over the whole window, °C/min",
    value: (s) => s.slopeWindow,
  },
  {
    name: "rise_c",
    description: "current temperature minus the window's lowest, °C",
    value: (s) => s.temperature - s.lowestTemperature,
  },
  {
    name: "limit_rate_2m",
    description: "two-minute slope over the headroom (1 / minutes to the limit), capped at 3",
    value: (s) => limitRate(s.slope2m, s.headroom),
  },
  {
    name: "limit_rate_3m",
    description: "three-minute slope over the headroom, capped at 3",
    value: (s) => limitRate(s.slope3m, s.headroom),
  },
  {
    name: "minutes_to_limit_2m",
    description: "headroom over the two-minute slope, capped at 20",
    value: (s) => minutesToLimit(s.slope2m, s.headroom),
  },
  {
    name: "minutes_to_limit_3m",
    description: "headroom over the three-minute slope, capped at 20",
    value: (s) => minutesToLimit(s.slope3m, s.headroom),
  },
  {
    name: "minutes_to_limit_window",
    description: "headroom over the window's slope, capped at 20",
    value: (s) => minutesToLimit(s.slopeWindow, s.headroom),
  },
  {
    name: "load_1m",
    description: "mean load over the last minute, %",
    value: (s) => s.recentLoad,
  },
  {
    name: "load_mean",
    description: "mean load over the window, %",
    value: (s) => s.meanLoad,
  },
  {
    name: "heavy_minutes",
    description: "how long the load has been at 60 % or more without a break, minutes",
    value: (s) => s.heavyMinutes,
  },
  {
    name: "power_rise",
    description: "log of the current power over the window's lowest",
    value: (s) => Math.log(Math.max(s.power, 0.01) / Math.max(s.lowestPower, 0.01)),
  },
  {
    name: "clock_ratio",
    description: "clock under load over the window's highest (1 when not busy): throttling",
    value: (s) =>
      s.recentLoad >= BUSY_LOAD_PERCENT && s.highestClock > 0 ? s.clock / s.highestClock : 1,
  },
  {
    name: "fan_rise",
    description: "fan airflow rise over the window, as a share of its highest",
    value: (s) => s.highestFan > 0 ? (s.fan - s.lowestFan) / s.highestFan : 0,
  },
  {
    name: "over_limit_minutes",
    description: "how long the device has been over its limit without a break, minutes",
    value: (s) => s.overLimitMinutes,
  },
];

/** The features, in model order; both profiles use the same ones. */
export const STRESS_FEATURES: readonly StressFeature[] = FEATURES.map(({ name, description }) => ({
  name,
  description,
}));

function limitRate(slope: number, headroom: number): number {
  return Math.min(MAX_LIMIT_RATE, Math.max(0, slope) / Math.max(headroom, 0.5));
}

function minutesToLimit(slope: number, headroom: number): number {
  if (headroom <= 0) return 0;
  return slope * MAX_MINUTES_TO_LIMIT <= headroom ? MAX_MINUTES_TO_LIMIT : headroom / slope;
}

/** Least-squares slope of the temperature against time over the last `count` readings, °C/min. */
function slopePerMinute(window: readonly DeviceReading[], count: number): number {
  const n = window.length;
  const from = Math.max(0, n - count);
  const size = n - from;
  if (size < 2) return 0;
  const t0 = window[n - 1].timestamp;
  let tSum = 0;
  let ySum = 0;
  for (let i = from; i < n; i++) {
    tSum += window[i].timestamp - t0;
    ySum += window[i].cpu_temp_c;
  }
  const tMean = tSum / size;
  const yMean = ySum / size;
  let covariance = 0;
  let variance = 0;
  for (let i = from; i < n; i++) {
    const dt = window[i].timestamp - t0 - tMean;
    covariance += dt * (window[i].cpu_temp_c - yMean);
    variance += dt * dt;
  }
  return variance === 0 ? 0 : 60 * covariance / variance;
}

/** Minutes from the first to the last reading of the trailing run that passes `test`. */
function trailingMinutes(
  window: readonly DeviceReading[],
  test: (reading: DeviceReading) => boolean,
): number {
  const n = window.length;
  let first = n;
  while (first > 0 && test(window[first - 1])) first--;
  return first === n ? 0 : (window[n - 1].timestamp - window[first].timestamp) / 60;
}

function summarise(profile: DeviceProfile, window: readonly DeviceReading[]): WindowSummary {
  const n = window.length;
  let lowestTemperature = Infinity;
  let loadSum = 0;
  let lowestPower = Infinity;
  let highestClock = 0;
  let lowestFan = Infinity;
  let highestFan = 0;
  for (const reading of window) {
    lowestTemperature = Math.min(lowestTemperature, reading.cpu_temp_c);
    loadSum += reading.cpu_load_percent;
    lowestPower = Math.min(lowestPower, powerDraw(reading));
    highestClock = Math.max(highestClock, cpuClockMhz(reading));
    lowestFan = Math.min(lowestFan, reading.fan_cfm);
    highestFan = Math.max(highestFan, reading.fan_cfm);
  }
  const currentFrom = Math.max(0, n - CURRENT_READINGS);
  let temperature = 0;
  let power = 0;
  let clock = 0;
  let fan = 0;
  for (let i = currentFrom; i < n; i++) {
    temperature += window[i].cpu_temp_c;
    power += powerDraw(window[i]);
    clock += cpuClockMhz(window[i]);
    fan += window[i].fan_cfm;
  }
  const current = n - currentFrom;
  let recentLoad = 0;
  const recentFrom = Math.max(0, n - MINUTE);
  for (let i = recentFrom; i < n; i++) recentLoad += window[i].cpu_load_percent;
  temperature /= current;
  return {
    temperature,
    headroom: temperatureLimit(profile) - temperature,
    lowestTemperature,
    slope2m: slopePerMinute(window, 2 * MINUTE),
    slope3m: slopePerMinute(window, 3 * MINUTE),
    slopeWindow: slopePerMinute(window, n),
    recentLoad: recentLoad / (n - recentFrom),
    meanLoad: loadSum / n,
    heavyMinutes: trailingMinutes(
      window,
      (reading) => reading.cpu_load_percent >= HEAVY_LOAD_PERCENT,
    ),
    power: power / current,
    lowestPower,
    clock: clock / current,
    highestClock,
    fan: fan / current,
    lowestFan,
    highestFan,
    overLimitMinutes: trailingMinutes(window, isOverLimit),
  };
}

/**
 * The feature vector of the newest reading of a window (oldest first, the
 * current reading last), in the order of {@linkcode STRESS_FEATURES}. A window
 * shorter than the model's (a fresh device) gives slopes and rises over what
 * there is. Throws when the window is empty or holds another profile's readings.
 *
 * @example
 * ```ts
 * const reading = {
 *   device_id: "pc1", profile: "pc" as const, timestamp: 0, cpu_clock_mhz: 3000,
 *   cpu_temp_c: 60, cpu_load_percent: 5, cpu_power_w: 8, fan_cfm: 20,
 * };
 * featureVector("pc", [reading])[0]; // 30: degrees of headroom below the PC limit
 * ```
 */
export function featureVector(profile: DeviceProfile, window: readonly DeviceReading[]): number[] {
  if (window.length === 0) throw new Error("A stress forecast needs at least one reading");
  for (const reading of window) {
    if (reading.profile !== profile) {
      throw new Error(
        `A "${profile}" stress forecast got a "${reading.profile}" reading of device ` +
          reading.device_id,
      );
    }
  }
  const summary = summarise(profile, window);
  return FEATURES.map((feature) => feature.value(summary));
}

/** The logistic function. */
function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * The probability, in [0, 1], that the device becomes stressed within the
 * model's horizon, from its recent readings (oldest first, the current one
 * last). The profile is the readings'.
 *
 * @example
 * ```ts ignore
 * const model = parseStressModel(JSON.parse(await Deno.readTextFile("data/models/device-stress.json")));
 * const probability = predictStress(model, window);
 * ```
 */
export function predictStress(model: StressModel, window: readonly DeviceReading[]): number {
  if (window.length === 0) throw new Error("A stress forecast needs at least one reading");
  const profile = window[window.length - 1].profile;
  const part = model.profiles[profile];
  const features = featureVector(profile, window.slice(-model.windowReadings));
  let z = part.bias;
  for (let i = 0; i < features.length; i++) {
    z += part.weights[i] * (features[i] - part.mean[i]) / part.std[i];
  }
  return sigmoid(z);
}

/**
 * Checks a parsed JSON document and returns it as a stress model. Throws an
 * Error naming the first field that is missing or wrong and the value seen.
 *
 * @example
 * ```ts ignore
 * const model = parseStressModel(JSON.parse(await Deno.readTextFile("data/models/device-stress.json")));
 * ```
 */
export function parseStressModel(json: unknown): StressModel {
  const root = record(json, "(the document)");
  if (root.format !== STRESS_MODEL_FORMAT) {
    fail("format", root.format, `must be "${STRESS_MODEL_FORMAT}"`);
  }
  const version = root.version;
  if (!Number.isSafeInteger(version) || (version as number) < 1) {
    fail("version", version, "must be a positive integer");
  }
  if (typeof root.trainedAt !== "string" || Number.isNaN(Date.parse(root.trainedAt))) {
    fail("trainedAt", root.trainedAt, "must be an ISO 8601 date");
  }
  const horizon = finite(root.horizonMinutes, "horizonMinutes");
  if (horizon <= 0) fail("horizonMinutes", horizon, "must be positive");
  const threshold = finite(root.threshold, "threshold");
  if (threshold < 0 || threshold > 1) fail("threshold", threshold, "must be in [0, 1]");
  const windowReadings = root.windowReadings;
  if (!Number.isSafeInteger(windowReadings) || (windowReadings as number) < 1) {
    fail("windowReadings", windowReadings, "must be a positive integer");
  }
  const profiles = record(root.profiles, "profiles");
  for (const profile of DEVICE_PROFILES) {
    parseProfileModel(profiles[profile], `profiles.${profile}`);
  }
  const training = record(root.training, "training");
  finite(training.seed, "training.seed");
  return json as StressModel;
}

function parseProfileModel(json: unknown, field: string): void {
  const part = record(json, field);
  const names = STRESS_FEATURES.map((feature) => feature.name);
  const features = part.features;
  if (
    !Array.isArray(features) || features.length !== names.length ||
    features.some((name, i) => name !== names[i])
  ) {
    fail(`${field}.features`, features, `must be the features this code computes: ${names}`);
  }
  for (const key of ["mean", "std", "weights"]) {
    const values = part[key];
    if (!Array.isArray(values) || values.length !== names.length) {
      fail(`${field}.${key}`, values, `must be an array of ${names.length} numbers`);
    }
    values.forEach((value, i) => {
      finite(value, `${field}.${key}[${i}]`);
      if (key === "std" && value <= 0) fail(`${field}.std[${i}]`, value, "must be positive");
    });
  }
  finite(part.bias, `${field}.bias`);
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(field, value, "must be an object");
  }
  return value as Record<string, unknown>;
}

function finite(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(field, value, "must be a number");
  return value as number;
}

function fail(field: string, value: unknown, rule: string): never {
  if (value === undefined) throw new Error(`Stress model field "${field}" is missing: it ${rule}`);
  const seen = JSON.stringify(value);
  const shown = seen.length > 60 ? `${seen.slice(0, 57)}...` : seen;
  throw new Error(`Stress model field "${field}" ${rule}, not ${shown}`);
}
