/**
 * Every message that crosses an actor or Worker boundary. All of them are plain
 * objects discriminated by `type`, so they survive `structuredClone`.
 *
 * @module
 */

import type { DeviceReading } from "./device_readings.ts";
import type { WorkloadMode } from "./device_physics.ts";
import type { StressModel } from "./stress_model.ts";

/** The kinds of actor the supervisor can host. */
export type ActorKind = "turbine" | "engineer" | "device";

/** Every actor kind, in a stable order. */
export const ACTOR_KINDS: readonly ActorKind[] = ["turbine", "engineer", "device"];

/** An actor's address: its kind and id, e.g. `turbine/7`. */
export type Address = `${ActorKind}/${string}`;

/** One turbine metric, in the JSON shape of the original Smart Grid Monitoring System. */
export interface TurbineMetric {
  turbine_number: number;
  wind_speed: number;
  power_output_in_kwh: number;
  operational_status: "ok" | "broken";
  /** Epoch seconds. */
  timestamp: number;
  /** Seconds since the turbine started or was last repaired. */
  time_passed_in_seconds?: number;
}

/** A repair job as the engineers see it. */
export interface RepairAssignment {
  id: string;
  turbineId: number;
  /** Epoch milliseconds (simulated). */
  reportedAt: number;
}

/** Sent by the simulation clock: emit a metric for every whole second up to `now`. */
export interface Tick {
  type: "tick";
  /** Epoch milliseconds (simulated). */
  now: number;
  /**
   * The earliest instant worth reporting, epoch milliseconds: a turbine that
   * missed ticks for longer (the server was down, or the actor was stopped)
   * starts again here instead of inventing metrics for the gap.
   */
  from?: number;
}

/** An operator forces a turbine to break down. */
export interface ForceFailure {
  type: "force_failure";
}

/** An engineer finished repairing the turbine. */
export interface Repaired {
  type: "repaired";
  repairId: string;
  engineer: Address;
  /** When the repair was done, simulated epoch milliseconds. */
  at: number;
}

/** The repair desk hands a job to an idle engineer. */
export interface AssignRepair {
  type: "assign_repair";
  repair: RepairAssignment;
}

/** The engineer reached the turbine and starts working on it. */
export interface ArrivedAtTurbine {
  type: "arrived";
  repairId: string;
}

/** The engineer's repair work is done. */
export interface RepairWorkDone {
  type: "repair_work_done";
  repairId: string;
}

/** Readings an external device posted, oldest first; the device actor scores them. */
export interface ObserveReadings {
  type: "observe";
  readings: DeviceReading[];
}

/** An operator overrides a simulated device's workload. */
export interface SetWorkload {
  type: "set_workload";
  mode: WorkloadMode;
  /** Simulated epoch milliseconds at which the override ends, or null for open-ended. */
  untilMs: number | null;
}

/** Ask any actor for its current state. */
export interface GetState {
  type: "get_state";
}

/** Messages a behaviour receives. */
export type ActorMessage =
  | Tick
  | ForceFailure
  | Repaired
  | AssignRepair
  | ArrivedAtTurbine
  | RepairWorkDone
  | ObserveReadings
  | SetWorkload
  | GetState;

/** How a device is doing: fine, forecast to become stressed, or stressed now. */
export type DeviceStatus = "ok" | "at_risk" | "stressed";

/** A reading with what the model made of it. */
export interface ScoredReading {
  reading: DeviceReading;
  /** Probability of becoming stressed within the model's horizon. */
  probability: number;
  status: DeviceStatus;
  /** Version of the model that scored the reading. */
  model: number;
}

/** One stress forecast alert: raised when the probability crosses the threshold. */
export interface DeviceAlert {
  /** `<device>-<epoch second>`: the same reading always gives the same id. */
  id: string;
  device_id: string;
  profile: DeviceReading["profile"];
  /** Epoch seconds of the reading that raised it. */
  at: number;
  probability: number;
  threshold: number;
  horizon_minutes: number;
  model: number;
  cpu_temp_c: number;
}

/** Events actors hand to the rest of the system (the ingest pipeline, the repair desk). */
export type ActorEvent =
  | { type: "metrics"; metrics: TurbineMetric[] }
  | {
    type: "repair_progress";
    repairId: string;
    engineer: Address;
    phase: "travelling" | "repairing" | "done";
    /** Epoch milliseconds (simulated). */
    at: number;
  }
  | {
    type: "device_readings";
    device_id: string;
    readings: ScoredReading[];
    alerts: DeviceAlert[];
    /** Stress episodes that began or ended among these readings, epoch seconds. */
    transitions: { kind: "stressed" | "recovered"; at: number }[];
  };

