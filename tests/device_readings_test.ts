import assert from "node:assert/strict";
import { createDeviceSim, stepDevice } from "../actors/device_physics.ts";
import {
  DEVICE_PROFILES,
  packReading,
  SENSOR_FIELDS,
  unpackReading,
} from "../actors/device_readings.ts";
import { Random } from "../actors/random.ts";

Deno.test("a packed reading unpacks to the same reading, optional fields included", () => {
  for (const profile of DEVICE_PROFILES) {
    const random = new Random(3);
    let sim = createDeviceSim(profile, random, 1_767_225_600_000);
    for (let i = 1; i <= 50; i++) {
      const stepped = stepDevice(sim, random, "dev-1", 1_767_225_600 + 5 * i);
      sim = stepped.sim;
      const row = packReading(stepped.reading);
      assert.equal(row.length, SENSOR_FIELDS[profile].length + 1);
      assert.deepEqual(unpackReading("dev-1", profile, row), stepped.reading);
      // The row survives JSON (snapshots) unchanged.
      assert.deepEqual(JSON.parse(JSON.stringify(row)), row);
    }
  }
  const withoutGpu = {
    device_id: "pc9",
    profile: "pc" as const,
    timestamp: 1_767_225_600,
    cpu_clock_mhz: 3200,
    cpu_temp_c: 48,
    cpu_load_percent: 12,
    cpu_power_w: 9.8,
    fan_cfm: 22,
  };
  const row = packReading(withoutGpu);
  assert.deepEqual(row, [1_767_225_600, 3200, 48, 12, 9.8, 22, null, null]);
  assert.deepEqual(unpackReading("pc9", "pc", row), withoutGpu);
  assert.equal("gpu_temp_c" in unpackReading("pc9", "pc", row), false);
});
