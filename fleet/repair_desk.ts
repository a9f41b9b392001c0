/**
 * The repair desk: the FIFO queue of repair jobs and the engineers who take
 * them. A job is persisted before its engineer hears of it, so a restart of the
 * server resumes every job where it was.
 *
 * @module
 */

import type { EngineerState } from "../actors/engineer.ts";
import type { ActorEvent, ActorMessage, Address } from "../actors/protocol.ts";
import type { KvStore, RepairJob } from "../store/kv_store.ts";
import type { EventBus } from "./event_bus.ts";

/** How the desk reaches engineers (the supervisor in production). */
export interface EngineerChannel {
  /** Returns "accepted" when the engineer will get the message. */
  tell(to: Address, message: ActorMessage): string;
  /** The engineer's last known state. */
  stateOf<T>(address: Address): T | undefined;
}

type RepairProgress = Extract<ActorEvent, { type: "repair_progress" }>;

/**
 * Keeps the repair queue and assigns jobs to idle engineers, oldest first.
 *
 * @example
 * ```ts ignore
 * const desk = new RepairDesk(store, bus, supervisor, ["engineer/1"], () => clock.now());
 * await desk.load();
 * desk.open(jobsFromIngest);
 * ```
 */
export class RepairDesk {
  #store: KvStore;
  #bus: EventBus;
  #engineers: EngineerChannel;
  #roster: Address[];
  #now: () => number;
  #open = new Map<string, RepairJob>();
  #waiting: string[] = [];
  /** Serialises every change, so jobs are handed out in the order they came. */
  #work: Promise<void> = Promise.resolve();

  constructor(
    store: KvStore,
    bus: EventBus,
    engineers: EngineerChannel,
    roster: Address[],
    now: () => number,
  ) {
    this.#store = store;
    this.#bus = bus;
    this.#engineers = engineers;
    this.#roster = [...roster].sort(compareAddresses);
    this.#now = now;
  }

  /**
   * Loads the open jobs from the store and hands out what can be handed out.
   * A job persisted as assigned whose engineer never heard of it (the server
   * stopped in between) goes back to the front of the queue.
   */
  async load(): Promise<void> {
    const open = [
      ...await this.#store.listRepairs("in_progress"),
      ...await this.#store.listRepairs("waiting"),
    ];
    for (const job of open) this.#open.set(job.id, job);
    const lost: RepairJob[] = [];
    for (const job of open) {
      if (job.status !== "in_progress" || !job.engineer) continue;
      const engineer = this.#engineers.stateOf<EngineerState>(job.engineer);
      if (engineer?.job?.id !== job.id) lost.push(job);
    }
    for (const job of lost) {
      await this.#update(job, { ...job, status: "waiting", engineer: null, started_at: null });
    }
    this.#waiting = [...this.#open.values()].filter((j) => j.status === "waiting").sort(
      byReportTime,
    )
      .map((j) => j.id);
    await this.#enqueueWork(() => this.#assign());
  }

  /** Takes newly opened jobs (already committed with the metrics that opened them). */
  open(jobs: RepairJob[]): Promise<void> {
    return this.#enqueueWork(async () => {
      for (const job of [...jobs].sort(byReportTime)) {
        if (this.#open.has(job.id)) continue;
        this.#open.set(job.id, job);
        this.#waiting.push(job.id);
        this.#bus.publish({
          type: "turbine.broken",
          turbine_id: job.turbine_id,
          at: job.reported_at,
          repair_id: job.id,
        });
      }
      await this.#assign();
      const fresh = new Set(jobs.map((j) => j.id));
      for (const id of this.#waiting.filter((id) => fresh.has(id))) {
        // No engineer is free: the job waits, and operators are told so.
        const repair = this.#open.get(id)!;
        this.#bus.publish({ type: "repair.waiting", repair, waiting: this.#waiting.length });
      }
    });
  }

  /** Follows an engineer's progress on a job. */
  progress(event: RepairProgress): Promise<void> {
    return this.#enqueueWork(async () => {
      const job = this.#open.get(event.repairId);
      if (!job) return;
      if (event.phase === "repairing") {
        await this.#update(job, { ...job, arrived_at: event.at });
        return;
      }
      if (event.phase !== "done") return;
      const done = { ...job, status: "done" as const, finished_at: event.at };
      await this.#update(job, done);
      this.#open.delete(job.id);
      this.#bus.publish({
        type: "turbine.repaired",
        turbine_id: job.turbine_id,
        at: event.at,
        repair_id: job.id,
        engineer: event.engineer,
      });
      await this.#assign();
    });
  }

  /** Jobs waiting for an engineer, oldest first. */
  waiting(): RepairJob[] {
    return this.#waiting.map((id) => this.#open.get(id)!);
  }

  /** The open job of a turbine, if any. */
  openRepairOf(turbineId: number): RepairJob | undefined {
    for (const job of this.#open.values()) if (job.turbine_id === turbineId) return job;
    return undefined;
  }

  /** The job an engineer works on, if any. */
  jobOf(engineer: Address): RepairJob | undefined {
    for (const job of this.#open.values()) {
      if (job.engineer === engineer && job.status === "in_progress") return job;
    }
    return undefined;
  }

  /** Resolves once every change asked for so far is done. */
  settled(): Promise<void> {
    return this.#work;
  }

  #enqueueWork(step: () => Promise<void>): Promise<void> {
    this.#work = this.#work.then(step).catch((error) =>
      console.error(`The repair desk failed: ${error.message}`)
    );
    return this.#work;
  }

  async #assign(): Promise<void> {
    const busy = new Set(
      [...this.#open.values()].filter((j) => j.status === "in_progress").map((j) => j.engineer),
    );
    for (const engineer of this.#roster) {
      if (this.#waiting.length === 0) return;
      if (busy.has(engineer)) continue;
      const job = this.#open.get(this.#waiting.shift()!)!;
      const assigned: RepairJob = {
        ...job,
        status: "in_progress",
        engineer,
        started_at: this.#now(),
      };
      // Persisted before the engineer hears of it; `load` mends the gap after a crash.
      await this.#update(job, assigned);
      const told = this.#engineers.tell(engineer, {
        type: "assign_repair",
        repair: { id: job.id, turbineId: job.turbine_id, reportedAt: job.reported_at },
      });
      if (told !== "accepted") {
        await this.#update(assigned, job);
        this.#waiting.unshift(job.id);
        return;
      }
      this.#bus.publish({ type: "repair.assigned", repair: assigned });
    }
  }

  async #update(previous: RepairJob, next: RepairJob): Promise<void> {
    await this.#store.updateRepair(next, previous);
    this.#open.set(next.id, next);
  }
}

function byReportTime(a: RepairJob, b: RepairJob): number {
  return a.reported_at - b.reported_at || (a.id < b.id ? -1 : 1);
}

function compareAddresses(a: Address, b: Address): number {
  const [, x] = a.split("/");
  const [, y] = b.split("/");
  return Number(x) - Number(y) || (a < b ? -1 : 1);
}
