/**
 * How well a stress model does on held-out device histories, judged the way
 * the live system acts on it: every reading is scored with `predictStress`
 * over the window the device actor keeps, fed to `trackStress` and, with its
 * verdict, to `stepAlert`.
 *
 * **Per reading** (readings while stressed, and the last horizon of a history,
 * excluded — see `history.ts`): a reading is flagged when its probability is
 * at or above the threshold; precision is the share of flagged readings after
 * which the device did become stressed within the horizon, recall the share of
 * such readings that were flagged.
 *
 * **Per alert.** The alert tracker raises at most one alert per episode: from
 * the moment it is armed until it re-arms (the device back to normal for a
 * minute). An alert is *true* when its episode ends in stress: a stress onset
 * follows it before the tracker re-arms. Alert precision is the share of true
 * alerts; an alert still open at the end of a history counts as false once its
 * horizon has passed there (and is left out before that). A stress onset is
 * *caught* when an alert of its episode came at least a minute
 * ({@linkcode MIN_LEAD_SECONDS}) before it, and after any earlier onset; alert
 * recall is the share of caught onsets, and the lead time of a caught onset is
 * the time from that alert to the onset.
 *
 * The same counts are also reported *within the horizon*: an alert counts as
 * true, and an onset as caught, only when the onset came at most
 * `horizonMinutes` after the alert. This is the stricter reading of the
 * forecast's promise. With a calibrated model its precision sits near the
 * alert threshold by construction: an alert fires where the probability of
 * stress within the horizon first reaches the threshold.
 *
 * @module
 */

import type { DeviceProfile } from "../actors/device_readings.ts";
import {
  initAlertTracker,
  initStressTracker,
  stepAlert,
  trackStress,
} from "../actors/device_stress.ts";
import { predictStress, type StressModel } from "../actors/stress_model.ts";
import { type DeviceHistory, labelHistory } from "./history.ts";

/** An alert less than this before the onset is too late to act on: the onset counts as missed, s. */
export const MIN_LEAD_SECONDS = 60;

/** Per-reading confusion counts and their precision and recall (null when undefined). */
export interface ReadingMetrics {
  readings: number;
  positives: number;
  flagged: number;
  truePositives: number;
  precision: number | null;
  recall: number | null;
}

/** Lead times of caught onsets, minutes. */
export interface LeadTimes {
  mean: number;
  median: number;
  min: number;
  max: number;
}

/** Alert-level counts and their precision and recall (null when undefined). */
export interface AlertMetrics {
  alerts: number;
  /** Alerts whose episode ended in stress. */
  trueAlerts: number;
  onsets: number;
  /** Onsets with an alert of their episode before them. */
  caughtOnsets: number;
  precision: number | null;
  recall: number | null;
  /** Lead times of the caught onsets; null when none was caught. */
  leadMinutes: LeadTimes | null;
  /** The same, counting only onsets at most the horizon after their alert. */
  withinHorizon: {
    trueAlerts: number;
    caughtOnsets: number;
    precision: number | null;
    recall: number | null;
  };
}

/** The evaluation of one set of histories. */
export interface Evaluation {
  devices: number;
  readings: ReadingMetrics;
  alerts: AlertMetrics;
}

/** Settings of {@linkcode evaluateModel}. */
export interface EvaluationOptions {
  /** The alert threshold. */
  threshold: number;
}

/** Collects scores and alerts of histories, then summarises them. */
interface Tally {
  devices: number;
  readings: number;
  positives: number;
  flagged: number;
  truePositives: number;
  alerts: number;
  trueAlerts: number;
  trueWithinHorizon: number;
  onsets: number;
  caughtWithinHorizon: number;
  leads: number[];
}

function emptyTally(): Tally {
  return {
    devices: 0,
    readings: 0,
    positives: 0,
    flagged: 0,
    truePositives: 0,
    alerts: 0,
    trueAlerts: 0,
    trueWithinHorizon: 0,
    onsets: 0,
    caughtWithinHorizon: 0,
    leads: [],
  };
}

/**
 * Evaluates a model on histories, overall and per profile.
 *
 * @example
 * ```ts ignore
 * const { overall } = evaluateModel(model, heldOut, { threshold: 0.7 });
 * console.log(overall.alerts.precision, overall.alerts.recall);
 * ```
 */
