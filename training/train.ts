/**
 * Trains the stress model: simulates a fleet, labels its readings, fits a
 * logistic regression per profile on the training devices (plus the owners'
 * feedback on past alerts) and evaluates it on held-out devices.
 *
 * The split is by device: held-out devices have their own ids, hence their
 * own seeds, traits and workloads, and none of their readings is trained on.
 *
 * @module
 */

import { DEVICE_PROFILES, type DeviceProfile } from "../actors/device_readings.ts";
import {
  featureVector,
  type ProfileModel,
  STRESS_FEATURES,
  STRESS_MODEL_FORMAT,
  type StressModel,
} from "../actors/stress_model.ts";
import type { FeedbackSample } from "../store/device_store.ts";
import { evaluateModel, type Evaluation } from "./evaluate.ts";
import { type DeviceHistory, labelHistory, simulateHistory } from "./history.ts";
import { fitLogistic } from "./logistic.ts";

/** What to train on and how. */
export interface TrainingOptions {
  seed: number;
  /** Simulated devices in all, half of each profile, some held out (see `heldOutShare`). */
  devices: number;
  /** Simulated hours per device. */
  hours: number;
  horizonMinutes: number;
  /** Alert threshold, stored in the model and used for the evaluation. */
  threshold: number;
  /** Version number of the new model. */
  version: number;
  /** Readings the model looks at; default {@linkcode DEFAULT_WINDOW_READINGS}. */
  windowReadings?: number;
  /** L2 penalty; default {@linkcode DEFAULT_L2}. */
  l2?: number;
  /** Weight of one feedback example against one simulated reading; default {@linkcode FEEDBACK_WEIGHT}. */
  feedbackWeight?: number;
  /** Share of the devices held out for evaluation; default {@linkcode HELD_OUT_SHARE}. */
  heldOutShare?: number;
  /** Time stamp of the model; default now. */
  trainedAt?: Date;
}

/** Five minutes of readings: long enough for a slope that noise does not swamp. */
export const DEFAULT_WINDOW_READINGS = 60;
/** L2 penalty on the standardised weights. */
export const DEFAULT_L2 = 1;
/** An owner's verdict on an alert counts as much as this many simulated readings. */
export const FEEDBACK_WEIGHT = 5;
/** Share of the devices held out for evaluation. */
export const HELD_OUT_SHARE = 0.25;

/** How many examples each profile was trained on. */
export interface ExampleCounts {
  readings: number;
  positives: number;
  feedbackCorrect: number;
  feedbackRejected: number;
}

/** What training did and how the model did on held-out devices. */
export interface TrainingReport {
  trainingDevices: number;
  heldOutDevices: number;
  /** Feedback samples used, and those skipped because their window was empty. */
  feedback: { used: number; skipped: number };
  examples: Record<DeviceProfile, ExampleCounts>;
  heldOut: Evaluation;
  heldOutByProfile: Partial<Record<DeviceProfile, Evaluation>>;
  seconds: number;
}

/** Builds the rows of one profile's training set. */
class ExampleSet {
  features: number[] = [];
  labels: number[] = [];
  weights: number[] = [];
  counts: ExampleCounts = { readings: 0, positives: 0, feedbackCorrect: 0, feedbackRejected: 0 };

  add(features: number[], positive: boolean, weight: number): void {
    this.features.push(...features);
    this.labels.push(positive ? 1 : 0);
    this.weights.push(weight);
  }
}

/** One simulated device of a training run. */
export interface PlannedDevice {
  deviceId: string;
  profile: DeviceProfile;
  heldOut: boolean;
}

/**
 * The simulated devices of a run: `train-<n>` and `heldout-<n>`, profiles
 * alternating, at least two of each kind.
 *
 * @example
 * ```ts
 * fleetPlan(8).filter((device) => device.heldOut).map((device) => device.deviceId);
 * // ["heldout-0", "heldout-1"]
 * ```
 */
export function fleetPlan(
  devices: number,
  heldOutShare: number = HELD_OUT_SHARE,
): PlannedDevice[] {
  const heldOut = Math.max(2, Math.round(devices * heldOutShare));
  const training = Math.max(2, devices - heldOut);
  const plan: PlannedDevice[] = [];
  for (let i = 0; i < training; i++) {
    plan.push({ deviceId: `train-${i}`, profile: DEVICE_PROFILES[i % 2], heldOut: false });
  }
  for (let i = 0; i < heldOut; i++) {
    plan.push({ deviceId: `heldout-${i}`, profile: DEVICE_PROFILES[i % 2], heldOut: true });
  }
  return plan;
}

