/**
 * The physics of one simulated monitored device, a PC or a Raspberry Pi 4B.
 *
 * The chain is load → power → temperature → fan and clock:
 * - **Workload** is a regime process. A device idles at a few percent load,
 *   now and then runs a short *burst* (10–60 s at 60–100 %, followed by at
 *   least a minute of quiet) and sometimes a sustained *heavy* job (10 minutes
 *   to two hours, mean 40) that either saturates every core (92–100 %) or keeps
 *   most of them busy (70–80 %). Each device draws its own rates (0.15–0.9
 *   heavy jobs and 6–30 bursts an hour), so over a few simulated hours some
 *   devices run several heavy jobs and some none. An operator can force
 *   `"heavy"` (95–100 %) or `"idle"` (idle load only).
 * - **Power** follows load and the clock: idle power plus the dynamic part,
 *   which grows with load and falls steeply (clock^2.5, for clock × voltage²)
 *   when the clock is throttled.
 * - **Temperature** is two first-order lags: the heat sink, with a time
 *   constant of several minutes, and the die a few degrees above it, following
 *   power within seconds. A heavy job warms a device over minutes, so the rise
 *   shows well before the limit is reached.
 * - **Fan** speed follows the die temperature along a fan curve, with a lag of
 *   a few seconds; a faster fan lowers the heat sink's thermal resistance (a
 *   lot on a PC, a little with a Pi's small case fan, which stops when cool).
 * - **Throttling**: a PC cuts its clock above its throttle point (95–99 °C); a
 *   Pi's firmware activates its soft limit when a sensor sample reaches 80 °C
 *   (flag bit 3, VideoCore clock to 333 MHz, ARM clock cut in 48.8 MHz steps
 *   while above 82 °C, released below 79 °C) and throttles hard at 85 °C (bit 2).
 *   A lower clock lowers the power, which holds the temperature near the
 *   throttle point. Bits 18 and 19 record throttling and the soft limit since
 *   the device was created (its boot).
 *
 * Each device draws its ambient temperature, power range, fan and cooling from
 * its random source. The cooling is drawn as the margin by which the device's
 * steady state at a forced heavy load (97 %, fan full, no throttling) would
 * exceed its stress limit (see `device_stress.ts`): 6–20 °C for a PC, 5–15 °C
 * for a Pi. So a forced heavy load stresses every device, while a job keeping
 * 70–80 % busy stresses the poorly cooled ones only, and a short job none. The
 * heat capacity is then adjusted, if needed, so that a forced heavy load takes
 * 6–16 minutes from idle to the limit (without noise): the stress onset, a
 * minute after the limit, comes 6.5–17 minutes after heavy load is forced, and
 * a forecaster sees it coming. Sensor noise is small, and each value is rounded the way the real
 * sensor reports it (whole degrees for a PC package, 0.487 °C steps on a Pi).
 *
 * The state is plain JSON: it is persisted in actor snapshots and a restored
 * copy continues exactly as the original would.
 *
 * @module
 */

import {
  type DeviceProfile,
  type DeviceReading,
  type PcReading,
  type RaspberryReading,
  READING_INTERVAL_SECONDS,
} from "./device_readings.ts";
import {
  PI_SOFT_LIMIT_NOW,
  PI_SOFT_LIMIT_SINCE_BOOT,
  PI_THROTTLED_NOW,
  PI_THROTTLED_SINCE_BOOT,
  temperatureLimit,
} from "./device_stress.ts";
import type { Random } from "./random.ts";

/** How a device's load is chosen: the regime process, or an operator's override. */
export type WorkloadMode = "auto" | "idle" | "heavy";

/** What the workload is doing now. */
export type WorkloadRegime = "idle" | "burst" | "heavy";

/** What a device is made of: drawn once when it is created. */
export interface DeviceTraits {
  ambientC: number;
  idlePowerW: number;
  /** Power at full load and full clock, W. */
  maxPowerW: number;
  /** Heat-sink-to-air thermal resistance with the fan stopped, K/W. */
  sinkResistance: number;
  /** A fan at level f divides the sink resistance by 1 + fanGain × f. */
  fanGain: number;
  /** Die-over-heat-sink thermal resistance, K/W. */
  dieResistance: number;
  /** Heat capacity of the heat sink, J/K. */
  heatCapacity: number;
  fanMaxCfm: number;
  /** Die temperature at which the fan starts to speed up, °C. */
  fanStartC: number;
  maxClockMhz: number;
  /** Die temperature above which a PC cuts its clock, °C (the Pi's are fixed). */
  throttleC: number;
  heavyJobsPerHour: number;
  burstsPerHour: number;
  idleLoadPercent: number;
  /** A PC with a GPU that reports temperature and load. */
  gpu: boolean;
  /** A Pi's memory split to the VideoCore, bytes (0 for a PC). */
  gpuMemoryBytes: number;
  /** A Pi's core voltage offset from the nominal curve, V (silicon lottery). */
  voltageOffsetV: number;
  /** A Pi running the performance governor keeps its ARM clock up when idle. */
  performanceGovernor: boolean;
}

