/**
 * The analysis command's configuration: every flag, its default and its
 * validation in one place, and the `--help` text generated from them.
 */

import { parseArgs } from "node:util";
import { AnalysisError } from "./analysis_error.ts";
import { parseDuration } from "./duration.ts";

/** Validated settings of one analysis run. */
export interface AnalysisOptions {
  /** Summary window length in milliseconds. */
  windowMs: number;
  format: "table" | "json";
  /** Write the report here instead of stdout. */
  out?: string;
  /** Remove the input files once their results are written. */
  deleteAfter: boolean;
  /** Longest span, in milliseconds, across which missing values are interpolated. */
  maxGapMs: number;
  /** Spike threshold in scaled-MAD units. */
  spikeThreshold: number;
  /** Deno KV database path handed to the result sink; without it nothing is stored. */
  kvPath?: string;
  help: boolean;
  /** Input files and glob patterns, as given. */
  inputs: string[];
}

/** Defaults applied when a flag is absent. */
export const DEFAULTS = {
  window: "24h",
  format: "table",
  maxGap: "3h",
  spikeThreshold: "5",
} as const;

/** The `--help` text. */
export const HELP = `Usage: deno task analyze [options] <files or globs...>

Cleans turbine CSV files (timestamp,turbine_id,wind_speed,wind_direction,power_output),
summarises power per turbine and time window, and reports anomalies.

Options:
  --window <duration>       Summary window, aligned to UTC epoch multiples (default ${DEFAULTS.window})
  --format table|json       Report format (default ${DEFAULTS.format})
  --out <file>              Write the report to <file> instead of stdout
  --delete-after            Delete the input files after the report is written
  --max-gap <duration>      Longest gap bridged by interpolation (default ${DEFAULTS.maxGap})
  --spike-threshold <n>     Spike threshold in scaled-MAD units (default ${DEFAULTS.spikeThreshold})
  --kv <path>               Store results in this Deno KV database (default: none, print only)
  --help                    Show this help

Durations: a whole number and a unit s, m, h or d, e.g. 30m, 6h, 24h, 2d, 1h30m.
Globs: * and ? in the file-name part are expanded by the command.
`;

/**
 * Parses and validates command-line arguments. Throws an
 * {@linkcode AnalysisError} of kind `"usage"` naming the flag and the value.
 *
 * @example
 * ```ts
 * import { parseOptions } from "./options.ts";
 * const options = parseOptions(["--window", "6h", "data/*.csv"]);
 * console.log(options.windowMs); // 21600000
 * ```
 */
export function parseOptions(args: string[]): AnalysisOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        window: { type: "string", default: DEFAULTS.window },
        format: { type: "string", default: DEFAULTS.format },
        out: { type: "string" },
        "delete-after": { type: "boolean", default: false },
        "max-gap": { type: "string", default: DEFAULTS.maxGap },
        "spike-threshold": { type: "string", default: DEFAULTS.spikeThreshold },
        kv: { type: "string" },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    throw new AnalysisError("usage", `${(error as Error).message}; see --help`);
  }
  const { values, positionals } = parsed;
  const format = values.format;
  if (format !== "table" && format !== "json") {
    throw new AnalysisError("usage", `--format must be "table" or "json", not "${format}"`);
  }
  const spikeThreshold = Number(values["spike-threshold"]);
  if (!(spikeThreshold > 0) || !Number.isFinite(spikeThreshold)) {
    throw new AnalysisError(
      "usage",
      `--spike-threshold must be a positive number, not "${values["spike-threshold"]}"`,
    );
  }
  return {
    windowMs: durationFlag("--window", values.window),
    format,
    out: pathFlag("--out", values.out),
    deleteAfter: values["delete-after"],
    maxGapMs: durationFlag("--max-gap", values["max-gap"]),
    spikeThreshold,
    kvPath: pathFlag("--kv", values.kv),
    help: values.help,
    inputs: positionals,
  };
}

function durationFlag(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new AnalysisError(
      "usage",
      `${flag} must be a duration like 30m, 6h, 24h or 2d, not "${text}"`,
    );
  }
  return ms;
}

function pathFlag(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.trim().length === 0 || text.startsWith("-")) {
    throw new AnalysisError("usage", `${flag} needs a file path, not "${text}"`);
  }
  return text;
}
