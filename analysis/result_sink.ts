/**
 * The hook through which a finished run's results are stored, so that a
 * Deno KV store (or anything else) can be plugged into the analysis command
 * without the pipeline knowing about it. `runAnalysis(args, { sink })` in
 * main.ts calls `sink.storeResults` once per successful run in which `--kv`
 * was given, after the report is written and before `--delete-after`
 * removes the inputs; if it throws, the inputs are kept.
 */

import { dirname } from "node:path";
import { AnalysisError } from "./analysis_error.ts";
import type { AnalysisResult } from "./analyse_files.ts";

/** Where to store results, and the run they came from. */
export interface StoreResultsOptions {
  /** The `--kv` path (a Deno KV database file, or `:memory:`). */
  kvPath: string;
  /** Epoch milliseconds when the run began. */
  startedAt: number;
  /** The `--max-gap` of the run, milliseconds (the window is in the result). */
  maxGapMs: number;
  /** The `--spike-threshold` of the run. */
  spikeThreshold: number;
}

/** Stores one run's results; implementations must be idempotent per input set. */
export type StoreResults = (result: AnalysisResult, options: StoreResultsOptions) => Promise<void>;

/** A destination for analysis results; the default is `kvSink` in kv_sink.ts. */
export interface ResultSink {
  /** Persists `result`; a rejection propagates out of `runAnalysis` and the inputs are kept. */
  storeResults: StoreResults;
}

/**
 * Checks that `--kv` names something a KV database can be created at: an
 * existing file, or a new file in an existing directory (or `:memory:`).
 *
 * @example
 * ```ts
 * import { checkKvPath } from "./result_sink.ts";
 * await checkKvPath(":memory:");
 * ```
 */
export async function checkKvPath(kvPath: string): Promise<void> {
  if (kvPath === ":memory:") return;
  const existing = await statOrUndefined(kvPath);
  if (existing !== undefined) {
    if (!existing.isFile) {
      throw new AnalysisError("usage", `--kv "${kvPath}" exists but is not a file`);
    }
    return;
  }
  const parent = await statOrUndefined(dirname(kvPath));
  if (parent === undefined || !parent.isDirectory) {
    throw new AnalysisError(
      "usage",
      `--kv "${kvPath}": directory "${dirname(kvPath)}" does not exist`,
    );
  }
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
