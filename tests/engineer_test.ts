import assert from "node:assert/strict";
import { engineerBehaviour, type EngineerState } from "../actors/engineer.ts";
import { defaultActorParams } from "../actors/params.ts";
import type { ActorMessage, Effect } from "../actors/protocol.ts";

const params = defaultActorParams(3);
const job = { id: "r-4-100", turbineId: 4, reportedAt: 100_000 };

function receive(state: EngineerState, message: ActorMessage, now: number) {
  return engineerBehaviour.receive(state, message, { address: "engineer/2", now, params });
}

function reminder(effects: Effect[]) {
  const found = effects.find((e) => e.type === "remind");
  assert.ok(found && found.type === "remind", "a reminder was set");
  return found;
}

Deno.test("an assigned engineer travels, then repairs, each ending with a durable reminder", () => {
  const idle = engineerBehaviour.init("engineer/2", params, 0);
  const travelling = receive(idle, { type: "assign_repair", repair: job }, 200_000);
  assert.equal(travelling.state.status, "travelling");
  const arrive = reminder(travelling.effects);
  assert.equal(arrive.durable, true);
  assert.ok(arrive.at >= 200_000 + 120_000 && arrive.at <= 200_000 + 600_000);

  const repairing = receive(travelling.state, arrive.message, arrive.at);
  assert.equal(repairing.state.status, "repairing");
  const finish = reminder(repairing.effects);
  assert.ok(finish.at >= arrive.at + 300_000 && finish.at <= arrive.at + 1_200_000);

  const done = receive(repairing.state, finish.message, finish.at);
  assert.equal(done.state.status, "idle");
  assert.equal(done.state.repairsDone, 1);
  assert.deepEqual(done.effects[0], {
    type: "send",
    to: "turbine/4",
    message: { type: "repaired", repairId: "r-4-100", engineer: "engineer/2", at: finish.at },
  });
  assert.deepEqual(
    done.effects.flatMap((e) => e.type === "emit" ? [e.event] : []),
    [{
      type: "repair_progress",
      repairId: "r-4-100",
      engineer: "engineer/2",
      phase: "done",
      at: finish.at,
    }],
  );
});

Deno.test("an engineer given a second job while busy crashes loudly", () => {
  const idle = engineerBehaviour.init("engineer/2", params, 0);
  const busy = receive(idle, { type: "assign_repair", repair: job }, 0).state;
  assert.throws(
    () => receive(busy, { type: "assign_repair", repair: { ...job, id: "r-5-1" } }, 0),
    /while busy with r-4-100/,
  );
});

Deno.test("a stale reminder for another job changes nothing", () => {
  const idle = engineerBehaviour.init("engineer/2", params, 0);
  const busy = receive(idle, { type: "assign_repair", repair: job }, 0).state;
  const stale = receive(busy, { type: "repair_work_done", repairId: "r-9-9" }, 10);
  assert.deepEqual(stale, { state: busy, effects: [] });
});
