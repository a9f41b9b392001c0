/**
 * gridfleet's configuration: every flag, its environment variable and default,
 * validated at start and printed by `--help`.
 *
 * @module
 */

import { DEVICE_ID_PATTERN, type DeviceProfile } from "./actors/device_readings.ts";
import type { Placement } from "./actors/supervisor.ts";
import { validateVapidSubject, VapidError } from "./notifications/vapid.ts";

/** The validated configuration of a server. */
export interface Config {
  host: string;
  port: number;
  kv: string;
  turbines: number;
  engineers: number;
  seed: number;
  timeScale: number;
  placement: Placement;
  poolSize: number;
  apiToken: string | null;
  chaos: boolean;
  mtbfSeconds: number;
  travelSeconds: [number, number];
  repairSeconds: [number, number];
  ingestCapacity: number;
  /** Simulated days of metrics to keep; 0 keeps everything. */
  retentionDays: number;
  /** The only directory whose files POST /api/analysis/runs may analyse. */
  dataDir: string;
  /** Web Push contact; null: push alerts off. */
  vapidSubject: string | null;
  vapidPublicKey: string | null;
  vapidPrivateKey: string | null;
  /** Simulated monitored devices. */
  devices: { id: string; profile: DeviceProfile }[];
  /** The stress model file, loaded once at start. */
  modelPath: string;
  /** Forecast probability at which a device alert is raised. */
  alertThreshold: number;
}

interface Option {
  flag: string;
  env?: string;
  value: string;
  help: string;
  default: string;
}

const OPTIONS: Option[] = [
  { flag: "host", value: "ADDRESS", default: "127.0.0.1", help: "Address to listen on" },
  {
    flag: "port",
    env: "PORT",
    value: "N",
    default: "8000",
    help: "Port to listen on (0: any free port)",
  },
  {
    flag: "kv",
    env: "GRIDFLEET_KV",
    value: "PATH",
    default: "data/gridfleet.kv",
    help: 'Deno KV file (":memory:" keeps nothing)',
  },
  { flag: "turbines", value: "N", default: "10", help: "Simulated wind turbines" },
  { flag: "engineers", value: "N", default: "3", help: "Simulated repair engineers" },
  {
    flag: "devices",
    value: "LIST|N",
    default: "pc1,pc2,raspberry",
    help: "Simulated monitored devices: ids, each with :pc or :raspberry unless its id starts " +
      'with "pc" or "raspberry"; or a count N (half PCs, half Pis); 0 or "none" for none',
  },
  {
    flag: "model",
    env: "GRIDFLEET_MODEL",
    value: "PATH",
    default: "data/models/device-stress.json",
    help: "Device stress model, made by deno task train",
  },
  {
    flag: "alert-threshold",
    value: "P",
    default: "0.7",
    help: "Forecast probability of stress at which a device alert is raised",
  },
  {
    flag: "seed",
    value: "N",
    default: "random",
    help: "Seed of every random number (same seed, same run)",
  },
  {
    flag: "time-scale",
    value: "X",
    default: "1",
    help: "Simulated seconds per wall second (60: a simulated minute per second)",
  },
  {
    flag: "placement",
    value: "worker|pool",
    default: "worker",
    help: "One Worker per actor, or a pool",
  },
  { flag: "pool-size", value: "N", default: "2 × cores", help: "Workers in the pool placement" },
  {
    flag: "api-token",
    env: "GRIDFLEET_API_TOKEN",
    value: "TOKEN",
    default: "none",
    help: "Require Authorization: Bearer TOKEN on every mutating request",
  },
  {
    flag: "no-chaos",
    value: "",
    default: "",
    help: "Disable fault injection (POST /api/actors/.../crash)",
  },
  {
    flag: "mtbf",
    value: "SECONDS",
    default: "7200",
    help: "Mean simulated time between a turbine's failures (exponential)",
  },
  {
    flag: "travel-seconds",
    value: "MIN-MAX",
    default: "120-600",
    help: "Simulated time an engineer needs to reach a turbine",
  },
  {
    flag: "repair-seconds",
    value: "MIN-MAX",
    default: "300-1200",
    help: "Simulated time an engineer needs to repair a turbine",
  },
  {
    flag: "retention-days",
    value: "N",
    default: "30",
    help: "Simulated days of metric history to keep (0: keep everything)",
  },
  {
    flag: "data-dir",
    env: "GRIDFLEET_DATA_DIR",
    value: "PATH",
    default: "data",
    help: "The only directory whose CSV files POST /api/analysis/runs may analyse",
  },
  {
    flag: "vapid-subject",
    env: "VAPID_SUBJECT",
    value: "URL",
    default: "none",
    help:
      "Web Push contact, mailto:you@your.domain or an https: URL; push alerts are off without " +
      "it (keys: VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY, else made and kept in the store)",
  },
  {
    flag: "ingest-capacity",
    value: "N",
    default: "200000",
    help: "Metrics the ingest queue holds before it answers 503",
  },
];

