/**
 * The whole batch analysis without I/O beyond reading the inputs: ingest,
 * deduplicate, clean, summarise. The CLI in main.ts wraps it.
 */

import { AnalysisError } from "./analysis_error.ts";
import { cleanSeries } from "./clean.ts";
import { type FileTally, ingestFiles, type Rejection, type RejectionReason } from "./ingest.ts";
import {
  type ReadingAnomaly,
  summarise,
  type TurbineAnomaly,
  type WindowSummary,
} from "./summarise.ts";
import type { TurbineSeries } from "./turbine_series.ts";

/** Row and value counts of a run; see analysis/README.md for their definitions. */
export interface RowCounts {
  /** Non-empty lines after the headers. */
  read: number;
  /** Rows kept: read minus rejected minus duplicates. */
  valid: number;
  rejected: number;
  duplicates: number;
  /** Values (not rows) that were empty or non-numeric. */
  missing: number;
  /** Values outside physical limits. */
  impossible: number;
  /** Power values removed as spikes. */
  spikes: number;
  /** Values filled by interpolation. */
  imputed: number;
}

/** Everything a report or a result sink needs from one run. */
export interface AnalysisResult {
  files: FileTally[];
  rows: RowCounts;
  rejectedByReason: Record<RejectionReason, number>;
  /** The first rejected rows (see `quarantineLimit`); `rows.rejected` counts all. */
  quarantine: Rejection[];
  windowMs: number;
  summaries: WindowSummary[];
  anomalies: (TurbineAnomaly | ReadingAnomaly)[];
  /** The cleaned series by turbine id, stored as cleaned readings by store/analysis_store.ts. */
  series: TurbineSeries[];
}

/** Options for {@linkcode analyseFiles}. */
export interface AnalyseOptions {
  windowMs: number;
  maxGapMs: number;
  spikeThreshold: number;
  quarantineLimit?: number;
  maxLineLength?: number;
  onRows?: (count: number) => void;
  onFileDone?: () => void;
}

/**
 * Analyses the given files. Throws an {@linkcode AnalysisError} when a file
 * is unusable or when no row at all is valid.
 *
 * @example
 * ```ts
 * import { analyseFiles } from "./analyse_files.ts";
 * const result = await analyseFiles(["data/data_group_1.csv"], {
 *   windowMs: 86_400_000,
 *   maxGapMs: 10_800_000,
 *   spikeThreshold: 5,
 * });
 * console.log(result.summaries.length); // 155
 * ```
 */
export async function analyseFiles(
  paths: string[],
  options: AnalyseOptions,
): Promise<AnalysisResult> {
  const ingested = await ingestFiles(paths, options);
  const rows: RowCounts = {
    read: 0,
    valid: 0,
    rejected: 0,
    duplicates: 0,
    missing: 0,
    impossible: 0,
    spikes: 0,
    imputed: 0,
  };
  const seriesList: TurbineSeries[] = [];
  const turbineIds = [...ingested.turbines.keys()].sort((a, b) => a - b);
  for (const turbineId of turbineIds) {
    const { series, duplicatesByFile } = ingested.turbines.get(turbineId)!.finish();
    ingested.turbines.delete(turbineId);
    for (const [file, count] of duplicatesByFile) ingested.files[file].duplicates += count;
    const counts = cleanSeries(series, options);
    rows.valid += series.time.length;
    rows.missing += counts.missing;
    rows.impossible += counts.impossible;
    rows.spikes += counts.spikes;
    rows.imputed += counts.imputed;
    seriesList.push(series);
  }
  for (const tally of ingested.files) {
    rows.read += tally.rowsRead;
    rows.rejected += tally.rejected;
    rows.duplicates += tally.duplicates;
  }
  if (rows.valid === 0) {
    const first = ingested.quarantine[0];
    const example = first === undefined
      ? ""
      : `; first: ${first.file} line ${first.line}: ${first.reason}`;
    throw new AnalysisError(
      "input",
      `No valid rows in ${paths.length} file(s): ${rows.read} rows read, ${rows.rejected} rejected${example}`,
    );
  }
  const { summaries, anomalies } = summarise(seriesList, options.windowMs);
  return {
    files: ingested.files,
    rows,
    rejectedByReason: ingested.rejectedByReason,
    quarantine: ingested.quarantine,
    windowMs: options.windowMs,
    summaries,
    anomalies,
    series: seriesList,
  };
}