/** What a behaviour asks the runtime to do after handling a message. */
export type Effect =
  | { type: "send"; to: Address; message: ActorMessage }
  | { type: "reply"; value: unknown }
  | { type: "emit"; event: ActorEvent }
  /**
   * Deliver `message` to this actor at simulated time `at`. A durable reminder is
   * persisted with the actor's snapshot and re-armed after a restart; a plain
   * timer dies with the actor.
   */
  | { type: "remind"; key: string; at: number; message: ActorMessage; durable: boolean };

/** A message in a mailbox, with the ask it answers if any. */
export interface Envelope {
  message: ActorMessage;
  askId?: number;
}

/** A durable reminder as persisted with an actor's snapshot. */
export interface Reminder {
  key: string;
  at: number;
  message: ActorMessage;
}

/** Static parameters an actor is created with; they do not change across restarts. */
export interface ActorParams {
  seed: number;
  turbine: TurbineParams;
  engineer: EngineerParams;
  device: DeviceParams;
}

/** How devices are simulated and judged. */
export interface DeviceParams {
  /** The stress model, loaded once at start; a fleet without devices needs none. */
  model: StressModel | null;
  /** Alert when the forecast probability reaches this. */
  alertThreshold: number;
  /** The simulated devices and their profiles; any other device id is an external one. */
  simulated: Record<string, DeviceReading["profile"]>;
}

/** How simulated turbines behave. */
export interface TurbineParams {
  ratedKw: number;
  /** Mean time between failures, in simulated seconds (failures are exponential). */
  mtbfSeconds: number;
  /** Mean wind speed of the site in m/s (a Weibull distribution with shape 2). */
  meanWindSpeed: number;
}

/** How simulated engineers behave. */
export interface EngineerParams {
  /** Travel time range to a turbine, simulated seconds. */
  travelSeconds: [number, number];
  /** Repair time range once on site, simulated seconds. */
  repairSeconds: [number, number];
}

/** One actor hosted by a Worker, with the state it starts from. */
export interface ActorSpawn {
  address: Address;
  /** The last persisted state, or null to start fresh. */
  state: unknown | null;
  params: ActorParams;
}

/** A batch of envelopes for one actor. */
export interface Delivery {
  address: Address;
  envelopes: Envelope[];
  /** Simulated time at which the batch is handled, epoch milliseconds. */
  now: number;
}

/** What one actor did with its delivery. */
export interface DeliveryOutcome {
  address: Address;
  /** Effects of the envelopes that were handled, in order, each tagged with its envelope. */
  effects: { envelope: number; effect: Effect }[];
  /** How many envelopes were handled before a crash (all of them when none). */
  handled: number;
  /** State after the last handled envelope. */
  state: unknown;
  /** Set when the behaviour threw on envelope `handled`. */
  error?: { message: string; stack?: string };
}

/** Messages from the supervisor to a Worker host. */
export type HostCommand =
  /** Whether the Worker hosts one actor (a crash ends the Worker) or many. */
  | { type: "configure"; exclusive: boolean }
  | { type: "spawn"; actors: ActorSpawn[]; now: number }
  | { type: "deliver"; batch: number; deliveries: Delivery[] }
  | { type: "remove"; addresses: Address[] }
  /** Fault injection: the actor throws inside its Worker. */
  | { type: "crash"; address: Address };

/** Messages from a Worker host to the supervisor. */
export type HostReport =
  | { type: "spawned"; addresses: Address[]; states: unknown[] }
  | { type: "delivered"; batch: number; outcomes: DeliveryOutcome[] }
  | { type: "crashed"; address: Address; error: { message: string; stack?: string } };

/**
 * Splits an address into kind and id.
 *
 * @example
 * ```ts
 * parseAddress("turbine/7"); // { kind: "turbine", id: "7" }
 * ```
 */
export function parseAddress(address: string): { kind: ActorKind; id: string } | null {
  const slash = address.indexOf("/");
  if (slash < 1) return null;
  const kind = address.slice(0, slash);
  const id = address.slice(slash + 1);
  if (!(ACTOR_KINDS as readonly string[]).includes(kind) || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    return null;
  }
  return { kind: kind as ActorKind, id };
}

/** The address of turbine `n`. */
export function turbineAddress(n: number): Address {
  return `turbine/${n}`;
}

/** The address of engineer `n`. */
export function engineerAddress(n: number): Address {
  return `engineer/${n}`;
}

/** The address of device `id`. */
export function deviceAddress(id: string): Address {
  return `device/${id}`;
}
