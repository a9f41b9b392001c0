import assert from "node:assert/strict";
import { ActorHost, InjectedCrash } from "../actors/actor_host.ts";
import { defaultActorParams } from "../actors/params.ts";
import type { HostReport } from "../actors/protocol.ts";
import type { EngineerState } from "../actors/engineer.ts";

const params = defaultActorParams(9);

function spawned(host: ActorHost, exclusive: boolean): void {
  host.handle({ type: "configure", exclusive });
  host.handle({
    type: "spawn",
    now: 0,
    actors: [
      { address: "engineer/1", state: null, params },
      { address: "turbine/1", state: null, params },
    ],
  });
}

function delivered(report: HostReport | null) {
  assert.ok(report && report.type === "delivered");
  return report.outcomes;
}

Deno.test("a host hands back each actor's effects and new state for a delivery", () => {
  const host = new ActorHost();
  spawned(host, false);
  const [outcome] = delivered(host.handle({
    type: "deliver",
    batch: 1,
    deliveries: [{
      address: "engineer/1",
      now: 1000,
      envelopes: [{
        message: { type: "assign_repair", repair: { id: "r-1-1", turbineId: 1, reportedAt: 0 } },
      }],
    }],
  }));
  assert.equal(outcome.handled, 1);
  assert.equal(outcome.error, undefined);
  assert.equal((outcome.state as EngineerState).status, "travelling");
  assert.deepEqual(outcome.effects.map((e) => [e.envelope, e.effect.type]), [[0, "emit"], [
    0,
    "remind",
  ]]);
});

Deno.test("a behaviour that throws stops its delivery there and reports what it had done", () => {
  const host = new ActorHost();
  spawned(host, false);
  const job = { id: "r-1-1", turbineId: 1, reportedAt: 0 };
  const [outcome] = delivered(host.handle({
    type: "deliver",
    batch: 2,
    deliveries: [{
      address: "engineer/1",
      now: 0,
      envelopes: [
        { message: { type: "assign_repair", repair: job } },
        { message: { type: "assign_repair", repair: { ...job, id: "r-2-2" } } },
        { message: { type: "get_state" } },
      ],
    }],
  }));
  assert.equal(outcome.handled, 1, "the second assignment threw");
  assert.match(outcome.error!.message, /while busy with r-1-1/);
  assert.equal(
    (outcome.state as EngineerState).job?.id,
    "r-1-1",
    "state after the last handled one",
  );
  // The crashed actor is gone from the host until the supervisor spawns it again.
  const [again] = delivered(host.handle({
    type: "deliver",
    batch: 3,
    deliveries: [{
      address: "engineer/1",
      now: 0,
      envelopes: [{ message: { type: "get_state" } }],
    }],
  }));
  assert.match(again.error!.message, /not hosted/);
});

Deno.test("an injected crash ends the Worker when alone, and only the actor when sharing", () => {
  const alone = new ActorHost();
  spawned(alone, true);
  assert.throws(() => alone.handle({ type: "crash", address: "turbine/1" }), InjectedCrash);

  const shared = new ActorHost();
  spawned(shared, false);
  const report = shared.handle({ type: "crash", address: "turbine/1" });
  assert.equal(report?.type, "crashed");
  const [neighbour] = delivered(shared.handle({
    type: "deliver",
    batch: 4,
    deliveries: [{
      address: "engineer/1",
      now: 0,
      envelopes: [{ message: { type: "get_state" } }],
    }],
  }));
  assert.equal(neighbour.error, undefined, "the other actor still runs");
});

Deno.test("a host resumes an actor from the state it is given, not from scratch", () => {
  const host = new ActorHost();
  host.handle({ type: "configure", exclusive: false });
  const saved = {
    status: "idle",
    job: null,
    travelSeconds: [1, 2],
    repairSeconds: [3, 4],
    random: 5,
    repairsDone: 41,
  };
  const report = host.handle({
    type: "spawn",
    now: 0,
    actors: [{ address: "engineer/2", state: saved, params }],
  });
  assert.ok(report?.type === "spawned");
  assert.equal((report.states[0] as EngineerState).repairsDone, 41);
});
