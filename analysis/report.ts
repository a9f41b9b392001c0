/** Rendering of an analysis result as one JSON document or as a readable table. */

import type { AnalysisResult } from "./analyse_files.ts";
import type { ReadingAnomaly, TurbineAnomaly } from "./summarise.ts";
import { formatTimestamp } from "./timestamp.ts";

/** The JSON report's shape (snake_case keys, ISO-8601 UTC times). */
export interface JsonReport {
  files: { file: string; rows_read: number; rejected: number; duplicates: number }[];
  rows: AnalysisResult["rows"];
  rejected_by_reason: AnalysisResult["rejectedByReason"];
  window_seconds: number;
  summaries: {
    turbine_id: number;
    window_start: string;
    window_end: string;
    min: number;
    max: number;
    mean: number;
    count: number;
    imputed: number;
  }[];
  anomalies: (JsonTurbineAnomaly | JsonReadingAnomaly)[];
  quarantine: AnalysisResult["quarantine"];
  /** All rejected rows; `quarantine` lists only the first of them. */
  quarantine_total: number;
}

/** A turbine anomaly as reported in JSON. */
export interface JsonTurbineAnomaly {
  kind: "turbine";
  turbine_id: number;
  window_start: string;
  mean: number;
  fleet_mean: number;
  fleet_std: number;
  z: number;
}

/** A reading anomaly as reported in JSON. */
export interface JsonReadingAnomaly {
  kind: "reading";
  turbine_id: number;
  timestamp: string;
  power_output: number;
  window_mean: number;
  window_std: number;
}

/**
 * Converts a result to the JSON report object.
 *
 * @example
 * ```ts
 * import { toJsonReport } from "./report.ts";
 * import type { AnalysisResult } from "./analyse_files.ts";
 * declare const result: AnalysisResult;
 * console.log(toJsonReport(result).window_seconds);
 * ```
 */
export function toJsonReport(result: AnalysisResult): JsonReport {
  return {
    files: result.files.map((f) => ({
      file: f.file,
      rows_read: f.rowsRead,
      rejected: f.rejected,
      duplicates: f.duplicates,
    })),
    rows: result.rows,
    rejected_by_reason: result.rejectedByReason,
    window_seconds: result.windowMs / 1000,
    summaries: result.summaries.map((s) => ({
      turbine_id: s.turbineId,
      window_start: formatTimestamp(s.windowStart),
      window_end: formatTimestamp(s.windowEnd),
      min: s.min,
      max: s.max,
      mean: s.mean,
      count: s.count,
      imputed: s.imputed,
    })),
    anomalies: result.anomalies.map(jsonAnomaly),
    quarantine: result.quarantine,
    quarantine_total: result.rows.rejected,
  };
}

/** An anomaly in the JSON shape of the report (and of the anomalies API). */
export function jsonAnomaly(
  anomaly: TurbineAnomaly | ReadingAnomaly,
): JsonTurbineAnomaly | JsonReadingAnomaly {
  if (anomaly.kind === "turbine") {
    return {
      kind: "turbine",
      turbine_id: anomaly.turbineId,
      window_start: formatTimestamp(anomaly.windowStart),
      mean: anomaly.mean,
      fleet_mean: anomaly.fleetMean,
      fleet_std: anomaly.fleetStd,
      z: anomaly.z,
    };
  }
  return {
    kind: "reading",
    turbine_id: anomaly.turbineId,
    timestamp: formatTimestamp(anomaly.timestamp),
    power_output: anomaly.powerOutput,
    window_mean: anomaly.windowMean,
    window_std: anomaly.windowStd,
  };
}

/** Options for {@linkcode formatReport}. */
export interface FormatReportOptions {
  /** How many of the strongest anomalies of each kind the table lists. Default 10. */
  top?: number;
}

/**
 * Renders a result as `"json"` (exactly one JSON document) or `"table"`.
 *
 * @example
 * ```ts
 * import { formatReport } from "./report.ts";
 * import type { AnalysisResult } from "./analyse_files.ts";
 * declare const result: AnalysisResult;
 * console.log(formatReport(result, "table"));
 * ```
 */
