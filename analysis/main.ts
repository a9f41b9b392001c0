/**
 * The batch-analysis command (`deno task analyze`):
 *
 *     deno run --allow-read --allow-write analysis/main.ts [options] <files or globs...>
 *
 * Exit codes: 0 success, 1 unusable input (no files matched, unreadable
 * file, missing column, no valid rows), 2 bad usage. Failures print one line
 * on stderr. See `--help` and analysis/README.md.
 *
 * @module
 */

import { resolve } from "node:path";
import { AnalysisError } from "./analysis_error.ts";
import { analyseFiles } from "./analyse_files.ts";
import { expandInputs } from "./glob.ts";
import { HELP, parseOptions } from "./options.ts";
import { createProgress } from "./progress.ts";
import { formatReport } from "./report.ts";
import { kvSink } from "./kv_sink.ts";
import { checkKvPath, type ResultSink } from "./result_sink.ts";

/** Injectable effects of {@linkcode runAnalysis}; each defaults to the real one. */
export interface RunAnalysisOptions {
  /** Receives results when `--kv` is given; default {@linkcode kvSink} (stores them in Deno KV). */
  sink?: ResultSink;
  /** Writes the report (and `--help`) when no `--out` is given; default stdout. */
  stdout?: (text: string) => Promise<void>;
  /** Writes the one-line failure reason; default stderr. */
  stderr?: (text: string) => void;
  /** Draw the progress bar; default only when stderr is a terminal. */
  progress?: boolean;
}

/**
 * Runs the analysis command with `args` (as in `Deno.args`) and returns the
 * exit code instead of exiting, so it can be tested and embedded.
 *
 * @example
 * ```ts
 * import { runAnalysis } from "./main.ts";
 * const code = await runAnalysis(["--kv", "data/analysis.kv", "data/*.csv"]);
 * ```
 */
export async function runAnalysis(
  args: string[],
  options: RunAnalysisOptions = {},
): Promise<number> {
  const stdout = options.stdout ?? writeStdout;
  const stderr = options.stderr ?? ((text: string) => console.error(text));
  try {
    await run(args, options, stdout);
    return 0;
  } catch (error) {
    if (!(error instanceof AnalysisError)) throw error;
    stderr(`analyze: ${error.message.replaceAll(/\s*\n\s*/g, " ")}`);
    return error.exitCode;
  }
}

async function run(
  args: string[],
  options: RunAnalysisOptions,
  stdout: (text: string) => Promise<void>,
): Promise<void> {
  const settings = parseOptions(args);
  if (settings.help) {
    await stdout(HELP);
    return;
  }
  if (settings.inputs.length === 0) {
    throw new AnalysisError("usage", "No input files given; see --help");
  }
  if (settings.kvPath !== undefined) await checkKvPath(settings.kvPath);
  const files = await expandInputs(settings.inputs);
  if (settings.out !== undefined && settings.deleteAfter) {
    const out = resolve(settings.out);
    if (files.some((file) => resolve(file) === out)) {
      throw new AnalysisError(
        "usage",
        `--out "${settings.out}" is also an input, which --delete-after would remove`,
      );
    }
  }
  const startedAt = Date.now();
  const progress = createProgress(files.length, { enabled: options.progress });
  let report: string;
  let result;
  try {
    result = await analyseFiles(files, {
      windowMs: settings.windowMs,
      maxGapMs: settings.maxGapMs,
      spikeThreshold: settings.spikeThreshold,
      onRows: progress.addRows,
      onFileDone: progress.fileDone,
    });
    report = formatReport(result, settings.format);
  } finally {
    progress.finish();
  }
  if (settings.out === undefined) await stdout(report);
  else await writeReportFile(settings.out, report);
  if (settings.kvPath !== undefined) {
    await (options.sink ?? kvSink).storeResults(result, {
      kvPath: settings.kvPath,
      startedAt,
      maxGapMs: settings.maxGapMs,
      spikeThreshold: settings.spikeThreshold,
    });
  }
  if (settings.deleteAfter) {
    for (const file of files) {
      try {
        await Deno.remove(file);
      } catch (error) {
        throw new AnalysisError("input", `Cannot delete ${file}: ${(error as Error).message}`);
      }
    }
  }
}

async function writeReportFile(path: string, report: string): Promise<void> {
  // Write beside the target and rename, so a failed write never leaves half a report.
  const partial = `${path}.partial-${Deno.pid}`;
  try {
    await Deno.writeTextFile(partial, report);
    await Deno.rename(partial, path);
  } catch (error) {
    await Deno.remove(partial).catch(() => {});
    throw new AnalysisError(
      "input",
      `Cannot write the report to ${path}: ${(error as Error).message}`,
    );
  }
}

async function writeStdout(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}

if (import.meta.main) {
  Deno.exit(await runAnalysis(Deno.args));
}
