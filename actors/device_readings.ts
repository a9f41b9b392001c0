/**
 * What a monitored device reports: one reading every five seconds, with the
 * fields of its profile. The field table below is the single source of names,
 * units and plausible ranges; the HTTP schema, the simulator, the model
 * features and the dashboard all read it.
 *
 * @module
 */

/** The kinds of monitored device. */
export type DeviceProfile = "pc" | "raspberry";

/** Every profile, in a stable order. */
export const DEVICE_PROFILES: readonly DeviceProfile[] = ["pc", "raspberry"];

/** Seconds between two readings of a simulated device (simulated time). */
export const READING_INTERVAL_SECONDS = 5;

/** A reading's identity: which device, which profile, when (epoch seconds). */
interface ReadingBase {
  device_id: string;
  /** Epoch seconds, a whole number. */
  timestamp: number;
}

/** A PC: CPU package sensors, a case fan, optionally a GPU. */
export interface PcReading extends ReadingBase {
  profile: "pc";
  cpu_clock_mhz: number;
  cpu_temp_c: number;
  cpu_load_percent: number;
  cpu_power_w: number;
  fan_cfm: number;
  gpu_temp_c?: number;
  gpu_load_percent?: number;
}

/** A Raspberry Pi 4B: what `vcgencmd` reports, plus load, board power and a case fan. */
export interface RaspberryReading extends ReadingBase {
  profile: "raspberry";
  cpu_temp_c: number;
  gpu_temp_c: number;
  arm_freq_hz: number;
  core_freq_hz: number;
  core_voltage_v: number;
  sdram_c_voltage_v: number;
  sdram_i_voltage_v: number;
  sdram_p_voltage_v: number;
  arm_memory_bytes: number;
  gpu_memory_bytes: number;
  /** The firmware's throttled flag word (`vcgencmd get_throttled`), as a number. */
  throttled: number;
  cpu_load_percent: number;
  power_w: number;
  fan_cfm: number;
}

/** One sensor reading of either profile. */
export type DeviceReading = PcReading | RaspberryReading;

/** A sensor field: its unit, the range a real device can report and whether it must be present. */
export interface SensorField {
  name: string;
  unit: string;
  description: string;
  min: number;
  max: number;
  integer?: boolean;
  optional?: boolean;
}

/** The sensor fields of each profile (not counting device_id, profile and timestamp). */
export const SENSOR_FIELDS: Record<DeviceProfile, readonly SensorField[]> = {
  pc: [
    { name: "cpu_clock_mhz", unit: "MHz", description: "CPU core clock", min: 0, max: 10_000 },
    { name: "cpu_temp_c", unit: "°C", description: "CPU package temperature", min: -40, max: 150 },
    { name: "cpu_load_percent", unit: "%", description: "total CPU load", min: 0, max: 100 },
    { name: "cpu_power_w", unit: "W", description: "CPU package power", min: 0, max: 1_000 },
    { name: "fan_cfm", unit: "CFM", description: "case fan airflow", min: 0, max: 500 },
    {
      name: "gpu_temp_c",
      unit: "°C",
      description: "GPU core temperature",
      min: -40,
      max: 150,
      optional: true,
    },
    {
      name: "gpu_load_percent",
      unit: "%",
      description: "GPU core load",
      min: 0,
      max: 100,
      optional: true,
    },
  ],
  raspberry: [
    { name: "cpu_temp_c", unit: "°C", description: "SoC (CPU) temperature", min: -40, max: 150 },
    { name: "gpu_temp_c", unit: "°C", description: "GPU temperature", min: -40, max: 150 },
    { name: "arm_freq_hz", unit: "Hz", description: "ARM core clock", min: 0, max: 5e9 },
    { name: "core_freq_hz", unit: "Hz", description: "VideoCore clock", min: 0, max: 2e9 },
    { name: "core_voltage_v", unit: "V", description: "core voltage", min: 0, max: 2 },
    {
      name: "sdram_c_voltage_v",
      unit: "V",
      description: "SDRAM controller voltage",
      min: 0,
      max: 2,
    },
    { name: "sdram_i_voltage_v", unit: "V", description: "SDRAM I/O voltage", min: 0, max: 2 },
    { name: "sdram_p_voltage_v", unit: "V", description: "SDRAM PHY voltage", min: 0, max: 2 },
    {
      name: "arm_memory_bytes",
      unit: "bytes",
      description: "memory split to the ARM",
      min: 0,
      max: 2 ** 40,
      integer: true,
    },
    {
      name: "gpu_memory_bytes",
      unit: "bytes",
      description: "memory split to the GPU",
      min: 0,
      max: 2 ** 40,
      integer: true,
    },
    {
      name: "throttled",
      unit: "flags",
      description: "throttled flag word: bit 0 under-voltage, 1 capped, 2 throttled, 3 soft " +
        "temperature limit; bits 16-19 the same since boot",
      min: 0,
      max: 0xffff_ffff,
      integer: true,
    },
    { name: "cpu_load_percent", unit: "%", description: "total CPU load", min: 0, max: 100 },
    { name: "power_w", unit: "W", description: "board power draw", min: 0, max: 100 },
    { name: "fan_cfm", unit: "CFM", description: "case fan airflow", min: 0, max: 100 },
  ],
};

/** The core temperature a reading reports, °C. */
export function cpuTemperature(reading: DeviceReading): number {
  return reading.cpu_temp_c;
}

/** A reading's power draw, W (CPU package for a PC, board for a Pi). */
export function powerDraw(reading: DeviceReading): number {
  return reading.profile === "pc" ? reading.cpu_power_w : reading.power_w;
}

/** A reading's CPU clock, MHz. */
export function cpuClockMhz(reading: DeviceReading): number {
  return reading.profile === "pc" ? reading.cpu_clock_mhz : reading.arm_freq_hz / 1e6;
}

/** The address-safe form of a device id. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A reading as a row of numbers: its timestamp, then its profile's sensor
 * fields in `SENSOR_FIELDS` order (null for an optional field it lacks). An
 * actor keeps its window of recent readings this way: a third of the size of
 * the objects in every snapshot and every message between Workers.
 */
export type PackedReading = (number | null)[];

/**
 * Packs a reading into a row.
 *
 * @example
 * ```ts
 * const reading = {
 *   device_id: "pc1", profile: "pc" as const, timestamp: 1767225600, cpu_clock_mhz: 3200,
 *   cpu_temp_c: 48, cpu_load_percent: 12, cpu_power_w: 9.8, fan_cfm: 22,
 * };
 * packReading(reading); // [1767225600, 3200, 48, 12, 9.8, 22, null, null]
 * ```
 */
export function packReading(reading: DeviceReading): PackedReading {
  const values = reading as unknown as Record<string, number | undefined>;
  return [reading.timestamp, ...SENSOR_FIELDS[reading.profile].map((f) => values[f.name] ?? null)];
}

/** The reading a row packs, for `deviceId` of `profile`. */
export function unpackReading(
  deviceId: string,
  profile: DeviceProfile,
  row: PackedReading,
): DeviceReading {
  const reading: Record<string, unknown> = { device_id: deviceId, profile, timestamp: row[0] };
  SENSOR_FIELDS[profile].forEach((field, i) => {
    const value = row[i + 1];
    if (value !== null && value !== undefined) reading[field.name] = value;
  });
  return reading as unknown as DeviceReading;
}
