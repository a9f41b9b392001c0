import assert from "node:assert/strict";
import { join } from "node:path";
import type { DeviceReading } from "../actors/device_readings.ts";
import {
  type DeviceSampleFile,
  formatRealismTable,
  parseDeviceSamples,
  realismTable,
} from "../training/device_samples.ts";
import { simulateHistory } from "../training/history.ts";
import { SAMPLE_FILES } from "../training/main.ts";

/** The real sample files, shipped with the repository (copies of the original system's). */
const SAMPLE_DIRS = [new URL("../data/devices/", import.meta.url).pathname];

async function sampleText(name: string): Promise<string> {
  for (const dir of SAMPLE_DIRS) {
    try {
      return await Deno.readTextFile(join(dir, name));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  throw new Error(`Sample file ${name} is in none of ${SAMPLE_DIRS.join(", ")}`);
}

async function sampleFile(name: string): Promise<DeviceSampleFile> {
  return parseDeviceSamples(name, await sampleText(name));
}

/** Data rows of a file, counted without the parser: non-empty lines after the header. */
function dataLines(text: string): string[] {
  return text.split("\n").slice(1).filter((line) => line.trim() !== "");
}

Deno.test("every row of the real sample files is parsed", async () => {
  for (const name of SAMPLE_FILES) {
    const text = await sampleText(name);
    assert.equal((await sampleFile(name)).samples.length, dataLines(text).length, name);
  }
  assert.equal((await sampleFile("data_pc_1.csv")).samples.length, 201);
  assert.equal((await sampleFile("data_pc_2.csv")).samples.length, 191);
  assert.equal((await sampleFile("data_rasb.csv")).samples.length, 230);
});

Deno.test("the PC files' decimal commas, index column and labels are read", async () => {
  const pc1 = await sampleFile("data_pc_1.csv");
  assert.equal(pc1.profile, "pc");
  assert.deepEqual(pc1.samples[0].values, {
    cpu_clock_mhz: 2480.005859,
    cpu_temp_c: 54,
    cpu_load_percent: 25.390625,
    cpu_power_w: 8.113154411,
    gpu_load_percent: 1,
  });
  // A GPU temperature of 0 means no reading; line 101 has one.
  assert.equal(pc1.samples[99].values.gpu_temp_c, 48);
  assert.equal(pc1.samples.filter((sample) => sample.real).length, 100);
  const synthetic = pc1.samples.find((sample) => !sample.real)!;
  assert.equal(synthetic.values.cpu_temp_c, 54.82930138);
  const pc2 = await sampleFile("data_pc_2.csv");
  assert.equal(pc2.samples.filter((sample) => sample.real).length, 90);
  assert.equal(pc2.samples[0].values.cpu_power_w, 5.026441574);
});

Deno.test("the Pi file's lost decimal points, hex flags and time stamps are restored", async () => {
  const pi = await sampleFile("data_rasb.csv");
  assert.equal(pi.profile, "raspberry");
  const first = pi.samples[0];
  assert.equal(first.timestamp, Date.UTC(2022, 9, 6, 18, 8, 55) / 1000);
  assert.deepEqual(first.values, {
    gpu_temp_c: 83.7,
    cpu_temp_c: 83.75,
    arm_freq_hz: 1629439488,
    core_freq_hz: 333333984,
    core_voltage_v: 0.9084,
    sdram_c_voltage_v: 1.1,
    sdram_i_voltage_v: 1.1,
    sdram_p_voltage_v: 1.1,
    arm_memory_bytes: 994050048,
    gpu_memory_bytes: 79691776,
    throttled: 0xf0008,
  });
  const temperatures = pi.samples.map((sample) => sample.values.cpu_temp_c);
  assert.ok(temperatures.every((t) => t >= 40 && t < 90), `${Math.min(...temperatures)}`);
  assert.ok(temperatures.includes(48.199) && temperatures.includes(59.4));
  const voltages = new Set(pi.samples.map((sample) => sample.values.core_voltage_v));
  assert.ok(voltages.has(0.946) && voltages.has(0.8976));
});

Deno.test("a cell that is not a number is refused naming the file, line, column and value", () => {
  assert.throws(
    () => parseDeviceSamples("x.csv", "ClockCPUCoreOne;TemperatureCPUPackage\n2480,5;hot\n"),
    /Cannot parse "TemperatureCPUPackage" in x.csv line 2: "hot" is not a number/,
  );
  assert.throws(
    () => parseDeviceSamples("y.csv", "device;throttled\npi;0xZZ\n"),
    /Cannot parse "throttled" in y.csv line 2: "0xZZ"/,
  );
  assert.throws(
    () => parseDeviceSamples("z.csv", "ClockCPUCoreOne;TemperatureCPUPackage\n2480,5\n"),
    /z.csv line 2 has 1 fields, not the 2 of its header/,
  );
});

Deno.test("the simulator's ranges agree with the real samples, field by field", async () => {
  const files = await Promise.all(SAMPLE_FILES.map(sampleFile));
  const simulated: DeviceReading[] = [];
  for (let i = 0; i < 10; i++) {
    for (const profile of ["pc", "raspberry"] as const) {
      simulated.push(...simulateHistory(42, `realism-${profile}-${i}`, profile, 6).readings);
    }
  }
  const rows = realismTable(files, simulated);
  assert.equal(rows.filter((row) => row.profile === "pc").length, 6);
  assert.equal(rows.filter((row) => row.profile === "raspberry").length, 11);
  for (const { profile, field, real, simulated: sim } of rows) {
    const name = `${profile} ${field}`;
    assert.ok(real && sim, name);
    // The ranges overlap and the medians are of the same order: the units agree.
    assert.ok(sim.min <= real.max && sim.max >= real.min * 0.99, name);
    if (real.median > 0 && sim.median > 0) {
      const ratio = real.median / sim.median;
      assert.ok(ratio > 1 / 3 && ratio < 3, `${name}: ${real.median} vs ${sim.median}`);
    }
  }
  assert.match(
    formatRealismTable(rows),
    /raspberry\s+core_voltage_v\s+V\s+0\.898 \/ 0\.946 \/ 0\.946/,
  );
});