/** The whole state of one simulated device; plain JSON, persisted in snapshots. */
export interface DeviceSimState {
  profile: DeviceProfile;
  traits: DeviceTraits;
  /** Epoch ms of the last reading (of creation before the first). */
  clockMs: number;
  sinkC: number;
  dieC: number;
  /** A PC's GPU core temperature, °C. */
  gpuC: number;
  /** Fan speed, 0 (stopped) to 1 (full). */
  fanLevel: number;
  /** Throttling: the fraction of the maximum clock allowed, 0.4 to 1. */
  clockLimit: number;
  /** A Pi's soft temperature limit is active. */
  softLimit: boolean;
  /** A Pi's throttled flag bits 16-19: what happened since boot. */
  sinceBootFlags: number;
  loadPercent: number;
  regime: WorkloadRegime;
  /** The load the current burst or heavy job aims at, %. */
  regimeLoad: number;
  regimeSecondsLeft: number;
  /** The current heavy job also loads a PC's GPU. */
  gpuJob: boolean;
  mode: WorkloadMode;
  /** Epoch ms at which an override ends, or null for open-ended. */
  untilMs: number | null;
}

type Range = readonly [number, number];

/** The ranges each device of a profile draws its traits from. */
interface ProfileRanges {
  ambientC: Range;
  idlePowerW: Range;
  maxPowerW: Range;
  /** Steady state at full load, fan full and no throttling, above the stress limit, °C. */
  fullLoadMarginC: Range;
  /** Die above heat sink at full load, °C. */
  dieRiseC: Range;
  /** Heat-sink time constant with the fan at full speed, s. */
  thermalTauSeconds: Range;
  fanGain: Range;
  fanMaxCfm: Range;
  fanStartC: Range;
  /** Die temperature at which the fan reaches full speed, °C. */
  fanFullC: number;
  /** Slowest fan level (a PC's fans never stop; a Pi's fan does). */
  fanMinLevel: number;
  throttleC: Range;
  heavyJobsPerHour: Range;
  burstsPerHour: Range;
  idleLoadPercent: Range;
}

const RANGES: Record<DeviceProfile, ProfileRanges> = {
  pc: {
    ambientC: [18, 30],
    idlePowerW: [4, 9],
    maxPowerW: [35, 110],
    fullLoadMarginC: [6, 20],
    dieRiseC: [4, 9],
    thermalTauSeconds: [360, 480],
    fanGain: [0.5, 1.5],
    fanMaxCfm: [30, 90],
    fanStartC: [50, 60],
    fanFullC: 85,
    fanMinLevel: 0.25,
    throttleC: [95, 99],
    heavyJobsPerHour: [0.15, 0.9],
    burstsPerHour: [6, 30],
    idleLoadPercent: [1.5, 6],
  },
  raspberry: {
    ambientC: [18, 28],
    idlePowerW: [2.0, 2.8],
    maxPowerW: [6.2, 7.2],
    fullLoadMarginC: [5, 15],
    dieRiseC: [1, 3],
    thermalTauSeconds: [360, 480],
    fanGain: [0.05, 0.3],
    fanMaxCfm: [2, 6],
    fanStartC: [60, 68],
    fanFullC: 78,
    fanMinLevel: 0,
    throttleC: [80, 80],
    heavyJobsPerHour: [0.15, 0.9],
    burstsPerHour: [6, 30],
    idleLoadPercent: [1, 5],
  },
};

