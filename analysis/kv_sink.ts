/**
 * The result sink `deno task analyze --kv <path>` uses: it stores a run's
 * summaries, anomalies, cleaned readings and quarantine in the Deno KV
 * database at `--kv` through {@linkcode AnalysisStore}, with a run record
 * (status, files, counts, duration) that the server's
 * `GET /api/analysis/runs/{id}` can show.
 *
 * @module
 */

import { AnalysisStore } from "../store/analysis_store.ts";
import { AnalysisError } from "./analysis_error.ts";
import type { ResultSink } from "./result_sink.ts";

/**
 * Opens the KV database at `kvPath`, records a run and its results, and closes
 * the database. Failing to open or write it is an {@linkcode AnalysisError}
 * (exit code 1) naming the path; a run record that got written is then marked
 * failed.
 *
 * @example
 * ```ts ignore
 * import { kvSink } from "./kv_sink.ts";
 * import { runAnalysis } from "./main.ts";
 * await runAnalysis(["--kv", "data/analysis.kv", "data/*.csv"], { sink: kvSink });
 * ```
 */
export const kvSink: ResultSink = {
  async storeResults(result, options): Promise<void> {
    let kv: Deno.Kv;
    try {
      kv = await Deno.openKv(options.kvPath);
    } catch (error) {
      throw new AnalysisError(
        "input",
        `Cannot open --kv "${options.kvPath}": ${(error as Error).message}`,
      );
    }
    try {
      const store = new AnalysisStore(kv);
      const run = await store.createRun({
        files: result.files.map((tally) => tally.file),
        status: "running",
        startedAt: options.startedAt,
        windowMs: result.windowMs,
        maxGapMs: options.maxGapMs,
        spikeThreshold: options.spikeThreshold,
      });
      try {
        await store.completeRun(run.id, result);
      } catch (error) {
        const reason = `Cannot store results in --kv "${options.kvPath}": ${
          (error as Error).message
        }`;
        await store.failRun(run.id, reason).catch(() => {});
        throw new AnalysisError("input", reason);
      }
    } finally {
      kv.close();
    }
  },
};
