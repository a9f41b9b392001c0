/**
 * Plain, valid device readings for tests: every field at an unremarkable
 * value, any of them overridden.
 *
 * @module
 */

import type { PcReading, RaspberryReading } from "../actors/device_readings.ts";

/** A PC reading of `pc1` at 2024-01-01T00:00:00Z, idle and cool, with `overrides`. */
export function pcReading(overrides: Partial<PcReading> = {}): PcReading {
  return {
    device_id: "pc1",
    profile: "pc",
    timestamp: 1_704_067_200,
    cpu_clock_mhz: 3600,
    cpu_temp_c: 48,
    cpu_load_percent: 12.5,
    cpu_power_w: 9.8,
    fan_cfm: 22,
    ...overrides,
  };
}

/** A Raspberry Pi 4B reading of `pi1` at 2024-01-01T00:00:00Z, as `vcgencmd` reports it, with `overrides`. */
export function piReading(overrides: Partial<RaspberryReading> = {}): RaspberryReading {
  return {
    device_id: "pi1",
    profile: "raspberry",
    timestamp: 1_704_067_200,
    cpu_temp_c: 52.1,
    gpu_temp_c: 51.6,
    arm_freq_hz: 1.8e9,
    core_freq_hz: 5e8,
    core_voltage_v: 0.946,
    sdram_c_voltage_v: 1.1,
    sdram_i_voltage_v: 1.1,
    sdram_p_voltage_v: 1.1,
    arm_memory_bytes: 994_050_048,
    gpu_memory_bytes: 79_691_776,
    throttled: 0,
    cpu_load_percent: 20,
    power_w: 3.9,
    fan_cfm: 4,
    ...overrides,
  };
}
