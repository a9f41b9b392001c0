/**
 * Builds fleets for tests: a virtual clock, a Deno KV file in a temporary
 * folder, and a record of every event the fleet published.
 *
 * @module
 */

import { VirtualClock } from "../actors/clock.ts";
import { defaultActorParams } from "../actors/params.ts";
import type { DeviceProfile } from "../actors/device_readings.ts";
import type { ActorParams, TurbineMetric } from "../actors/protocol.ts";
import type { Placement } from "../actors/supervisor.ts";
import type { FleetEvent } from "../fleet/event_bus.ts";
import { Fleet } from "../fleet/fleet.ts";
import { loadStressModel } from "../main.ts";
import { KvStore } from "../store/kv_store.ts";

/** The committed device stress model, as the server loads it. */
export const MODEL_PATH = new URL("../data/models/device-stress.json", import.meta.url).pathname;

/** The start of simulated time in tests: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

/** `T0` in epoch seconds, the unit of metric timestamps. */
export const T = T0 / 1000;

/** A valid metric of `turbine` at `second` seconds after `T`, with any field overridden. */
export function testMetric(
  turbine: number,
  second: number,
  overrides: Partial<TurbineMetric> = {},
): TurbineMetric {
  return {
    turbine_number: turbine,
    wind_speed: 7.5,
    power_output_in_kwh: 0.25,
    operational_status: "ok",
    timestamp: T + second,
    ...overrides,
  };
}

/** A fleet under test and everything it published. */
export interface TestFleet {
  fleet: Fleet;
  clock: VirtualClock;
  store: KvStore;
  events: FleetEvent[];
  kvPath: string;
  /** Stops the fleet and closes the store. */
  close(): Promise<void>;
}

/** Options of a test fleet. */
export interface TestFleetOptions {
  seed?: number;
  turbines?: number;
  engineers?: number;
  placement?: Placement;
  poolSize?: number;
  tickMs?: number;
  params?: (params: ActorParams) => void;
  kvPath?: string;
  maxRestarts?: number;
  retentionDays?: number;
  maxExternalDevices?: number;
  /** Where simulated time starts, epoch ms; default `T0`. */
  start?: number;
  /** Simulated devices; given (even empty), the committed stress model is loaded. */
  devices?: { id: string; profile: DeviceProfile }[];
}

/** Starts a deterministic fleet on a virtual clock. */
export async function startTestFleet(options: TestFleetOptions = {}): Promise<TestFleet> {
  // In memory unless a test needs the file: what is tested here does not depend on fsync.
  const kvPath = options.kvPath ?? ":memory:";
  const store = await KvStore.open(kvPath);
  const clock = new VirtualClock(options.start ?? T0);
  const devices = options.devices ?? [];
  const params = defaultActorParams(options.seed ?? 42, {
    model: options.devices ? await loadStressModel(MODEL_PATH) : null,
    simulated: Object.fromEntries(devices.map((d) => [d.id, d.profile])),
  });
  options.params?.(params);
  const fleet = await Fleet.start({
    store,
    clock,
    params,
    turbines: options.turbines ?? 3,
    engineers: options.engineers ?? 1,
    devices,
    maxExternalDevices: options.maxExternalDevices,
    placement: options.placement ?? "pool",
    poolSize: options.poolSize ?? 2,
    deterministic: true,
    tickMs: options.tickMs ?? 10_000,
    maxRestarts: options.maxRestarts,
    retentionDays: options.retentionDays,
  });
  const events: FleetEvent[] = [];
  fleet.bus.subscribe((event) => events.push(event));
  return {
    fleet,
    clock,
    store,
    events,
    kvPath,
    async close() {
      await fleet.stop();
      store.close();
    },
  };
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` of wall time pass. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
