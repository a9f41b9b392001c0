import assert from "node:assert/strict";
import { defaultActorParams } from "../actors/params.ts";
import { CUT_IN_SPEED, CUT_OUT_SPEED, powerCurveKw, RATED_SPEED } from "../actors/power_curve.ts";
import type { ActorMessage, Effect, TurbineMetric } from "../actors/protocol.ts";
import { turbineBehaviour, type TurbineState } from "../actors/turbine.ts";

const START = Date.UTC(2026, 0, 1);
const params = defaultActorParams(7);

function receive(state: TurbineState, message: ActorMessage, now: number) {
  return turbineBehaviour.receive(state, message, { address: "turbine/3", now, params });
}

function metricsOf(effects: Effect[]): TurbineMetric[] {
  return effects.flatMap((e) =>
    e.type === "emit" && e.event.type === "metrics" ? e.event.metrics : []
  );
}

Deno.test("power curve is zero below cut-in and from cut-out, rated from rated speed", () => {
  assert.equal(powerCurveKw(CUT_IN_SPEED - 0.1, 2000), 0);
  assert.equal(powerCurveKw(CUT_OUT_SPEED, 2000), 0);
  assert.equal(powerCurveKw(RATED_SPEED, 2000), 2000);
  assert.equal(powerCurveKw(20, 2000), 2000);
  const mid = powerCurveKw(8, 2000);
  assert.ok(mid > 0 && mid < 2000);
  assert.ok(powerCurveKw(9, 2000) > mid, "power grows with wind speed below rated");
});

Deno.test("turbine emits one metric per simulated second, in the original's shape", () => {
  const state = turbineBehaviour.init("turbine/3", params, START);
  const first = receive(state, { type: "tick", now: START }, START);
  const second = receive(first.state, { type: "tick", now: START + 10_000 }, START + 10_000);
  const metrics = metricsOf(second.effects);
  assert.equal(metrics.length, 10);
  assert.deepEqual(metrics.map((m) => m.timestamp), [
    ...Array.from({ length: 10 }, (_, i) => START / 1000 + i + 1),
  ]);
  for (const metric of metrics) {
    assert.equal(metric.turbine_number, 3);
    assert.ok(metric.wind_speed >= 0 && metric.wind_speed <= 40);
    assert.ok(metric.power_output_in_kwh >= 0 && metric.power_output_in_kwh <= 2000 / 3600);
    assert.equal(metric.operational_status, "ok");
  }
  assert.equal(first.state.metricsEmitted, 0, "nothing to report at the start instant");
  assert.equal(second.state.metricsEmitted, 10);
});

Deno.test("turbine breaks after its drawn running time and keeps reporting zero power", () => {
  let state = turbineBehaviour.init("turbine/3", params, START);
  state = { ...state, failsAfterSeconds: 5, lastSecond: START / 1000 };
  const { state: after, effects } = receive(state, { type: "tick", now: START + 8_000 }, START);
  const metrics = metricsOf(effects);
  const statuses = metrics.map((m) => m.operational_status);
  assert.deepEqual(statuses.slice(0, 4), ["ok", "ok", "ok", "ok"]);
  assert.ok(statuses.slice(4).every((s) => s === "broken"));
  assert.ok(metrics.slice(4).every((m) => m.power_output_in_kwh === 0));
  assert.equal(after.status, "broken");
});

Deno.test("a repaired turbine is ok again with its running time reset to zero", () => {
  let state = turbineBehaviour.init("turbine/3", params, START);
  state = { ...state, failsAfterSeconds: 2, lastSecond: START / 1000 };
  state = receive(state, { type: "tick", now: START + 60_000 }, START).state;
  assert.equal(state.status, "broken");
  assert.ok(state.timePassedSeconds > 2);
  const repaired = receive(state, {
    type: "repaired",
    repairId: "r-3-1",
    engineer: "engineer/1",
    at: START + 60_000,
  }, START + 60_000).state;
  assert.equal(repaired.status, "ok");
  assert.equal(repaired.timePassedSeconds, 0);
  assert.equal(repaired.repairsReceived, 1);
  assert.ok(repaired.failsAfterSeconds > 0);
  const next = metricsOf(receive(repaired, { type: "tick", now: START + 61_000 }, 0).effects);
  assert.equal(next[0].operational_status, "ok");
  assert.equal(next[0].time_passed_in_seconds, 1);
});

