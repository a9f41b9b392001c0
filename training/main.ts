/**
 * The training command (`deno task train`):
 *
 *     deno run --allow-read --allow-write --allow-env training/main.ts [options]
 *
 * Simulates a fleet, trains the stress model, reports how it did on held-out
 * devices and writes it (by default to `data/models/device-stress.json`, which
 * the server loads at start). Exit codes: 0 done, 1 unusable input, 2 bad
 * usage; failures print one line on stderr. See `--help` and
 * training/README.md.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { DEVICE_PROFILES, type DeviceReading } from "../actors/device_readings.ts";
import { DeviceStore, type FeedbackSample } from "../store/device_store.ts";
import { formatRealismTable, parseDeviceSamples, realismTable } from "./device_samples.ts";
import { simulateHistory } from "./history.ts";
import { HELP, parseTrainingOptions, TrainingError, type TrainingSettings } from "./options.ts";
import { formatTrainingReport } from "./report.ts";
import { DEFAULT_WINDOW_READINGS, train } from "./train.ts";

/** The real sample files `--samples` reads. */
export const SAMPLE_FILES = ["data_pc_1.csv", "data_pc_2.csv", "data_rasb.csv"] as const;

/** Injectable output of {@linkcode runTraining}; each defaults to the console. */
export interface RunTrainingOptions {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

/**
 * Runs the training command with `args` (as in `Deno.args`) and returns the
 * exit code instead of exiting, so it can be tested.
 *
 * @example
 * ```ts ignore
 * const code = await runTraining(["--devices", "24", "--out", "/tmp/model.json"]);
 * ```
 */
export async function runTraining(
  args: string[],
  options: RunTrainingOptions = {},
): Promise<number> {
  const stdout = options.stdout ?? ((text: string) => console.log(text));
  const stderr = options.stderr ?? ((text: string) => console.error(text));
  try {
    const settings = parseTrainingOptions(args);
    if (settings.help) {
      stdout(HELP);
      return 0;
    }
    await run(settings, stdout);
    return 0;
  } catch (error) {
    if (!(error instanceof TrainingError)) throw error;
    stderr(`train: ${error.message.replaceAll(/\s*\n\s*/g, " ")}`);
    return error.exitCode;
  }
}

async function run(settings: TrainingSettings, stdout: (text: string) => void): Promise<void> {
  const version = await previousVersion(settings.out) + 1;
  const feedback = settings.kvPath === undefined ? [] : await readFeedback(settings.kvPath);
  if (settings.samplesDir !== undefined) {
    stdout(await realismReport(settings.samplesDir, settings.seed));
  }
  const { model, report } = train({
    seed: settings.seed,
    devices: settings.devices,
    hours: settings.hours,
    horizonMinutes: settings.horizonMinutes,
    threshold: settings.threshold,
    version,
  }, feedback);
  await writeModel(settings.out, JSON.stringify(model, null, 2) + "\n");
  stdout(formatTrainingReport(model, report));
  stdout(`Wrote ${settings.out}`);
}

/** The version of the model already at `path`, or 0 when there is none. */
async function previousVersion(path: string): Promise<number> {
  let text;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw new TrainingError(
      "input",
      `Cannot read the existing model ${path}: ${(error as Error).message}`,
    );
  }
  let version: unknown;
  try {
    version = JSON.parse(text)?.version;
  } catch {
    version = undefined;
  }
  if (!Number.isSafeInteger(version) || (version as number) < 0) {
    throw new TrainingError(
      "input",
      `The existing model ${path} has no version number to follow; move it away or choose --out`,
    );
  }
  return version as number;
}

async function readFeedback(path: string): Promise<FeedbackSample[]> {
  let info;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new TrainingError("usage", `--kv "${path}" does not exist`);
  }
  if (!info.isFile) throw new TrainingError("usage", `--kv "${path}" is not a file`);
  let kv;
  try {
    kv = await Deno.openKv(path);
  } catch (error) {
    throw new TrainingError(
      "input",
      `Cannot open the KV store ${path}: ${(error as Error).message}`,
    );
  }
  try {
    const samples: FeedbackSample[] = [];
    for await (const sample of new DeviceStore(kv).feedbackSamples(DEFAULT_WINDOW_READINGS)) {
      samples.push(sample);
    }
    return samples;
  } finally {
    kv.close();
  }
}

/** Parses the sample files and compares them with a few simulated devices of each profile. */
async function realismReport(dir: string, seed: number): Promise<string> {
  try {
    if (!(await Deno.stat(dir)).isDirectory) throw new Error("not a folder");
  } catch {
    throw new TrainingError("usage", `--samples "${dir}" is not a folder`);
  }
  const files = [];
  for (const name of SAMPLE_FILES) {
    const path = join(dir, name);
    let text;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      throw new TrainingError("input", `Cannot read ${path}: ${(error as Error).message}`);
    }
    try {
      files.push(parseDeviceSamples(name, text));
    } catch (error) {
      throw new TrainingError("input", (error as Error).message);
    }
  }
  const simulated: DeviceReading[] = [];
  for (let i = 0; i < 10; i++) {
    for (const profile of DEVICE_PROFILES) {
      simulated.push(...simulateHistory(seed, `realism-${profile}-${i}`, profile, 6).readings);
    }
  }
  const counts = files.map((file) =>
    `${file.name}: ${file.samples.length} rows, ${file.samples.filter((s) => s.real).length} real`
  );
  return [
    `Real samples (${counts.join("; ")}) vs ${simulated.length} simulated readings`,
    formatRealismTable(realismTable(files, simulated)),
    "",
  ].join("\n");
}

async function writeModel(path: string, text: string): Promise<void> {
  // Write beside the target and rename, so a failed write never leaves half a model.
  const partial = `${path}.partial-${Deno.pid}`;
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(partial, text);
    await Deno.rename(partial, path);
  } catch (error) {
    await Deno.remove(partial).catch(() => {});
    throw new TrainingError(
      "input",
      `Cannot write the model to ${path}: ${(error as Error).message}`,
    );
  }
}

if (import.meta.main) Deno.exit(await runTraining(Deno.args));
