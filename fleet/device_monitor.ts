/**
 * The fleet's side of monitored devices: the registry of every device, the
 * path their scored readings take into Deno KV (batched, written before they
 * are announced), the events and alerts that follow, and the entry point for
 * readings posted from outside, which it hands to each device's actor.
 *
 * @module
 */

import type { DeviceState } from "../actors/device.ts";
import { workloadOf } from "../actors/device_physics.ts";
import type { DeviceProfile, DeviceReading } from "../actors/device_readings.ts";
import type { ActorEvent, DeviceAlert, ScoredReading } from "../actors/protocol.ts";
import { deviceAddress } from "../actors/protocol.ts";
import type { Supervisor } from "../actors/supervisor.ts";
import type { DeviceCommit, DeviceRecord, DeviceStore } from "../store/device_store.ts";
import type { EventBus } from "./event_bus.ts";

type DeviceReadingsEvent = Extract<ActorEvent, { type: "device_readings" }>;

/** Why readings from outside were refused; the HTTP edge turns it into a 4xx naming the field. */
export class ReadingRejected extends Error {
  constructor(
    readonly status: 400 | 409 | 503,
    readonly field: string,
    readonly value: unknown,
    message: string,
    /** Which reading of the batch, in the order they were sent. */
    readonly index: number,
  ) {
    super(message);
    this.name = "ReadingRejected";
  }
}

/** `--devices` names an id the store knows as another device; the server refuses to start. */
export class DeviceListConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeviceListConflict";
  }
}

/**
 * External devices a fleet takes on before it refuses new ones: each gets an
 * actor, and in the worker placement that is a Worker of about 11 MB.
 */
export const MAX_EXTERNAL_DEVICES = { worker: 50, pool: 10_000 } as const;

/** Readings waiting for their commit before a device actor is held back. */
const QUEUE_LIMIT = 20_000;

/**
 * Devices, their readings and alerts.
 *
 * @example
 * ```ts ignore
 * const monitor = new DeviceMonitor(store, bus, supervisor);
 * await monitor.load([{ id: "pc1", profile: "pc" }]);
 * await monitor.observe(readings); // external readings, scored and stored
 * ```
 */
export class DeviceMonitor {
  #store: DeviceStore;
  #bus: EventBus;
  #supervisor: Supervisor;
  #devices = new Map<string, DeviceRecord>();
  #pending: DeviceReadingsEvent[] = [];
  #queued = 0;
  #flushing: Promise<void> | null = null;
  #spawning = new Map<string, Promise<void>>();
  #error: Error | null = null;
  #locks = new Map<string, Promise<void>>();
  /** New external devices of requests in progress. */
  #reserved = 0;

  #maxExternal: number;

  constructor(
    store: DeviceStore,
    bus: EventBus,
    supervisor: Supervisor,
    maxExternal: number = MAX_EXTERNAL_DEVICES[supervisor.placement],
  ) {
    this.#store = store;
    this.#bus = bus;
    this.#supervisor = supervisor;
    this.#maxExternal = maxExternal;
  }

