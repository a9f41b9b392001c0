/**
 * The training command's report: what was trained on and how the model did
 * on the held-out devices, as text for a terminal.
 *
 * @module
 */

import type { StressModel } from "../actors/stress_model.ts";
import type { AlertMetrics, Evaluation, ReadingMetrics } from "./evaluate.ts";
import type { TrainingReport } from "./train.ts";

function share(value: number | null): string {
  return value === null ? "n/a" : value.toFixed(3);
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}

function readingLine(metrics: ReadingMetrics): string {
  return `precision ${share(metrics.precision)}  recall ${share(metrics.recall)}  ` +
    `(${count(metrics.truePositives)} of ${count(metrics.flagged)} flagged readings were ` +
    `followed by stress; ${count(metrics.positives)} positive of ${count(metrics.readings)})`;
}

function alertLines(metrics: AlertMetrics): string[] {
  const lead = metrics.leadMinutes;
  return [
    `alerts:    precision ${share(metrics.precision)}  recall ${share(metrics.recall)}  ` +
    `(${metrics.trueAlerts} of ${metrics.alerts} alerts ended in stress; ` +
    `${metrics.caughtOnsets} of ${metrics.onsets} onsets caught)`,
    `  within the horizon: precision ${share(metrics.withinHorizon.precision)}  ` +
    `recall ${share(metrics.withinHorizon.recall)}`,
    lead === null
      ? "  lead time: no onset caught"
      : `  lead time, minutes: mean ${lead.mean.toFixed(2)}  median ` +
        `${lead.median.toFixed(2)}  min ${lead.min.toFixed(2)}  max ${lead.max.toFixed(2)}`,
  ];
}

function evaluationLines(title: string, evaluation: Evaluation): string[] {
  return [
    `${title} (${evaluation.devices} devices)`,
    `  readings:  ${readingLine(evaluation.readings)}`,
    ...alertLines(evaluation.alerts).map((line) => `  ${line}`),
  ];
}

/**
 * The report printed after training.
 *
 * @example
 * ```ts ignore
 * console.log(formatTrainingReport(model, report));
 * ```
 */
export function formatTrainingReport(model: StressModel, report: TrainingReport): string {
  const training = model.training;
  const lines = [
    `Stress model version ${model.version}: seed ${training.seed}, ${training.devices} devices x ` +
    `${training.hours} h, horizon ${model.horizonMinutes} min, threshold ${model.threshold}, ` +
    `window ${model.windowReadings} readings; trained in ${report.seconds.toFixed(1)} s`,
    `Training set: ${report.trainingDevices} devices`,
  ];
  for (const [profile, examples] of Object.entries(report.examples)) {
    lines.push(
      `  ${profile}: ${count(examples.readings)} readings, ${
        count(examples.positives)
      } positive; ` +
        `feedback ${examples.feedbackCorrect} confirmed, ${examples.feedbackRejected} rejected`,
    );
  }
  lines.push(
    `Feedback samples used: ${report.feedback.used}` +
      (report.feedback.skipped > 0 ? ` (${report.feedback.skipped} without readings skipped)` : ""),
  );
  lines.push(...evaluationLines("Held out", report.heldOut));
  for (const [profile, evaluation] of Object.entries(report.heldOutByProfile)) {
    lines.push(...evaluationLines(`Held out, ${profile}`, evaluation));
  }
  return lines.join("\n");
}