Deno.test("a forced failure breaks the turbine at its next second", () => {
  let state = turbineBehaviour.init("turbine/3", params, START);
  state = receive(state, { type: "tick", now: START }, START).state;
  state = receive(state, { type: "force_failure" }, START).state;
  const metrics = metricsOf(receive(state, { type: "tick", now: START + 1000 }, START).effects);
  assert.deepEqual(metrics.map((m) => m.operational_status), ["broken"]);
});

Deno.test("turbine state is a pure function of its inputs (same seed, same metrics)", () => {
  const run = () => {
    let state = turbineBehaviour.init("turbine/3", params, START);
    const all: TurbineMetric[] = [];
    for (let t = 1; t <= 5; t++) {
      const next = receive(state, { type: "tick", now: START + t * 7_000 }, START);
      state = next.state;
      all.push(...metricsOf(next.effects));
    }
    return all;
  };
  assert.deepEqual(run(), run());
});

Deno.test("turbine snapshot survives structuredClone and continues identically", () => {
  const state = receive(turbineBehaviour.init("turbine/3", params, START), {
    type: "tick",
    now: START + 5000,
  }, START).state;
  const restored = structuredClone(state);
  const a = receive(state, { type: "tick", now: START + 9000 }, START);
  const b = receive(restored, { type: "tick", now: START + 9000 }, START);
  assert.deepEqual(metricsOf(a.effects), metricsOf(b.effects));
});

Deno.test("wind speeds over a simulated day average near the site mean", () => {
  let state = turbineBehaviour.init("turbine/3", params, START);
  const speeds: number[] = [];
  state = { ...state, failsAfterSeconds: Infinity };
  for (let minute = 1; minute <= 24 * 60; minute++) {
    const next = receive(state, { type: "tick", now: START + minute * 60_000 }, START);
    state = next.state;
    speeds.push(...metricsOf(next.effects).map((m) => m.wind_speed));
  }
  const mean = speeds.reduce((a, b) => a + b, 0) / speeds.length;
  assert.ok(Math.abs(mean - state.siteMeanWind) < 0.35 * state.siteMeanWind, `mean ${mean}`);
  assert.ok(Math.max(...speeds) > mean + 3, "gusts and turbulence vary the wind");
});

Deno.test("seconds before a repair between ticks are reported broken, those after it ok", () => {
  let state = turbineBehaviour.init("turbine/3", params, START);
  state = { ...state, failsAfterSeconds: 2 };
  state = receive(state, { type: "tick", now: START + 60_000 }, START).state;
  const repaired = receive(state, {
    type: "repaired",
    repairId: "r-3-2",
    engineer: "engineer/1",
    at: START + 90_500,
  }, START + 91_000);
  const during = metricsOf(repaired.effects);
  assert.deepEqual(during.map((m) => m.timestamp - START / 1000), range(61, 90));
  assert.ok(during.every((m) => m.operational_status === "broken"));
  const after = metricsOf(
    receive(repaired.state, { type: "tick", now: START + 95_000 }, 0).effects,
  );
  assert.deepEqual(after.map((m) => m.timestamp - START / 1000), range(91, 95));
  assert.ok(after.every((m) => m.operational_status === "ok"));
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

Deno.test("after a gap longer than a tick allows, a turbine reports from the tick's start, not the gap", () => {
  let state = turbineBehaviour.init("turbine/3", params, START);
  state = receive(state, { type: "tick", now: START + 10_000 }, START).state;
  const resumed = receive(state, {
    type: "tick",
    now: START + 3_600_000,
    from: START + 3_540_000,
  }, START + 3_600_000);
  const metrics = metricsOf(resumed.effects);
  assert.equal(metrics[0].timestamp, START / 1000 + 3_541);
  assert.equal(metrics.length, 60);
  assert.equal(resumed.state.timePassedSeconds, 70, "the gap is not running time");
});