  /**
   * Loads the registry and registers the simulated devices (their actors are
   * started by the fleet). A device simulated before and not now is retired;
   * an id that belongs to an external device, or was simulated with another
   * profile, cannot be simulated (its history would mix two devices).
   */
  async load(simulated: { id: string; profile: DeviceProfile }[]): Promise<void> {
    for (const record of await this.#store.listDevices()) this.#devices.set(record.id, record);
    const fresh: DeviceRecord[] = [];
    const listed = new Set(simulated.map((d) => d.id));
    for (const record of this.#devices.values()) {
      if (record.source === "simulated" && !listed.has(record.id)) {
        fresh.push({ ...record, source: "retired", updated_at: new Date().toISOString() });
      }
    }
    for (const { id, profile } of simulated) {
      const known = this.#devices.get(id);
      if (known?.source === "external") {
        throw new DeviceListConflict(
          `--devices: "${id}" is an external device that posts its own readings here; ` +
            "give the simulated one another id",
        );
      }
      if (known && known.profile !== profile) {
        throw new DeviceListConflict(
          `--devices: "${id}" was simulated as a "${known.profile}" device; ` +
            `give the "${profile}" one another id`,
        );
      }
      if (known?.source === "simulated") continue;
      // New, or retired and simulated again: its actor resumes from its snapshot.
      const record: DeviceRecord = {
        id,
        profile,
        latest: null,
        status: "ok",
        stressed_since: null,
        open_alert: null,
        ...known,
        source: "simulated",
        updated_at: new Date().toISOString(),
      };
      this.#devices.set(id, record);
      fresh.push(record);
    }
    if (fresh.length > 0) await this.#store.commit({ readings: [], alerts: [], devices: fresh });
    for (const record of fresh) this.#devices.set(record.id, record);
  }

  /** Readings taken but not stored yet. */
  get queued(): number {
    return this.#queued;
  }

  /** Every device, by id. */
  list(): DeviceRecord[] {
    return [...this.#devices.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): DeviceRecord | undefined {
    return this.#devices.get(id);
  }

  /** A simulated device's workload now (until: epoch seconds), from its actor's last known state. */
  workloadOf(id: string): { mode: string; until: number | null; regime: string } | null {
    const state = this.#supervisor.stateOf<DeviceState>(deviceAddress(id));
    if (!state?.sim) return null;
    const workload = workloadOf(state.sim);
    const until = workload.untilMs === null ? null : Math.round(workload.untilMs / 1000);
    return { mode: workload.mode, until, regime: workload.regime };
  }

  /**
   * Deletes readings older than the cutoff, epoch seconds: simulated devices'
   * by simulated time, external devices' by the wall clock they report in;
   * returns how many.
   */
  async deleteReadingsBefore(cutoff: { simulated: number; external: number }): Promise<number> {
    let deleted = 0;
    for (const record of this.#devices.values()) {
      const before = record.source === "external" ? cutoff.external : cutoff.simulated;
      deleted += await this.#store.deleteReadingsBefore(record.id, before);
    }
    return deleted;
  }

  /** Takes what a device actor reported; the returned promise holds the actor back while the queue is long. */
  enqueue(event: DeviceReadingsEvent): Promise<void> | void {
    this.#pending.push(event);
    this.#queued += event.readings.length;
    const flushing = this.#flush();
    if (this.#queued > QUEUE_LIMIT) return flushing;
  }

  /** Resolves once everything enqueued so far is stored and announced. */
  async drain(): Promise<void> {
    while (this.#flushing || this.#pending.length > 0) await this.#flush();
    if (this.#error) {
      const error = this.#error;
      this.#error = null;
      throw error;
    }
  }

  /**
   * Scores and stores readings posted from outside, oldest first per device;
   * resolves with each reading's verdict once all of them are in KV. Refuses,
   * before anything of the batch is stored, one device's readings in two
   * profiles (400), readings for simulated devices, a profile other than the
   * device's, and timestamps not after the device's last one (409). Requests
   * about the same device take turns, so these checks hold against concurrent
   * requests too.
   */
  async observe(readings: DeviceReading[]): Promise<ScoredReading[]> {
    const byDevice = new Map<string, { reading: DeviceReading; index: number }[]>();
    readings.forEach((reading, index) => {
      const group = byDevice.get(reading.device_id) ?? [];
      group.push({ reading, index });
      byDevice.set(reading.device_id, group);
    });
    for (const group of byDevice.values()) {
      const profile = group[0].reading.profile;
      const other = group.find(({ reading }) => reading.profile !== profile);
      if (other) {
        throw new ReadingRejected(
          400,
          "profile",
          other.reading.profile,
          `Device "${other.reading.device_id}" is "${profile}" earlier in this batch and ` +
            `"${other.reading.profile}" here; one device has one profile`,
          other.index,
        );
      }
      group.sort((a, b) => a.reading.timestamp - b.reading.timestamp);
    }
    const release = await this.#lock([...byDevice.keys()]);
    let reserved = 0;
    try {
      this.#check(byDevice);
      // Held while this request runs, so concurrent requests cannot pass the cap together.
      reserved = [...byDevice.keys()].filter((id) => !this.#devices.has(id)).length;
      this.#reserved += reserved;
      for (const [id, group] of byDevice) {
        if (this.#supervisor.info(deviceAddress(id))?.status === "stopped") {
          throw new ReadingRejected(
            503,
            "device_id",
            id,
            `Device "${id}"'s actor crashed too often and is stopped; restart it with ` +
              `POST /api/actors/device/${id}/restart`,
            group[0].index,
          );
        }
      }
      await Promise.all([...byDevice.keys()].map((id) => this.#ensureActor(id)));
      const replies = await Promise.all(
        [...byDevice].map(([id, group]) =>
          this.#supervisor.ask<ScoredReading[] | { rejected: string }>(deviceAddress(id), {
            type: "observe",
            readings: group.map(({ reading }) => reading),
          }, 10_000).catch((error: Error) => {
            // A device crashing on these very readings: the others' may be stored by now.
            throw new ReadingRejected(
              503,
              "device_id",
              id,
              `Device "${id}" could not score its readings (${error.message}); retry later`,
              group[0].index,
            );
          })
        ),
      );
      await this.drain();
      const scored: ScoredReading[] = [];
      for (const [i, reply] of replies.entries()) {
        if (!Array.isArray(reply)) {
          // The registry and the actor disagree (it should not happen): say so, store nothing more.
          const first = [...byDevice.values()][i][0];
          throw new ReadingRejected(
            409,
            "timestamp",
            first.reading.timestamp,
            reply.rejected,
            first.index,
          );
        }
        scored.push(...reply);
      }
      return scored;
    } finally {
      this.#reserved -= reserved;
      release();
    }
  }

  /** The registry's objections to a batch, by device; throws the first. */
  #check(byDevice: Map<string, { reading: DeviceReading; index: number }[]>): void {
    let newDevices = 0;
    for (const [id, group] of byDevice) {
      const first = group[0];
      const known = this.#devices.get(id);
      if (!known) {
        newDevices++;
        continue;
      }
      if (known.source !== "external") {
        throw new ReadingRejected(
          409,
          "device_id",
          id,
          known.source === "simulated"
            ? `Device "${id}" is simulated by this server and takes no readings from outside`
            : `Device "${id}" was simulated by this server in an earlier run; use another id`,
          first.index,
        );
      }
      if (known.profile !== first.reading.profile) {
        throw new ReadingRejected(
          409,
          "profile",
          first.reading.profile,
          `Device "${id}" is a "${known.profile}" device, not "${first.reading.profile}"`,
          first.index,
        );
      }
      const last = known.latest?.reading.timestamp;
      if (last !== undefined && first.reading.timestamp <= last) {
        throw new ReadingRejected(
          409,
          "timestamp",
          first.reading.timestamp,
          `Device "${id}" already has a reading at or after ${last}; readings must be newer`,
          first.index,
        );
      }
    }
    let external = this.#reserved;
    for (const record of this.#devices.values()) if (record.source === "external") external++;
    if (newDevices > 0 && external + newDevices > this.#maxExternal) {
      const placement = this.#supervisor.placement;
      const id = [...byDevice.keys()].find((id) => !this.#devices.has(id))!;
      throw new ReadingRejected(
        409,
        "device_id",
        id,
        `This server monitors at most ${this.#maxExternal} external devices in the ${placement} ` +
          `placement (${external} now)` +
          (placement === "worker" ? "; start it with --placement pool for more" : ""),
        byDevice.get(id)![0].index,
      );
    }
  }

  /** Waits until no other request is about any of `ids`; returns the release. */
  async #lock(ids: string[]): Promise<() => void> {
    const { promise: done, resolve: release } = Promise.withResolvers<void>();
    const waits: Promise<void>[] = [];
    for (const id of ids) {
      const previous = this.#locks.get(id);
      if (previous) waits.push(previous);
      this.#locks.set(id, done);
    }
    await Promise.all(waits);
    return () => {
      for (const id of ids) if (this.#locks.get(id) === done) this.#locks.delete(id);
      release();
    };
  }

  /** Starts the actor of an external device if it is not running (a new device, or after a restart). */
  async #ensureActor(id: string): Promise<void> {
    const address = deviceAddress(id);
    if (this.#supervisor.has(address)) return;
    let spawning = this.#spawning.get(id);
    if (!spawning) {
      spawning = this.#supervisor.start([address]).finally(() => this.#spawning.delete(id));
      this.#spawning.set(id, spawning);
    }
    await spawning;
  }

  #flush(): Promise<void> {
    this.#flushing ??= this.#commitPending().finally(() => this.#flushing = null);
    return this.#flushing;
  }

  async #commitPending(): Promise<void> {
    // Let the rest of this turn's events join the batch.
    await Promise.resolve();
    while (this.#pending.length > 0) {
      const events = this.#pending;
      this.#pending = [];
      const commit: DeviceCommit = { readings: [], alerts: [], devices: [] };
      const changed = new Map<string, DeviceRecord>();
      for (const event of events) {
        commit.readings.push(...event.readings);
        commit.alerts.push(...event.alerts);
        const record = this.#updatedRecord(changed.get(event.device_id), event);
        if (record) changed.set(event.device_id, record);
      }
      commit.devices = [...changed.values()];
      try {
        await this.#store.commit(commit);
      } catch (error) {
        // Nothing is announced that is not stored; the device's next readings try again.
        this.#error = error as Error;
        console.error(`Cannot store device readings: ${(error as Error).message}`);
        this.#queued -= commit.readings.length;
        continue;
      }
      this.#queued -= commit.readings.length;
      for (const record of changed.values()) this.#devices.set(record.id, record);
      this.#announce(events);
    }
  }

  #updatedRecord(
    base: DeviceRecord | undefined,
    event: DeviceReadingsEvent,
  ): DeviceRecord | null {
    const previous = base ?? this.#devices.get(event.device_id);
    const latest = event.readings.at(-1);
    if (!latest) return previous ?? null;
    let stressedSince = previous?.stressed_since ?? null;
    for (const transition of event.transitions) {
      stressedSince = transition.kind === "stressed" ? transition.at : null;
    }
    let openAlert = previous?.open_alert ?? null;
    if (event.alerts.length > 0) openAlert = event.alerts.at(-1)!.id;
    else if (latest.status === "ok") openAlert = null;
    return {
      id: event.device_id,
      profile: latest.reading.profile,
      source: previous?.source ?? "external",
      latest,
      status: latest.status,
      stressed_since: stressedSince,
      open_alert: openAlert,
      updated_at: new Date().toISOString(),
    };
  }

  #announce(events: DeviceReadingsEvent[]): void {
    this.#bus.publish({ type: "device.readings", readings: events.flatMap((e) => e.readings) });
    for (const event of events) {
      for (const transition of event.transitions) {
        this.#bus.publish({
          type: transition.kind === "stressed" ? "device.stressed" : "device.recovered",
          device_id: event.device_id,
          at: transition.at * 1000,
        });
      }
      for (const alert of event.alerts) this.#publishAlert(alert);
    }
  }

  #publishAlert(alert: DeviceAlert): void {
    this.#bus.publish({ type: "device.stress_predicted", alert });
  }
}
