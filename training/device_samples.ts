/**
 * The real device sample files (`data_pc_1.csv`, `data_pc_2.csv`,
 * `data_rasb.csv`) and the realism check that compares them with the
 * simulator. They are single readings without a usable time series, so they
 * check units and ranges; they are not trained on.
 *
 * Their quirks:
 * - Fields are separated by `;`.
 * - The PC files write decimals with a comma (`2480,005859`); `data_pc_1.csv`
 *   starts with an unnamed index column, empty on its synthetic rows. The
 *   label `NoTechnicalInterventionRequired` is 1 on the real readings and 0 on
 *   the synthetic "edge" rows; a GPU temperature of 0 means no GPU reading.
 * - The Pi file has lost the decimal point of its temperatures and voltages:
 *   `837` is 83.7 °C, `8375` is 83.75 °C and `48199` 48.199 °C (the kernel
 *   reports millidegrees), `9084` is 0.9084 V and `11` is 1.1 V. The digits
 *   are put back by scaling into the one decade a Pi can report: 10–100 °C,
 *   0.5–5 V. `throttled` is hexadecimal (`0xf0008`), the time stamp
 *   `2022-10-06@18:08:55` (taken as UTC).
 *
 * @module
 */

import {
  type DeviceProfile,
  type DeviceReading,
  SENSOR_FIELDS,
} from "../actors/device_readings.ts";

/** One row of a sample file: the sensor fields it has, in the units of the readings. */
export interface DeviceSample {
  /** 1-based line number in the file. */
  line: number;
  /** Whether the row is a real reading (the Pi file has only real ones). */
  real: boolean;
  /** Epoch seconds, when the file has a time stamp. */
  timestamp?: number;
  values: Record<string, number>;
}

/** A parsed sample file. */
export interface DeviceSampleFile {
  name: string;
  profile: DeviceProfile;
  samples: DeviceSample[];
}

/** Where a column of a sample file goes and how its text becomes a number. */
interface ColumnRule {
  field: string;
  parse: (text: string) => number | undefined;
  /** A value that means "not reported". */
  missing?: number;
}

function decimalComma(text: string): number | undefined {
  if (!/^-?\d+(,\d+)?$/.test(text)) return undefined;
  return Number(text.replace(",", "."));
}

function integer(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Digits whose decimal point was lost, scaled into [low, 10 × low). */
function lostDecimalPoint(low: number): (text: string) => number | undefined {
  return (text) => {
    if (!/^\d+$/.test(text) || /^0+$/.test(text)) return undefined;
    let value = Number(text);
    while (value >= 10 * low) value /= 10;
    while (value < low) value *= 10;
    return Number(value.toPrecision(text.length));
  };
}

function hexadecimal(text: string): number | undefined {
  return /^0x[0-9a-f]+$/i.test(text) ? parseInt(text.slice(2), 16) : undefined;
}

const PC_COLUMNS: Record<string, ColumnRule> = {
  ClockCPUCoreOne: { field: "cpu_clock_mhz", parse: decimalComma },
  TemperatureCPUPackage: { field: "cpu_temp_c", parse: decimalComma },
  LoadCPUTotal: { field: "cpu_load_percent", parse: decimalComma },
  PowerCPUPackage: { field: "cpu_power_w", parse: decimalComma },
  TemperatureGPUCore: { field: "gpu_temp_c", parse: decimalComma, missing: 0 },
  LoadGPUCore: { field: "gpu_load_percent", parse: decimalComma },
};

const CELSIUS = lostDecimalPoint(10);
const VOLTS = lostDecimalPoint(0.5);

const PI_COLUMNS: Record<string, ColumnRule> = {
  GPU_temp_celsius: { field: "gpu_temp_c", parse: CELSIUS },
  CPU_temp_celsius: { field: "cpu_temp_c", parse: CELSIUS },
  frequency_arm_hz: { field: "arm_freq_hz", parse: integer },
  frequency_core_hz: { field: "core_freq_hz", parse: integer },
  voltage_core_v: { field: "core_voltage_v", parse: VOLTS },
  voltage_sdram_c_v: { field: "sdram_c_voltage_v", parse: VOLTS },
  voltage_sdram_i_v: { field: "sdram_i_voltage_v", parse: VOLTS },
  voltage_sdram_p_v: { field: "sdram_p_voltage_v", parse: VOLTS },
  memory_arm_bytes: { field: "arm_memory_bytes", parse: integer },
  memory_gpu_bytes: { field: "gpu_memory_bytes", parse: integer },
  throttled: { field: "throttled", parse: hexadecimal },
};

/** Columns that carry no sensor value of a reading. */
const IGNORED_COLUMNS = new Set(["", "device", "frequency_pwm_hz"]);
const PC_LABEL = "NoTechnicalInterventionRequired";
const PI_TIME = "loading_datetime";

/**
 * Parses one sample file. Throws an Error naming the file, line and column of
 * the first cell that is not what its column holds.
 *
 * @example
 * ```ts
 * const file = parseDeviceSamples("data_pc_2.csv", "ClockCPUCoreOne;TemperatureCPUPackage\n2480,5;54\n");
 * file.samples[0].values.cpu_clock_mhz; // 2480.5
 * ```
 */
export function parseDeviceSamples(name: string, text: string): DeviceSampleFile {
  const lines = text.split(/\r?\n/);
  const header = lines[0].split(";").map((column) => column.trim());
  const profile: DeviceProfile = header.includes("ClockCPUCoreOne") ? "pc" : "raspberry";
  const rules = profile === "pc" ? PC_COLUMNS : PI_COLUMNS;
  for (const column of header) {
    if (
      !(column in rules) && !IGNORED_COLUMNS.has(column) && column !== PC_LABEL &&
      column !== PI_TIME
    ) {
      throw new Error(`Unknown column "${column}" in ${name}`);
    }
  }
  const samples: DeviceSample[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    const cells = lines[i].split(";").map((cell) => cell.trim());
    if (cells.length !== header.length) {
      throw new Error(
        `${name} line ${i + 1} has ${cells.length} fields, not the ${header.length} of its header`,
      );
    }
    const sample: DeviceSample = { line: i + 1, real: true, values: {} };
    header.forEach((column, c) => {
      const cell = cells[c];
      const bad = (what: string) =>
        new Error(`Cannot parse "${column}" in ${name} line ${i + 1}: "${cell}" is not ${what}`);
      if (column === PC_LABEL) {
        if (cell !== "0" && cell !== "1") throw bad("0 or 1");
        sample.real = cell === "1";
      } else if (column === PI_TIME) {
        const match = /^(\d{4}-\d{2}-\d{2})@(\d{2}:\d{2}:\d{2})$/.exec(cell);
        if (!match) throw bad("a time stamp like 2022-10-06@18:08:55");
        sample.timestamp = Date.parse(`${match[1]}T${match[2]}Z`) / 1000;
      } else if (column in rules) {
        const rule = rules[column];
        const value = rule.parse(cell);
        if (value === undefined) throw bad("a number in this column's format");
        if (value === rule.missing) return;
        sample.values[rule.field] = value;
      }
    });
    samples.push(sample);
  }
  return { name, profile, samples };
}

/** Minimum, median and maximum of some values, or null when there are none. */
export interface Spread {
  count: number;
  min: number;
  median: number;
  max: number;
}

function spread(values: number[]): Spread | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return {
    count: sorted.length,
    min: sorted[0],
    median: sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2,
    max: sorted[sorted.length - 1],
  };
}

