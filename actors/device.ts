/**
 * A monitored device. A simulated one runs its physics and takes a reading
 * every five simulated seconds; an external one scores the readings it is sent
 * over HTTP. Either way every reading goes through the stress model here, in
 * the actor: the device keeps the window of recent readings the model needs,
 * tracks whether it is stressed and raises one alert per episode when the
 * forecast probability crosses the threshold.
 *
 * @module
 */

import type { Behaviour, Transition } from "./behaviour.ts";
import { createDeviceSim, type DeviceSimState, setWorkload, stepDevice } from "./device_physics.ts";
import {
  type DeviceProfile,
  type DeviceReading,
  type PackedReading,
  packReading,
  READING_INTERVAL_SECONDS,
  unpackReading,
} from "./device_readings.ts";
import {
  type AlertTracker,
  initAlertTracker,
  initStressTracker,
  stepAlert,
  type StressTracker,
  trackStress,
} from "./device_stress.ts";
import type {
  ActorParams,
  Address,
  DeviceAlert,
  DeviceStatus,
  Effect,
  ScoredReading,
} from "./protocol.ts";
import { deriveSeed, Random } from "./random.ts";
import { predictStress, type StressModel } from "./stress_model.ts";

/** A device's whole state; it is what the snapshot persists. */
export interface DeviceState {
  id: string;
  /** Null for an external device that has not reported yet. */
  profile: DeviceProfile | null;
  source: "simulated" | "external";
  /** The physics of a simulated device. */
  sim: DeviceSimState | null;
  random: number;
  /** Epoch seconds of the last reading (for a fresh simulated device: its start). */
  lastTimestamp: number | null;
  /** The most recent readings, oldest first, as many as the model looks at (packed). */
  window: PackedReading[];
  stress: StressTracker;
  alert: AlertTracker;
  probability: number | null;
  status: DeviceStatus;
  /** Epoch seconds at which the current stress episode began. */
  stressedSince: number | null;
  /** The alert of the episode in progress. */
  openAlert: string | null;
  readings: number;
  alerts: number;
}

/**
 * Readings a device needs before its forecast may raise an alert (a minute):
 * with fewer, the trends the model reads are noise.
 */
export const MIN_READINGS_TO_ALERT = 12;

/** The longest stretch of simulated time a device back-fills after a pause, seconds. */
export const DEVICE_CATCH_UP_SECONDS = 3600;

function modelOf(params: ActorParams): StressModel {
  const model = params.device.model;
  if (!model) throw new Error("No stress model is loaded: devices cannot run without one");
  return model;
}

function initDevice(address: Address, params: ActorParams, now: number): DeviceState {
  const id = address.slice("device/".length);
  modelOf(params);
  const profile = params.device.simulated[id] ?? null;
  const random = new Random(deriveSeed(params.seed, address));
  const sim = profile ? createDeviceSim(profile, random, now) : null;
  return {
    id,
    profile,
    source: profile ? "simulated" : "external",
    sim,
    random: random.state,
    lastTimestamp: profile ? Math.floor(now / 1000 / READING_INTERVAL_SECONDS) * 5 : null,
    window: [],
    stress: initStressTracker(),
    alert: initAlertTracker(),
    probability: null,
    status: "ok",
    stressedSince: null,
    openAlert: null,
    readings: 0,
    alerts: 0,
  };
}

/** Scores readings in order and returns the state after them and the event that reports them. */
function score(
  state: DeviceState,
  readings: DeviceReading[],
  params: ActorParams,
  extra: Partial<DeviceState> = {},
): Transition<DeviceState> {
  const model = modelOf(params);
  const threshold = params.device.alertThreshold;
  let { stress, alert, stressedSince, openAlert, probability, status } = state;
  const scored: ScoredReading[] = [];
  const alerts: DeviceAlert[] = [];
  const transitions: { kind: "stressed" | "recovered"; at: number }[] = [];
  const profileOf = readings[0]?.profile ?? state.profile;
  const window = profileOf
    ? state.window.map((row) => unpackReading(state.id, profileOf, row))
    : [];
  for (const reading of readings) {
    window.push(reading);
    if (window.length > model.windowReadings) window.shift();
    probability = round(predictStress(model, window));
    const tracked = trackStress(stress, reading);
    stress = tracked.tracker;
    if (tracked.onset) {
      stressedSince = reading.timestamp;
      transitions.push({ kind: "stressed", at: reading.timestamp });
    }
    if (tracked.recovered) {
      stressedSince = null;
      transitions.push({ kind: "recovered", at: reading.timestamp });
    }
    // A device that has just started has too short a history to trend: no alert yet.
    const warm = window.length >= Math.min(MIN_READINGS_TO_ALERT, model.windowReadings);
    const stepped = warm
      ? stepAlert(alert, probability, tracked.stressed, { threshold })
      : { tracker: alert, fire: false };
    alert = stepped.tracker;
    if (alert.armed) openAlert = null;
    if (stepped.fire) {
      const id = `${state.id}-${reading.timestamp}`;
      openAlert = id;
      alerts.push({
        id,
        device_id: state.id,
        profile: reading.profile,
        at: reading.timestamp,
        probability,
        threshold,
        horizon_minutes: model.horizonMinutes,
        model: model.version,
        cpu_temp_c: reading.cpu_temp_c,
      });
    }
    // At risk while an alert's episode is open: the same hysteresis as the alert.
    status = tracked.stressed ? "stressed" : alert.armed ? "ok" : "at_risk";
    scored.push({ reading, probability, status, model: model.version });
  }
  const last = readings.at(-1);
  const next: DeviceState = {
    ...state,
    ...extra,
    window: window.map(packReading),
    stress,
    alert,
    stressedSince,
    openAlert,
    probability,
    status,
    lastTimestamp: last ? last.timestamp : state.lastTimestamp,
    readings: state.readings + readings.length,
    alerts: state.alerts + alerts.length,
  };
  if (readings.length === 0) return { state: next, effects: [] };
  const effects: Effect[] = [{
    type: "emit",
    event: { type: "device_readings", device_id: state.id, readings: scored, alerts, transitions },
  }];
  return { state: next, effects };
}

