/**
 * A simulated wind turbine. Every simulated second it turns the wind into
 * energy along its power curve and emits a metric; after a random running time
 * it breaks, keeps reporting (with zero output) and waits for an engineer.
 *
 * @module
 */

import type { Behaviour, Transition } from "./behaviour.ts";
import { nextWind, powerCurveKw, type WindState } from "./power_curve.ts";
import type { ActorParams, Address, Effect, TurbineMetric } from "./protocol.ts";
import { deriveSeed, Random } from "./random.ts";

/** A turbine's whole state; it is what the snapshot persists. */
export interface TurbineState {
  id: number;
  status: "ok" | "broken";
  ratedKw: number;
  siteMeanWind: number;
  mtbfSeconds: number;
  random: number;
  wind: WindState;
  /** Epoch second of the last emitted metric (the start time before the first). */
  lastSecond: number;
  timePassedSeconds: number;
  /** Running time after which the turbine breaks (drawn at start and after each repair). */
  failsAfterSeconds: number;
  metricsEmitted: number;
  energyKwh: number;
  repairsReceived: number;
  /** Simulated epoch ms at which the current breakdown started. */
  brokenSince: number | null;
}

/** The longest stretch of simulated time a turbine back-fills after a pause, seconds. */
export const MAX_CATCH_UP_SECONDS = 3600;

function turbineNumber(address: Address): number {
  const id = Number(address.slice("turbine/".length));
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new Error(`Turbine address "${address}" does not end in a positive integer`);
  }
  return id;
}

function initTurbine(address: Address, params: ActorParams, now: number): TurbineState {
  const random = new Random(deriveSeed(params.seed, address));
  // Each site differs a little: ±15 % mean wind, so turbines do not move in lockstep.
  const siteMeanWind = params.turbine.meanWindSpeed * random.between(0.85, 1.15);
  return {
    id: turbineNumber(address),
    status: "ok",
    ratedKw: params.turbine.ratedKw,
    siteMeanWind,
    mtbfSeconds: params.turbine.mtbfSeconds,
    wind: { meanSpeed: siteMeanWind, speed: siteMeanWind },
    lastSecond: Math.floor(now / 1000),
    timePassedSeconds: 0,
    failsAfterSeconds: random.exponential(params.turbine.mtbfSeconds),
    metricsEmitted: 0,
    energyKwh: 0,
    repairsReceived: 0,
    brokenSince: null,
    random: random.state,
  };
}

function emitUntil(state: TurbineState, now: number, from = -Infinity): Transition<TurbineState> {
  const target = Math.floor(now / 1000);
  let second = Math.max(state.lastSecond, Math.floor(from / 1000));
  if (target - second > MAX_CATCH_UP_SECONDS) second = target - MAX_CATCH_UP_SECONDS;
  if (second >= target) return { state, effects: [] };

  const random = new Random(state.random);
  let { wind, status, timePassedSeconds, energyKwh, brokenSince } = state;
  const metrics: TurbineMetric[] = [];
  while (second < target) {
    second++;
    wind = nextWind(wind, state.siteMeanWind, random);
    timePassedSeconds++;
    if (status === "ok" && timePassedSeconds >= state.failsAfterSeconds) {
      status = "broken";
      brokenSince = second * 1000;
    }
    const kwh = status === "ok" ? powerCurveKw(wind.speed, state.ratedKw) / 3600 : 0;
    energyKwh += kwh;
    metrics.push({
      turbine_number: state.id,
      wind_speed: Math.round(wind.speed * 100) / 100,
      power_output_in_kwh: Math.round(kwh * 1e6) / 1e6,
      operational_status: status,
      timestamp: second,
      time_passed_in_seconds: timePassedSeconds,
    });
  }
  return {
    state: {
      ...state,
      wind,
      status,
      timePassedSeconds,
      energyKwh,
      brokenSince,
      lastSecond: target,
      metricsEmitted: state.metricsEmitted + metrics.length,
      random: random.state,
    },
    effects: [{ type: "emit", event: { type: "metrics", metrics } }],
  };
}

/**
 * The turbine behaviour.
 *
 * @example
 * ```ts
 * import { defaultActorParams } from "./params.ts";
 * const params = defaultActorParams(42);
 * let state = turbineBehaviour.init("turbine/1", params, 0);
 * const next = turbineBehaviour.receive(state, { type: "tick", now: 5_000 }, {
 *   address: "turbine/1",
 *   now: 5_000,
 *   params,
 * });
 * ```
 */
export const turbineBehaviour: Behaviour<TurbineState> = {
  init: initTurbine,
  receive(state, message, context) {
    switch (message.type) {
      case "tick":
        return emitUntil(state, message.now, message.from);
      case "force_failure": {
        // Report the seconds before the failure as they were, then break.
        const caughtUp = emitUntil(state, context.now);
        if (caughtUp.state.status === "broken") return caughtUp;
        return { state: { ...caughtUp.state, failsAfterSeconds: 0 }, effects: caughtUp.effects };
      }
      case "repaired": {
        // The seconds until the repair was done are still broken ones.
        const caughtUp = emitUntil(state, message.at);
        if (caughtUp.state.status !== "broken") return caughtUp;
        const random = new Random(caughtUp.state.random);
        const failsAfterSeconds = random.exponential(state.mtbfSeconds);
        return {
          state: {
            ...caughtUp.state,
            status: "ok",
            timePassedSeconds: 0,
            failsAfterSeconds,
            brokenSince: null,
            repairsReceived: state.repairsReceived + 1,
            random: random.state,
          },
          effects: caughtUp.effects,
        };
      }
      case "get_state": {
        const reply: Effect = { type: "reply", value: state };
        return { state, effects: [reply] };
      }
      default:
        throw new Error(`Turbine ${context.address} cannot handle a "${message.type}" message`);
    }
  },
};