/** One field compared: the real samples' spread beside the simulator's. */
export interface RealismRow {
  profile: DeviceProfile;
  field: string;
  unit: string;
  real: Spread | null;
  simulated: Spread | null;
}

/**
 * Compares every field the real samples share with the readings: the real
 * rows (not the synthetic ones) against simulated readings of the same profile.
 *
 * @example
 * ```ts ignore
 * const rows = realismTable([parseDeviceSamples("data_rasb.csv", text)], simulatedReadings);
 * ```
 */
export function realismTable(
  files: readonly DeviceSampleFile[],
  simulated: readonly DeviceReading[],
): RealismRow[] {
  const rows: RealismRow[] = [];
  for (const profile of ["pc", "raspberry"] as const) {
    const samples = files.filter((file) => file.profile === profile)
      .flatMap((file) => file.samples.filter((sample) => sample.real));
    if (samples.length === 0) continue;
    const readings = simulated.filter((reading) => reading.profile === profile);
    for (const field of SENSOR_FIELDS[profile]) {
      const real = samples.map((sample) => sample.values[field.name])
        .filter((value) => value !== undefined);
      if (real.length === 0) continue;
      const sim = readings.map((reading) =>
        (reading as unknown as Record<string, number>)[field.name]
      )
        .filter((value) => value !== undefined);
      rows.push({
        profile,
        field: field.name,
        unit: field.unit,
        real: spread(real),
        simulated: spread(sim),
      });
    }
  }
  return rows;
}

/**
 * The realism table as aligned text, one field a line.
 *
 * @example
 * ```ts ignore
 * console.log(formatRealismTable(realismTable(files, readings)));
 * ```
 */
export function formatRealismTable(rows: readonly RealismRow[]): string {
  const show = (s: Spread | null) =>
    s === null ? "-" : `${format(s.min)} / ${format(s.median)} / ${format(s.max)}  (${s.count})`;
  const table = [
    ["profile", "field", "unit", "real min / median / max (n)", "simulated min / median / max (n)"],
    ...rows.map((row) => [row.profile, row.field, row.unit, show(row.real), show(row.simulated)]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((line) => line[c].length)));
  return table.map((line) => line.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd())
    .join("\n");
}

function format(value: number): string {
  if (Math.abs(value) >= 1e6) return value.toExponential(3);
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(Math.abs(value) < 10 ? 3 : 1);
}
