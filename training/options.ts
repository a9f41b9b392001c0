/**
 * The training command's configuration: every flag, its default and its
 * validation in one place, and the `--help` text generated from them.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** A failure the training command reports as one line: bad usage (exit 2) or unusable input (exit 1). */
export class TrainingError extends Error {
  /** `"usage"` for a bad flag or value, `"input"` for a file or store that cannot be used. */
  readonly kind: "usage" | "input";

  /** Builds the error; `message` is a sentence naming the flag or file and the value seen. */
  constructor(kind: "usage" | "input", message: string) {
    super(message);
    this.name = "TrainingError";
    this.kind = kind;
  }

  /** The process exit code this error maps to. */
  get exitCode(): number {
    return this.kind === "usage" ? 2 : 1;
  }
}

/** Validated settings of one training run. */
export interface TrainingSettings {
  seed: number;
  devices: number;
  hours: number;
  horizonMinutes: number;
  threshold: number;
  out: string;
  /** Deno KV file with the owners' feedback on alerts; none when absent. */
  kvPath?: string;
  /** Folder of the real sample CSV files for the realism table; none when absent. */
  samplesDir?: string;
  help: boolean;
}

/** Defaults applied when a flag is absent. */
export const TRAINING_DEFAULTS = {
  seed: 42,
  devices: 100,
  hours: 6,
  horizon: 5,
  threshold: 0.7,
  out: "data/models/device-stress.json",
} as const;

/** The `--help` text. */
export const HELP = `Usage: deno task train [options]

Trains the device stress model: simulates a fleet of PCs and Raspberry Pis, labels every reading
with whether the device became stressed within the horizon, fits a logistic regression per profile
on three quarters of the devices, reports precision, recall and lead time on the rest, and writes
the model (version = the previous file's version + 1).

Options:
  --seed <n>          Seed of the simulated fleet (default ${TRAINING_DEFAULTS.seed})
  --devices <n>       Simulated devices, half of each profile, a quarter held out (default ${TRAINING_DEFAULTS.devices})
  --hours <h>         Simulated hours per device (default ${TRAINING_DEFAULTS.hours})
  --horizon <min>     Forecast horizon in minutes (default ${TRAINING_DEFAULTS.horizon})
  --threshold <p>     Alert threshold stored in the model and used for the evaluation (default ${TRAINING_DEFAULTS.threshold})
  --out <file>        Where to write the model (default ${TRAINING_DEFAULTS.out})
  --kv <file>         Deno KV file with owners' feedback on alerts, used as extra examples
  --samples <dir>     Folder with data_pc_1.csv, data_pc_2.csv, data_rasb.csv: print real vs
                      simulated ranges per field
  --help              Show this help

Exit codes: 0 done, 1 unusable input (model file, samples, KV), 2 bad usage.
`;

/** Simulated device-hours one run may train on (100 devices × 100 h; ~17 M rows of features). */
export const MAX_DEVICE_HOURS = 10_000;

/**
 * Parses and validates command-line arguments. Throws a
 * {@linkcode TrainingError} of kind `"usage"` naming the flag and the value.
 *
 * @example
 * ```ts
 * const settings = parseTrainingOptions(["--devices", "40", "--hours=3"]);
 * settings.devices; // 40
 * ```
 */
export function parseTrainingOptions(args: string[]): TrainingSettings {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        seed: { type: "string", default: String(TRAINING_DEFAULTS.seed) },
        devices: { type: "string", default: String(TRAINING_DEFAULTS.devices) },
        hours: { type: "string", default: String(TRAINING_DEFAULTS.hours) },
        horizon: { type: "string", default: String(TRAINING_DEFAULTS.horizon) },
        threshold: { type: "string", default: String(TRAINING_DEFAULTS.threshold) },
        out: { type: "string", default: TRAINING_DEFAULTS.out },
        kv: { type: "string" },
        samples: { type: "string" },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    throw new TrainingError("usage", `${(error as Error).message}; see --help`);
  }
  const { values } = parsed;
  const hours = numberFlag("--hours", values.hours, { min: 0.5, max: 1000 });
  const horizonMinutes = numberFlag("--horizon", values.horizon, { min: 1, max: 60 });
  if (horizonMinutes * 4 > hours * 60) {
    throw new TrainingError(
      "usage",
      `--hours "${values.hours}" is too short for --horizon "${values.horizon}": ` +
        "simulate at least four horizons",
    );
  }
  const devices = numberFlag("--devices", values.devices, { min: 8, max: 10_000, integer: true });
  // Every simulated reading becomes a row of features held in memory at once.
  if (devices * hours > MAX_DEVICE_HOURS) {
    throw new TrainingError(
      "usage",
      `--devices "${values.devices}" times --hours "${values.hours}" is ${devices * hours} ` +
        `device-hours; at most ${MAX_DEVICE_HOURS.toLocaleString("en-US")} fit in memory`,
    );
  }
  return {
    seed: numberFlag("--seed", values.seed, { min: 0, max: 2 ** 32 - 1, integer: true }),
    devices,
    hours,
    horizonMinutes,
    threshold: numberFlag("--threshold", values.threshold, { min: 0.01, max: 0.99 }),
    out: pathFlag("--out", values.out)!,
    kvPath: pathFlag("--kv", values.kv),
    samplesDir: pathFlag("--samples", values.samples),
    help: values.help,
  };
}

function numberFlag(
  flag: string,
  text: string,
  range: { min: number; max: number; integer?: boolean },
): number {
  const value = /^\s*$/.test(text) ? NaN : Number(text);
  const kind = range.integer ? "a whole number" : "a number";
  if (
    !Number.isFinite(value) || (range.integer && !Number.isInteger(value)) ||
    value < range.min || value > range.max
  ) {
    throw new TrainingError(
      "usage",
      `${flag} must be ${kind} from ${range.min} to ${range.max}, not "${text}"`,
    );
  }
  return value;
}

function pathFlag(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.trim().length === 0 || text.startsWith("-")) {
    throw new TrainingError("usage", `${flag} needs a path, not "${text}"`);
  }
  return text;
}