/** Load at which the margin is defined: the middle of a forced heavy load. */
const MARGIN_LOAD = 0.97;
/** A forced full load takes at least this long to bring an idle device to its limit, s. */
const MIN_SECONDS_TO_LIMIT = 6 * 60;
/** ... and at most this long, s. */
const MAX_SECONDS_TO_LIMIT = 16 * 60;
/** The die follows the heat sink and the power with this time constant, s. */
const DIE_LAG_SECONDS = 8;
/** The fan follows its curve with this time constant, s. */
const FAN_LAG_SECONDS = 5;
/** A PC's GPU temperature follows its load with this time constant, s. */
const GPU_LAG_SECONDS = 90;
/** Dynamic power scales with the clock to this power (clock × voltage², voltage ∝ clock). */
const CLOCK_POWER_EXPONENT = 2.5;
/** The lowest clock throttling goes to, as a fraction of the maximum. */
const MIN_CLOCK_LIMIT = 0.4;
/** The Pi's soft temperature limit, where it starts cutting the ARM clock, °C. */
const PI_SOFT_LIMIT_C = 80;
/** Below this a Pi's soft limit is released, °C. */
const PI_SOFT_RELEASE_C = 79;
/** The temperature a Pi's soft throttling settles at, °C. */
const PI_SOFT_TARGET_C = 82;
/** The Pi's hard limit: ARM throttled, °C. */
const PI_HARD_LIMIT_C = 85;
/** The Pi 4's ARM clock moves in steps of about this much, MHz. */
const PI_CLOCK_STEP_MHZ = 48.8;
/** The Pi 4's ARM clock when idle under the ondemand governor, MHz. */
const PI_IDLE_CLOCK_MHZ = 600;
/** The Pi's thermal sensor reports in steps of 0.487 °C, from this base, °C. */
const PI_SENSOR_BASE_C = 410.04;
const PI_SENSOR_STEP_C = 0.487;
const GIB = 2 ** 30;
const MIB = 2 ** 20;

