/**
 * The in-process event bus: the one place where the system says what happened.
 * The live dashboard, the alert notifier and the tests subscribe here.
 *
 * @module
 */

import type { Address, DeviceAlert, ScoredReading, TurbineMetric } from "../actors/protocol.ts";
import type { RepairJob } from "../store/kv_store.ts";

/** Everything the fleet announces. Times are epoch milliseconds of simulated time. */
export type FleetEvent =
  | { type: "metrics"; metrics: TurbineMetric[] }
  | { type: "turbine.broken"; turbine_id: number; at: number; repair_id: string }
  | {
    type: "turbine.repaired";
    turbine_id: number;
    at: number;
    repair_id: string;
    engineer: Address;
  }
  | { type: "repair.assigned"; repair: RepairJob }
  | { type: "repair.waiting"; repair: RepairJob; waiting: number }
  | { type: "actor.restarted"; address: Address; restarts: number; error: string }
  | { type: "actor.stopped"; address: Address; restarts: number; error: string }
  | { type: "simulation.paused" | "simulation.resumed"; at: number }
  | { type: "device.readings"; readings: ScoredReading[] }
  | { type: "device.stress_predicted"; alert: DeviceAlert }
  | { type: "device.stressed" | "device.recovered"; device_id: string; at: number };

/** A subscriber; it must not throw (errors are logged and swallowed so one bad listener cannot stop the bus). */
export type FleetListener = (event: FleetEvent) => void;

/**
 * Synchronous publish/subscribe.
 *
 * @example
 * ```ts
 * const bus = new EventBus();
 * const stop = bus.subscribe((event) => console.log(event.type));
 * bus.publish({ type: "simulation.paused", at: 0 });
 * stop();
 * ```
 */
export class EventBus {
  #listeners = new Set<FleetListener>();

  subscribe(listener: FleetListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(event: FleetEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error(`An event listener failed on "${event.type}": ${(error as Error).message}`);
      }
    }
  }
}