export function evaluateModel(
  model: StressModel,
  histories: readonly DeviceHistory[],
  options: EvaluationOptions,
): { overall: Evaluation; byProfile: Partial<Record<DeviceProfile, Evaluation>> } {
  const overall = emptyTally();
  const byProfile: Partial<Record<DeviceProfile, Tally>> = {};
  for (const history of histories) {
    const tally = byProfile[history.profile] ??= emptyTally();
    const scored = scoreHistory(model, history, options.threshold);
    for (const target of [overall, tally]) {
      target.devices++;
      target.readings += scored.readings;
      target.positives += scored.positives;
      target.flagged += scored.flagged;
      target.truePositives += scored.truePositives;
      target.alerts += scored.alerts;
      target.trueAlerts += scored.trueAlerts;
      target.trueWithinHorizon += scored.trueWithinHorizon;
      target.onsets += scored.onsets;
      target.caughtWithinHorizon += scored.caughtWithinHorizon;
      target.leads.push(...scored.leads);
    }
  }
  return {
    overall: summarise(overall),
    byProfile: Object.fromEntries(
      Object.entries(byProfile).map(([profile, tally]) => [profile, summarise(tally)]),
    ),
  };
}

function scoreHistory(model: StressModel, history: DeviceHistory, threshold: number): Tally {
  const tally = emptyTally();
  const horizon = model.horizonMinutes * 60;
  const labels = labelHistory(history, model.horizonMinutes);
  let stress = initStressTracker();
  let alert = initAlertTracker();
  // The alert of the episode in progress: raised since the tracker last re-armed.
  let open: { at: number; judged: boolean } | null = null;
  let lastOnset = -Infinity;
  const end = history.readings.at(-1)?.timestamp ?? 0;
  for (let i = 0; i < history.readings.length; i++) {
    const reading = history.readings[i];
    const t = reading.timestamp;
    const window = history.readings.slice(Math.max(0, i + 1 - model.windowReadings), i + 1);
    // Rounded as the device actor rounds it before alerting.
    const probability = Math.round(predictStress(model, window) * 10_000) / 10_000;
    const tracked = trackStress(stress, reading);
    stress = tracked.tracker;
    const wasArmed = alert.armed;
    const stepped = stepAlert(alert, probability, tracked.stressed, { threshold });
    alert = stepped.tracker;
    if (!wasArmed && alert.armed) {
      // Back to normal: an alert still open was not followed by stress.
      if (open && !open.judged) tally.alerts++;
      open = null;
    }
    if (stepped.fire) open = { at: t, judged: false };
    if (tracked.onset) {
      tally.onsets++;
      if (open && open.at > lastOnset && t - open.at >= MIN_LEAD_SECONDS) {
        const lead = t - open.at;
        tally.leads.push(lead / 60);
        if (lead <= horizon) tally.caughtWithinHorizon++;
      }
      if (open && !open.judged) {
        open.judged = true;
        tally.alerts++;
        tally.trueAlerts++;
        if (t - open.at <= horizon) tally.trueWithinHorizon++;
      }
      lastOnset = t;
    }
    const label = labels[i];
    if (label === "excluded") continue;
    tally.readings++;
    const flagged = probability >= threshold;
    if (label === "positive") tally.positives++;
    if (flagged) tally.flagged++;
    if (flagged && label === "positive") tally.truePositives++;
  }
  if (open && !open.judged && open.at + horizon <= end) tally.alerts++;
  return tally;
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function summarise(tally: Tally): Evaluation {
  const leads = [...tally.leads].sort((a, b) => a - b);
  const middle = leads.length >> 1;
  return {
    devices: tally.devices,
    readings: {
      readings: tally.readings,
      positives: tally.positives,
      flagged: tally.flagged,
      truePositives: tally.truePositives,
      precision: ratio(tally.truePositives, tally.flagged),
      recall: ratio(tally.truePositives, tally.positives),
    },
    alerts: {
      alerts: tally.alerts,
      trueAlerts: tally.trueAlerts,
      onsets: tally.onsets,
      caughtOnsets: leads.length,
      precision: ratio(tally.trueAlerts, tally.alerts),
      recall: ratio(leads.length, tally.onsets),
      leadMinutes: leads.length === 0 ? null : {
        mean: leads.reduce((sum, lead) => sum + lead, 0) / leads.length,
        median: leads.length % 2 === 1 ? leads[middle] : (leads[middle - 1] + leads[middle]) / 2,
        min: leads[0],
        max: leads[leads.length - 1],
      },
      withinHorizon: {
        trueAlerts: tally.trueWithinHorizon,
        caughtOnsets: tally.caughtWithinHorizon,
        precision: ratio(tally.trueWithinHorizon, tally.alerts),
        recall: ratio(tally.caughtWithinHorizon, tally.onsets),
      },
    },
  };
}