export function formatReport(
  result: AnalysisResult,
  format: "table" | "json",
  options: FormatReportOptions = {},
): string {
  if (format === "json") return JSON.stringify(toJsonReport(result), null, 2) + "\n";
  return formatTable(result, options.top ?? 10);
}

function formatTable(result: AnalysisResult, top: number): string {
  const lines: string[] = [];
  const { rows } = result;
  lines.push("Files");
  const width = Math.max(4, ...result.files.map((f) => f.file.length));
  lines.push(
    `  ${"file".padEnd(width)}  ${"rows".padStart(9)}  ${"rejected".padStart(9)}  duplicates`,
  );
  for (const f of result.files) {
    lines.push(
      `  ${f.file.padEnd(width)}  ${count(f.rowsRead).padStart(9)}  ${
        count(f.rejected).padStart(9)
      }  ${count(f.duplicates).padStart(10)}`,
    );
  }
  lines.push("");
  lines.push(
    `Rows: ${count(rows.read)} read, ${count(rows.valid)} valid, ${
      count(rows.rejected)
    } rejected, ` +
      `${count(rows.duplicates)} duplicates`,
  );
  lines.push(
    `Values: ${count(rows.missing)} missing, ${count(rows.impossible)} impossible, ` +
      `${count(rows.spikes)} spikes, ${count(rows.imputed)} imputed`,
  );
  const reasons = Object.entries(result.rejectedByReason).filter(([, n]) => n > 0);
  if (reasons.length > 0) {
    lines.push(`Rejected by reason: ${reasons.map(([r, n]) => `${r} ${count(n)}`).join(", ")}`);
  }
  lines.push(`Window: ${result.windowMs / 1000} s`);
  const turbineAnomalies = result.anomalies.filter((a): a is TurbineAnomaly =>
    a.kind === "turbine"
  );
  const readingAnomalies = result.anomalies.filter((a): a is ReadingAnomaly =>
    a.kind === "reading"
  );
  const turbines = new Set(result.summaries.map((s) => s.turbineId)).size;
  lines.push(
    `Summaries: ${count(result.summaries.length)} turbine-windows over ${turbines} turbines`,
  );
  lines.push(
    `Anomalies: ${count(turbineAnomalies.length)} turbine, ${
      count(readingAnomalies.length)
    } reading`,
  );
  if (turbineAnomalies.length > 0) {
    lines.push("", `Top turbine anomalies (by |z|):`);
    for (
      const a of [...turbineAnomalies].sort((x, y) => Math.abs(y.z) - Math.abs(x.z)).slice(0, top)
    ) {
      lines.push(
        `  turbine ${a.turbineId}  ${formatTimestamp(a.windowStart)}  mean ${fixed(a.mean)}  ` +
          `fleet ${fixed(a.fleetMean)} ± ${fixed(a.fleetStd)}  z ${fixed(a.z)}`,
      );
    }
  }
  if (readingAnomalies.length > 0) {
    lines.push("", `Top reading anomalies (by distance in window standard deviations):`);
    const distance = (a: ReadingAnomaly): number =>
      Math.abs(a.powerOutput - a.windowMean) / a.windowStd;
    for (const a of [...readingAnomalies].sort((x, y) => distance(y) - distance(x)).slice(0, top)) {
      lines.push(
        `  turbine ${a.turbineId}  ${formatTimestamp(a.timestamp)}  power ${
          fixed(a.powerOutput)
        }  ` +
          `window ${fixed(a.windowMean)} ± ${fixed(a.windowStd)}`,
      );
    }
  }
  if (result.quarantine.length > 0) {
    const shown = result.quarantine.slice(0, top);
    lines.push("", `Quarantine (first ${shown.length} of ${count(rows.rejected)}):`);
    for (const q of shown) lines.push(`  ${q.file}:${q.line}  ${q.reason}`);
  }
  return lines.join("\n") + "\n";
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function fixed(n: number): string {
  return n.toFixed(3);
}
