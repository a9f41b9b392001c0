/**
 * Defaults for the simulated actors.
 *
 * @module
 */

import type { ActorParams, DeviceParams } from "./protocol.ts";

/**
 * The parameters of a default simulation: 2 MW turbines on an 8 m/s site that
 * fail on average every two simulated hours, engineers who need 2–10 minutes to
 * reach a turbine and 5–20 minutes to repair it. Failures are far more frequent
 * than in a real farm so that a short run shows the whole repair loop. Devices
 * need the stress model and the list of simulated ones in `device`.
 *
 * @example
 * ```ts
 * defaultActorParams(42).turbine.ratedKw; // 2000
 * ```
 */
export function defaultActorParams(seed: number, device: Partial<DeviceParams> = {}): ActorParams {
  return {
    seed,
    turbine: { ratedKw: 2000, mtbfSeconds: 2 * 3600, meanWindSpeed: 8 },
    engineer: { travelSeconds: [120, 600], repairSeconds: [300, 1200] },
    device: { model: null, alertThreshold: 0.7, simulated: {}, ...device },
  };
}