/** A configuration mistake, reported as one line naming the flag and value. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The `--help` text. */
export function helpText(): string {
  const rows = OPTIONS.map((o) => {
    const name = `--${o.flag}${o.value ? ` ${o.value}` : ""}`;
    const env = o.env ? ` [env ${o.env}]` : "";
    const fallback = o.default ? ` (default: ${o.default})` : "";
    return `  ${name.padEnd(30)} ${o.help}${fallback}${env}`;
  });
  return [
    "gridfleet: simulate and operate a wind-turbine fleet and the machines it monitors",
    "",
    "Usage: deno task start [options]",
    "",
    ...rows,
    "  --help                         Show this text",
  ].join("\n");
}

function integer(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) {
    throw new ConfigError(`--${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new ConfigError(`--${flag} must be a positive number, got "${text}"`);
  }
  return n;
}

function range(flag: string, text: string): [number, number] {
  const match = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(text.trim());
  const low = Number(match?.[1]);
  const high = Number(match?.[2]);
  if (!match || low > high || high <= 0) {
    throw new ConfigError(`--${flag} must be MIN-MAX in seconds with MIN <= MAX, got "${text}"`);
  }
  return [low, high];
}

/**
 * Reads `--devices`: a list of ids (profile from a `:pc`/`:raspberry` suffix
 * or the id's start), a count, or none.
 *
 * @example
 * ```ts
 * parseDevices("pc1,lab:raspberry"); // [{ id: "pc1", profile: "pc" }, { id: "lab", profile: "raspberry" }]
 * ```
 */
export function parseDevices(text: string): { id: string; profile: DeviceProfile }[] {
  const trimmed = text.trim();
  if (trimmed === "none" || trimmed === "0") return [];
  if (/^\d+$/.test(trimmed)) {
    const count = integer("devices", trimmed, 0, 10_000);
    const pcs = Math.ceil(count / 2);
    return Array.from(
      { length: count },
      (_, i) =>
        i < pcs
          ? { id: `pc${i + 1}`, profile: "pc" as const }
          : { id: `raspberry${i - pcs + 1}`, profile: "raspberry" as const },
    );
  }
  const devices: { id: string; profile: DeviceProfile }[] = [];
  for (const item of trimmed.split(",")) {
    const [id, suffix, ...rest] = item.trim().split(":");
    if (!DEVICE_ID_PATTERN.test(id ?? "") || rest.length > 0) {
      throw new ConfigError(
        `--devices: "${item}" is not a device id (letters, digits, _ and -, up to 64)` +
          ` with an optional :pc or :raspberry`,
      );
    }
    const profile = suffix ??
      (/^pc/i.test(id) ? "pc" : /^(raspberry|rpi|pi)/i.test(id) ? "raspberry" : undefined);
    if (profile !== "pc" && profile !== "raspberry") {
      throw new ConfigError(
        `--devices: "${item}" needs a profile, :pc or :raspberry` +
          (suffix === undefined ? "" : ` (got "${suffix}")`),
      );
    }
    if (devices.some((d) => d.id === id)) {
      throw new ConfigError(`--devices: "${id}" is listed twice`);
    }
    devices.push({ id, profile });
  }
  return devices;
}

/**
 * Reads the configuration from command-line arguments and environment
 * variables (flags win). Returns null when `--help` was asked for.
 *
 * @example
 * ```ts
 * const config = parseConfig(["--turbines", "5"], {});
 * config?.turbines; // 5
 * ```
 */
export function parseConfig(
  args: string[],
  env: Record<string, string | undefined>,
): Config | null {
  const given = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") return null;
    if (!arg.startsWith("--")) throw new ConfigError(`Unexpected argument "${arg}" (see --help)`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const option = OPTIONS.find((o) => o.flag === name);
    if (!option) throw new ConfigError(`Unknown option "--${name}" (see --help)`);
    if (!option.value) {
      given.set(name, "true");
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new ConfigError(`--${name} needs a value: ${option.value}`);
    given.set(name, value);
  }
  const value = (flag: string): string => {
    const option = OPTIONS.find((o) => o.flag === flag)!;
    return given.get(flag) ?? (option.env ? env[option.env] : undefined) ?? option.default;
  };

  const placement = value("placement");
  if (placement !== "worker" && placement !== "pool") {
    throw new ConfigError(`--placement must be "worker" or "pool", got "${placement}"`);
  }
  const seedText = value("seed");
  const token = value("api-token");
  const poolText = value("pool-size");
  const kv = value("kv");
  if (kv.trim() === "") throw new ConfigError(`--kv must be a file path or ":memory:", got ""`);
  const vapidSubject = value("vapid-subject");
  if (vapidSubject !== "none") {
    try {
      validateVapidSubject(vapidSubject);
    } catch (error) {
      if (error instanceof VapidError) throw new ConfigError(error.message);
      throw error;
    }
  }
  const modelPath = value("model");
  if (modelPath.trim() === "") throw new ConfigError(`--model must be a file path, got ""`);
  const threshold = Number(value("alert-threshold"));
  if (
    !/^0(\.\d+)?$/.test(value("alert-threshold").trim()) || threshold < 0.01 || threshold > 0.99
  ) {
    throw new ConfigError(
      `--alert-threshold must be a probability from 0.01 to 0.99, got "${
        value("alert-threshold")
      }"`,
    );
  }
  const dataDir = value("data-dir");
  if (dataDir.trim() === "") throw new ConfigError(`--data-dir must be a directory, got ""`);
  return {
    host: value("host"),
    port: integer("port", value("port"), 0, 65535),
    kv,
    turbines: integer("turbines", value("turbines"), 0, 100_000),
    engineers: integer("engineers", value("engineers"), 0, 10_000),
    seed: seedText === "random"
      ? crypto.getRandomValues(new Uint32Array(1))[0]
      : integer("seed", seedText, 0, 2 ** 32 - 1),
    timeScale: positive("time-scale", value("time-scale")),
    placement,
    poolSize: poolText === "2 × cores"
      ? 2 * navigator.hardwareConcurrency
      : integer("pool-size", poolText, 1, 256),
    apiToken: token === "none" || token === "" ? null : token,
    chaos: !given.has("no-chaos"),
    mtbfSeconds: positive("mtbf", value("mtbf")),
    travelSeconds: range("travel-seconds", value("travel-seconds")),
    repairSeconds: range("repair-seconds", value("repair-seconds")),
    // At least one full batch, so any valid request fits an empty queue.
    ingestCapacity: integer("ingest-capacity", value("ingest-capacity"), 10_000, 100_000_000),
    retentionDays: integer("retention-days", value("retention-days"), 0, 100_000),
    dataDir,
    vapidSubject: vapidSubject === "none" ? null : vapidSubject,
    vapidPublicKey: env.VAPID_PUBLIC_KEY || null,
    vapidPrivateKey: env.VAPID_PRIVATE_KEY || null,
    devices: parseDevices(value("devices")),
    modelPath,
    alertThreshold: threshold,
  };
}