function round(probability: number): number {
  return Math.round(probability * 10_000) / 10_000;
}

/** Why a device cannot take these readings from outside, or null when it can. */
function refusal(state: DeviceState, readings: DeviceReading[]): string | null {
  if (state.source === "simulated") {
    return `Device ${state.id} is simulated and takes no readings from outside`;
  }
  let last = state.lastTimestamp ?? -Infinity;
  const profile = state.profile ?? readings[0]?.profile;
  for (const reading of readings) {
    if (reading.profile !== profile) {
      return `Device ${state.id} is a "${profile}" device, not "${reading.profile}"`;
    }
    if (reading.timestamp <= last) {
      return `Device ${state.id} already has a reading at or after ${reading.timestamp}`;
    }
    last = reading.timestamp;
  }
  return null;
}

/** Runs a simulated device's physics up to `now`, a reading every five seconds. */
function simulateUntil(
  state: DeviceState,
  now: number,
  from: number,
  params: ActorParams,
): Transition<DeviceState> {
  if (!state.sim || state.lastTimestamp === null) return { state, effects: [] };
  const target = Math.floor(now / 1000 / READING_INTERVAL_SECONDS) * READING_INTERVAL_SECONDS;
  let second = Math.max(state.lastTimestamp, Math.ceil(from / 1000));
  if (target - second > DEVICE_CATCH_UP_SECONDS) second = target - DEVICE_CATCH_UP_SECONDS;
  second = Math.floor(second / READING_INTERVAL_SECONDS) * READING_INTERVAL_SECONDS;
  if (second >= target) return { state, effects: [] };
  const random = new Random(state.random);
  let sim = state.sim;
  const readings: DeviceReading[] = [];
  while (second < target) {
    second += READING_INTERVAL_SECONDS;
    const stepped = stepDevice(sim, random, state.id, second);
    sim = stepped.sim;
    readings.push(stepped.reading);
  }
  return score(state, readings, params, { sim, random: random.state, lastTimestamp: target });
}

/**
 * The device behaviour. The model and which device ids are simulated (with
 * which profile) come from the parameters the actor was spawned with.
 */
export const deviceBehaviour: Behaviour<DeviceState> = {
  init: initDevice,
  receive(state, message, context) {
    const params = context.params;
    switch (message.type) {
      case "tick":
        return simulateUntil(state, message.now, message.from ?? -Infinity, params);
      case "observe": {
        const rejected = refusal(state, message.readings);
        if (rejected) return { state, effects: [{ type: "reply", value: { rejected } }] };
        const profile = message.readings[0]?.profile ?? state.profile;
        const scored = score(state, message.readings, params, { profile });
        const readings = scored.effects.flatMap((effect) =>
          effect.type === "emit" && effect.event.type === "device_readings"
            ? effect.event.readings
            : []
        );
        return {
          state: scored.state,
          effects: [...scored.effects, { type: "reply", value: readings }],
        };
      }
      case "set_workload": {
        if (!state.sim) throw new Error(`Device ${state.id} is external: its workload is its own`);
        // Readings up to now come from the old workload.
        const caughtUp = simulateUntil(state, context.now, -Infinity, params);
        const sim = setWorkload(caughtUp.state.sim!, message.mode, message.untilMs);
        return { state: { ...caughtUp.state, sim }, effects: caughtUp.effects };
      }
      case "get_state":
        return { state, effects: [{ type: "reply", value: state }] };
      default:
        throw new Error(`Device ${context.address} cannot handle a "${message.type}" message`);
    }
  },
};