function draw(random: Random, range: Range): number {
  return random.between(range[0], range[1]);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * Creates a device of a profile with traits drawn from `random`, idling at its
 * steady state. `nowMs` is the device's clock until its first reading.
 *
 * @example
 * ```ts
 * import { Random } from "./random.ts";
 * const sim = createDeviceSim("raspberry", new Random(7), Date.now());
 * ```
 */
export function createDeviceSim(
  profile: DeviceProfile,
  random: Random,
  nowMs: number,
): DeviceSimState {
  const ranges = RANGES[profile];
  const ambientC = draw(random, ranges.ambientC);
  const idlePowerW = draw(random, ranges.idlePowerW);
  const maxPowerW = draw(random, ranges.maxPowerW);
  const marginPowerW = idlePowerW + (maxPowerW - idlePowerW) * MARGIN_LOAD;
  const dieRiseC = draw(random, ranges.dieRiseC);
  const steadyC = temperatureLimit(profile) + draw(random, ranges.fullLoadMarginC);
  const fullFanResistance = (steadyC - ambientC - dieRiseC) / marginPowerW;
  const fanGain = draw(random, ranges.fanGain);
  const traits: DeviceTraits = {
    ambientC,
    idlePowerW,
    maxPowerW,
    sinkResistance: fullFanResistance * (1 + fanGain),
    fanGain,
    dieResistance: dieRiseC / marginPowerW,
    heatCapacity: draw(random, ranges.thermalTauSeconds) / fullFanResistance,
    fanMaxCfm: draw(random, ranges.fanMaxCfm),
    fanStartC: draw(random, ranges.fanStartC),
    maxClockMhz: profile === "pc"
      ? Math.round(random.between(34, 48)) * 100
      : random.next() < 0.6
      ? 1800
      : 1500,
    throttleC: draw(random, ranges.throttleC),
    heavyJobsPerHour: draw(random, ranges.heavyJobsPerHour),
    burstsPerHour: draw(random, ranges.burstsPerHour),
    idleLoadPercent: draw(random, ranges.idleLoadPercent),
    gpu: profile === "pc" && random.next() < 0.5,
    gpuMemoryBytes: profile === "pc" ? 0 : [76, 76, 76, 64, 128][Math.floor(random.next() * 5)] *
      MIB,
    voltageOffsetV: profile === "pc" ? 0 : random.between(-0.01, 0.01),
    performanceGovernor: profile === "raspberry" && random.next() < 0.3,
  };
  const sim: DeviceSimState = {
    profile,
    traits,
    clockMs: nowMs,
    sinkC: ambientC,
    dieC: ambientC,
    gpuC: ambientC + 8,
    fanLevel: ranges.fanMinLevel,
    clockLimit: 1,
    softLimit: false,
    sinceBootFlags: 0,
    loadPercent: traits.idleLoadPercent,
    regime: "idle",
    regimeLoad: 0,
    regimeSecondsLeft: 0,
    gpuJob: false,
    mode: "auto",
    untilMs: null,
  };
  settle(sim);
  // Keep the warning time of a full load within bounds whatever was drawn: the
  // thermal time scales with the heat capacity.
  const seconds = secondsToLimitAtFullLoad(sim);
  if (seconds < MIN_SECONDS_TO_LIMIT || seconds > MAX_SECONDS_TO_LIMIT) {
    const target = clamp(seconds, MIN_SECONDS_TO_LIMIT, MAX_SECONDS_TO_LIMIT);
    traits.heatCapacity *= target / seconds;
    settle(sim);
  }
  return sim;
}

/** Settles an idle device at its steady state: an hour is many time constants. */
function settle(sim: DeviceSimState): void {
  for (let second = 0; second < 3600; second++) advanceOneSecond(sim);
}

/** How long a full load takes to bring an idle device to its limit, without noise, s. */
function secondsToLimitAtFullLoad(idle: DeviceSimState): number {
  const sim: DeviceSimState = { ...idle, loadPercent: MARGIN_LOAD * 100 };
  const limit = temperatureLimit(sim.profile);
  let seconds = 0;
  // Every margin is positive, so the limit is reached; the bound only guards the loop.
  while (sim.dieC < limit && !sim.softLimit && seconds < 4 * 3600) {
    advanceOneSecond(sim);
    seconds++;
  }
  return seconds;
}

/**
 * Overrides the workload: `"heavy"` is a sustained 95–100 % load, `"idle"` idle
 * load only (no bursts or jobs), `"auto"` the regime process. The override
 * lasts until epoch ms `untilMs` (judged at each reading), or indefinitely when
 * null.
 *
 * @example
 * ```ts
 * import { Random } from "./random.ts";
 * const sim = createDeviceSim("pc", new Random(1), 0);
 * const busy = setWorkload(sim, "heavy", 20 * 60_000);
 * workloadOf(busy).mode; // "heavy"
 * ```
 */
export function setWorkload(
  sim: DeviceSimState,
  mode: WorkloadMode,
  untilMs: number | null,
): DeviceSimState {
  if (mode === "auto") return { ...sim, mode, untilMs: null };
  return { ...sim, mode, untilMs, regime: mode, regimeLoad: 0, regimeSecondsLeft: 0 };
}

/**
 * The workload in force: the mode (an override that has ended by the device's
 * clock reads as `"auto"`), when the override ends, and the current regime.
 *
 * @example
 * ```ts
 * import { Random } from "./random.ts";
 * workloadOf(createDeviceSim("pc", new Random(1), 0)); // { mode: "auto", untilMs: null, regime: "idle" }
 * ```
 */
export function workloadOf(
  sim: DeviceSimState,
): { mode: WorkloadMode; untilMs: number | null; regime: string } {
  if (overrideEnded(sim, sim.clockMs)) return { mode: "auto", untilMs: null, regime: sim.regime };
  return { mode: sim.mode, untilMs: sim.untilMs, regime: sim.regime };
}

function overrideEnded(sim: DeviceSimState, nowMs: number): boolean {
  return sim.mode !== "auto" && sim.untilMs !== null && nowMs >= sim.untilMs;
}

/**
 * Advances the device by {@linkcode READING_INTERVAL_SECONDS} (in one-second
 * steps) and returns the new state and the reading at its end, stamped
 * `timestampSeconds`. Draws from `random`, which the caller keeps with the
 * state.
 *
 * @example
 * ```ts
 * import { Random } from "./random.ts";
 * const random = new Random(3);
 * let sim = createDeviceSim("pc", random, 0);
 * const step = stepDevice(sim, random, "pc1", 5);
 * sim = step.sim; // step.reading.cpu_temp_c is the package temperature
 * ```
 */
export function stepDevice(
  sim: DeviceSimState,
  random: Random,
  deviceId: string,
  timestampSeconds: number,
): { sim: DeviceSimState; reading: DeviceReading } {
  const nowMs = timestampSeconds * 1000;
  const next: DeviceSimState = overrideEnded(sim, nowMs)
    ? { ...sim, mode: "auto", untilMs: null, regime: "idle", regimeSecondsLeft: 0 }
    : { ...sim };
  next.clockMs = nowMs;
  advanceWorkload(next, random);
  for (let second = 0; second < READING_INTERVAL_SECONDS; second++) advanceOneSecond(next);
  const reading = next.profile === "pc"
    ? pcReading(next, random, deviceId, timestampSeconds)
    : raspberryReading(next, random, deviceId, timestampSeconds);
  return { sim: next, reading };
}

/** Chooses the load of the next five seconds. */
function advanceWorkload(sim: DeviceSimState, random: Random): void {
  const { traits } = sim;
  const idleLoad = clamp(traits.idleLoadPercent + random.normal() * 1.2, 0.3, 100);
  if (sim.mode === "heavy") {
    sim.regime = "heavy";
    sim.loadPercent = random.between(95, 100);
    return;
  }
  if (sim.mode === "idle") {
    sim.regime = "idle";
    sim.loadPercent = idleLoad;
    return;
  }
  if (sim.regimeSecondsLeft > 0) sim.regimeSecondsLeft -= READING_INTERVAL_SECONDS;
  if (sim.regime !== "idle" && sim.regimeSecondsLeft <= 0) {
    // A burst is an isolated event: a quiet spell follows before anything else starts.
    sim.regimeSecondsLeft = sim.regime === "burst" ? random.between(60, 180) : 0;
    sim.regime = "idle";
    sim.gpuJob = false;
  }
  if (sim.regime === "idle" && sim.regimeSecondsLeft <= 0) {
    const perReading = READING_INTERVAL_SECONDS / 3600;
    const u = random.next();
    if (u < traits.heavyJobsPerHour * perReading) {
      sim.regime = "heavy";
      sim.regimeSecondsLeft = Math.min(120, 10 + random.exponential(30)) * 60;
      // Jobs either saturate every core or keep some of them busy.
      sim.regimeLoad = random.next() < 0.65 ? random.between(92, 100) : random.between(70, 80);
      sim.gpuJob = traits.gpu && random.next() < 0.3;
    } else if (u < (traits.heavyJobsPerHour + traits.burstsPerHour) * perReading) {
      sim.regime = "burst";
      sim.regimeSecondsLeft = random.between(10, 60);
      sim.regimeLoad = random.between(60, 100);
    }
  }
  sim.loadPercent = sim.regime === "idle"
    ? idleLoad
    : clamp(sim.regimeLoad + random.normal() * 2.5, 0, 100);
}

function powerW(sim: DeviceSimState): number {
  const { idlePowerW, maxPowerW } = sim.traits;
  return idlePowerW +
    (maxPowerW - idlePowerW) * (sim.loadPercent / 100) *
      Math.pow(sim.clockLimit, CLOCK_POWER_EXPONENT);
}

/** One second of heat flow, fan response and throttling. */
function advanceOneSecond(sim: DeviceSimState): void {
  const { traits } = sim;
  const ranges = RANGES[sim.profile];
  const power = powerW(sim);
  const resistance = traits.sinkResistance / (1 + traits.fanGain * sim.fanLevel);
  sim.sinkC += (power - (sim.sinkC - traits.ambientC) / resistance) / traits.heatCapacity;
  const dieTarget = sim.sinkC + power * traits.dieResistance;
  sim.dieC += (dieTarget - sim.dieC) / DIE_LAG_SECONDS;

  const fanTarget = clamp(
    (sim.dieC - traits.fanStartC) / (ranges.fanFullC - traits.fanStartC),
    ranges.fanMinLevel,
    1,
  );
  sim.fanLevel += (fanTarget - sim.fanLevel) / FAN_LAG_SECONDS;

  if (sim.profile === "pc") {
    if (sim.dieC > traits.throttleC) {
      sim.clockLimit -= 0.01 * (sim.dieC - traits.throttleC + 0.5);
    } else if (sim.dieC < traits.throttleC - 2) {
      sim.clockLimit += 0.005;
    }
    const gpuLoad = sim.gpuJob ? 0.85 : 0.03;
    sim.gpuC += (traits.ambientC + 8 + 55 * gpuLoad - sim.gpuC) / GPU_LAG_SECONDS;
  } else {
    if (sim.dieC >= PI_SOFT_LIMIT_C) sim.softLimit = true;
    else if (sim.dieC < PI_SOFT_RELEASE_C) sim.softLimit = false;
    if (sim.dieC >= PI_HARD_LIMIT_C) sim.clockLimit -= 0.02;
    else if (sim.softLimit) sim.clockLimit -= 0.004 * (sim.dieC - PI_SOFT_TARGET_C);
    else sim.clockLimit += 0.01;
    if (sim.softLimit) sim.sinceBootFlags |= PI_SOFT_LIMIT_SINCE_BOOT;
    if (sim.dieC >= PI_HARD_LIMIT_C) sim.sinceBootFlags |= PI_THROTTLED_SINCE_BOOT;
  }
  sim.clockLimit = clamp(sim.clockLimit, MIN_CLOCK_LIMIT, 1);
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

function pcReading(
  sim: DeviceSimState,
  random: Random,
  deviceId: string,
  timestamp: number,
): PcReading {
  const { traits } = sim;
  // Under light load the governor parks the clock anywhere from deep idle to base.
  const clockMhz = sim.loadPercent < 15
    ? traits.maxClockMhz * random.between(0.12, 0.8)
    : traits.maxClockMhz * sim.clockLimit * random.between(0.97, 1);
  const reading: PcReading = {
    device_id: deviceId,
    profile: "pc",
    timestamp,
    cpu_clock_mhz: round(clockMhz, 3),
    cpu_temp_c: Math.round(sim.dieC + random.normal() * 0.3),
    cpu_load_percent: round(sim.loadPercent, 3),
    cpu_power_w: round(powerW(sim) * (1 + random.normal() * 0.01), 3),
    fan_cfm: round(traits.fanMaxCfm * sim.fanLevel * (1 + random.normal() * 0.01), 2),
  };
  if (traits.gpu) {
    const gpuLoad = sim.gpuJob ? random.between(60, 99) : random.between(0, 5);
    reading.gpu_temp_c = Math.round(sim.gpuC + random.normal() * 0.3);
    reading.gpu_load_percent = round(gpuLoad, 1);
  }
  return reading;
}

/** The Pi's thermal sensor: 0.487 °C steps. */
function piSensorC(temperatureC: number): number {
  const steps = Math.round((PI_SENSOR_BASE_C - temperatureC) / PI_SENSOR_STEP_C);
  return round(PI_SENSOR_BASE_C - steps * PI_SENSOR_STEP_C, 3);
}

function raspberryReading(
  sim: DeviceSimState,
  random: Random,
  deviceId: string,
  timestamp: number,
): RaspberryReading {
  const { traits } = sim;
  const cpuC = piSensorC(sim.dieC + random.normal() * 0.25);
  // The firmware judges its soft limit by this same sample, so a Pi hovering just
  // under 80 °C trips it on a high sample (and releases it only below 79 °C).
  if (cpuC >= PI_SOFT_LIMIT_C && !sim.softLimit) {
    sim.softLimit = true;
    sim.sinceBootFlags |= PI_SOFT_LIMIT_SINCE_BOOT;
  }
  const maxMhz = traits.maxClockMhz;
  const idle = !traits.performanceGovernor && sim.loadPercent < 10 && !sim.softLimit;
  const armMhz = idle
    ? PI_IDLE_CLOCK_MHZ
    : maxMhz - PI_CLOCK_STEP_MHZ * Math.round(maxMhz * (1 - sim.clockLimit) / PI_CLOCK_STEP_MHZ);
  // vcgencmd measures the clocks, so they jitter by some kHz around the set value.
  const armHz = Math.round((armMhz + random.normal() * 0.03) * 1e6);
  const coreHz = Math.round(((sim.softLimit ? 333.334 : 500) + random.normal() * 0.006) * 1e6);
  const coreVoltage = Math.max(0.85, 0.5484 + 0.000221 * armMhz) + traits.voltageOffsetV;
  const hard = sim.dieC >= PI_HARD_LIMIT_C;
  const flags = sim.sinceBootFlags | (sim.softLimit ? PI_SOFT_LIMIT_NOW : 0) |
    (hard ? PI_THROTTLED_NOW : 0);
  return {
    device_id: deviceId,
    profile: "raspberry",
    timestamp,
    cpu_temp_c: cpuC,
    gpu_temp_c: round(piSensorC(sim.dieC + random.normal() * 0.25), 1),
    arm_freq_hz: armHz,
    core_freq_hz: coreHz,
    core_voltage_v: round(coreVoltage, 4),
    sdram_c_voltage_v: 1.1,
    sdram_i_voltage_v: 1.1,
    sdram_p_voltage_v: 1.1,
    arm_memory_bytes: GIB - traits.gpuMemoryBytes,
    gpu_memory_bytes: traits.gpuMemoryBytes,
    throttled: flags >>> 0,
    cpu_load_percent: round(sim.loadPercent, 3),
    power_w: round(powerW(sim) * (1 + random.normal() * 0.01), 3),
    fan_cfm: round(traits.fanMaxCfm * sim.fanLevel, 2),
  };
}