/**
 * Trains a model and evaluates it on held-out devices. `feedback` is the
 * owners' verdicts on past alerts: a confirmed alert's window is a positive
 * example, a rejected one's a negative, each weighing
 * {@linkcode FEEDBACK_WEIGHT} readings.
 *
 * @example
 * ```ts ignore
 * const { model, report } = train({ seed: 42, devices: 24, hours: 4, horizonMinutes: 5, threshold: 0.7, version: 1 }, []);
 * console.log(report.heldOut.alerts.precision);
 * ```
 */
export function train(
  options: TrainingOptions,
  feedback: readonly FeedbackSample[],
): { model: StressModel; report: TrainingReport } {
  const started = performance.now();
  const windowReadings = options.windowReadings ?? DEFAULT_WINDOW_READINGS;
  const feedbackWeight = options.feedbackWeight ?? FEEDBACK_WEIGHT;
  const sets = {} as Record<DeviceProfile, ExampleSet>;
  for (const profile of DEVICE_PROFILES) sets[profile] = new ExampleSet();
  const heldOut: DeviceHistory[] = [];
  const plan = fleetPlan(options.devices, options.heldOutShare);
  for (const device of plan) {
    const history = simulateHistory(options.seed, device.deviceId, device.profile, options.hours);
    if (device.heldOut) {
      heldOut.push(history);
      continue;
    }
    addHistory(sets[device.profile], history, options.horizonMinutes, windowReadings);
  }
  let used = 0;
  for (const sample of feedback) {
    if (sample.window.length === 0) continue;
    const set = sets[sample.profile];
    set.add(
      featureVector(sample.profile, sample.window.slice(-windowReadings)),
      sample.correct,
      feedbackWeight,
    );
    if (sample.correct) set.counts.feedbackCorrect++;
    else set.counts.feedbackRejected++;
    used++;
  }
  const profiles = {} as Record<DeviceProfile, ProfileModel>;
  for (const profile of DEVICE_PROFILES) {
    profiles[profile] = fitProfile(sets[profile], options.l2 ?? DEFAULT_L2);
  }
  const examples = {} as Record<DeviceProfile, ExampleCounts>;
  for (const profile of DEVICE_PROFILES) examples[profile] = sets[profile].counts;
  const model: StressModel = {
    format: STRESS_MODEL_FORMAT,
    version: options.version,
    trainedAt: (options.trainedAt ?? new Date()).toISOString(),
    horizonMinutes: options.horizonMinutes,
    threshold: options.threshold,
    windowReadings,
    profiles,
    training: { seed: options.seed },
  };
  const evaluation = evaluateModel(model, heldOut, { threshold: options.threshold });
  const report: TrainingReport = {
    trainingDevices: plan.length - heldOut.length,
    heldOutDevices: heldOut.length,
    feedback: { used, skipped: feedback.length - used },
    examples,
    heldOut: evaluation.overall,
    heldOutByProfile: evaluation.byProfile,
    seconds: (performance.now() - started) / 1000,
  };
  model.training = {
    seed: options.seed,
    devices: options.devices,
    hours: options.hours,
    trainingDevices: report.trainingDevices,
    heldOutDevices: report.heldOutDevices,
    examples,
    feedback: report.feedback,
    heldOut: report.heldOut,
    heldOutByProfile: report.heldOutByProfile,
  };
  return { model, report };
}

function addHistory(
  set: ExampleSet,
  history: DeviceHistory,
  horizonMinutes: number,
  windowReadings: number,
): void {
  const labels = labelHistory(history, horizonMinutes);
  for (let i = 0; i < history.readings.length; i++) {
    if (labels[i] === "excluded") continue;
    const window = history.readings.slice(Math.max(0, i + 1 - windowReadings), i + 1);
    const positive = labels[i] === "positive";
    set.add(featureVector(history.profile, window), positive, 1);
    set.counts.readings++;
    if (positive) set.counts.positives++;
  }
}

function fitProfile(set: ExampleSet, l2: number): ProfileModel {
  const fit = fitLogistic({
    features: Float64Array.from(set.features),
    dimensions: STRESS_FEATURES.length,
    labels: Uint8Array.from(set.labels),
    weights: Float64Array.from(set.weights),
  }, { l2 });
  return {
    features: STRESS_FEATURES.map((feature) => feature.name),
    mean: fit.mean,
    std: fit.std,
    weights: fit.weights,
    bias: fit.bias,
  };
}
