/**
 * A repair engineer. Given a job by the repair desk, the engineer travels to
 * the turbine, repairs it and tells it so. Travel and repair end with durable
 * reminders, so an engineer that crashes mid-repair still finishes on time.
 *
 * @module
 */

import type { Behaviour } from "./behaviour.ts";
import type { ActorParams, Address, Effect, RepairAssignment } from "./protocol.ts";
import { turbineAddress } from "./protocol.ts";
import { deriveSeed, Random } from "./random.ts";

/** An engineer's whole state; it is what the snapshot persists. */
export interface EngineerState {
  status: "idle" | "travelling" | "repairing";
  job: RepairAssignment | null;
  travelSeconds: [number, number];
  repairSeconds: [number, number];
  random: number;
  repairsDone: number;
}

function progress(
  repairId: string,
  engineer: Address,
  phase: "travelling" | "repairing" | "done",
  at: number,
): Effect {
  return { type: "emit", event: { type: "repair_progress", repairId, engineer, phase, at } };
}

/**
 * The engineer behaviour.
 *
 * @example
 * ```ts
 * import { defaultActorParams } from "./params.ts";
 * const params = defaultActorParams(42);
 * const state = engineerBehaviour.init("engineer/1", params, 0);
 * engineerBehaviour.receive(state, {
 *   type: "assign_repair",
 *   repair: { id: "r-3-60", turbineId: 3, reportedAt: 60_000 },
 * }, { address: "engineer/1", now: 61_000, params });
 * ```
 */
export const engineerBehaviour: Behaviour<EngineerState> = {
  init(address: Address, params: ActorParams): EngineerState {
    return {
      status: "idle",
      job: null,
      travelSeconds: params.engineer.travelSeconds,
      repairSeconds: params.engineer.repairSeconds,
      random: new Random(deriveSeed(params.seed, address)).state,
      repairsDone: 0,
    };
  },
  receive(state, message, { address, now }) {
    switch (message.type) {
      case "assign_repair": {
        if (state.job !== null) {
          throw new Error(
            `Engineer ${address} was given repair ${message.repair.id} while busy with ${state.job.id}`,
          );
        }
        const random = new Random(state.random);
        const travel = random.between(...state.travelSeconds);
        const repairId = message.repair.id;
        return {
          state: { ...state, status: "travelling", job: message.repair, random: random.state },
          effects: [
            progress(repairId, address, "travelling", now),
            {
              type: "remind",
              key: "arrive",
              at: now + Math.round(travel * 1000),
              message: { type: "arrived", repairId },
              durable: true,
            },
          ],
        };
      }
      case "arrived": {
        if (state.job?.id !== message.repairId) return { state, effects: [] };
        const random = new Random(state.random);
        const work = random.between(...state.repairSeconds);
        return {
          state: { ...state, status: "repairing", random: random.state },
          effects: [
            progress(message.repairId, address, "repairing", now),
            {
              type: "remind",
              key: "finish",
              at: now + Math.round(work * 1000),
              message: { type: "repair_work_done", repairId: message.repairId },
              durable: true,
            },
          ],
        };
      }
      case "repair_work_done": {
        const job = state.job;
        if (job?.id !== message.repairId) return { state, effects: [] };
        return {
          state: { ...state, status: "idle", job: null, repairsDone: state.repairsDone + 1 },
          effects: [
            {
              type: "send",
              to: turbineAddress(job.turbineId),
              message: { type: "repaired", repairId: job.id, engineer: address, at: now },
            },
            progress(job.id, address, "done", now),
          ],
        };
      }
      case "get_state":
        return { state, effects: [{ type: "reply", value: state }] };
      default:
        throw new Error(`Engineer ${address} cannot handle a "${message.type}" message`);
    }
  },
};
