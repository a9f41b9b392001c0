/**
 * The fleet: the supervisor with its turbines, engineers and monitored devices,
 * the metric ingest pipeline, the repair desk, the device monitor, the
 * simulation clock that drives them and the event bus they report to, wired
 * together.
 *
 * @module
 */

import { RealClock, VirtualClock } from "../actors/clock.ts";
import type { DeviceProfile } from "../actors/device_readings.ts";
import { deviceAddress, engineerAddress, turbineAddress } from "../actors/protocol.ts";
import type { ActorEvent, ActorParams, Address } from "../actors/protocol.ts";
import { type Placement, Supervisor } from "../actors/supervisor.ts";
import { MAX_CATCH_UP_SECONDS } from "../actors/turbine.ts";
import { DeviceStore } from "../store/device_store.ts";
import type { KvStore } from "../store/kv_store.ts";
import { DeviceMonitor } from "./device_monitor.ts";
import { EventBus } from "./event_bus.ts";
import { EventStream } from "./event_stream.ts";
import { MetricIngest } from "./metric_ingest.ts";
import { RepairDesk } from "./repair_desk.ts";

/** How to build a fleet. */
export interface FleetOptions {
  store: KvStore;
  clock: RealClock | VirtualClock;
  params: ActorParams;
  turbines: number;
  engineers: number;
  /** Simulated devices; default none. Their profiles must also be in `params.device.simulated`. */
  devices?: { id: string; profile: DeviceProfile }[];
  /** External devices taken on at most; default by placement (`MAX_EXTERNAL_DEVICES`). */
  maxExternalDevices?: number;
  placement?: Placement;
  poolSize?: number;
  /** Lockstep delivery, for runs that must repeat exactly (virtual clock). */
  deterministic?: boolean;
  /** Simulated milliseconds between ticks; default 1 s, or 100 ms of wall time when sped up (at most an hour). */
  tickMs?: number;
  ingestCapacity?: number;
  /** Simulated days of metrics to keep (a sweep runs every wall minute); 0 or absent keeps all. */
  retentionDays?: number;
  maxRestarts?: number;
  restartWindowMs?: number;
}

/**
 * A running fleet.
 *
 * @example
 * ```ts ignore
 * const fleet = await Fleet.start({ store, clock, params, turbines: 10, engineers: 3 });
 * await fleet.stop();
 * ```
 */
export class Fleet {
  readonly bus = new EventBus();
  /** The bus's events numbered and kept for live pages (`GET /api/events`). */
  readonly events = new EventStream(this.bus);
  readonly clock: RealClock | VirtualClock;
  readonly supervisor: Supervisor;
  readonly ingest: MetricIngest;
  readonly desk: RepairDesk;
  readonly devices: DeviceMonitor;
  readonly store: KvStore;
  readonly turbines: Address[];
  readonly engineers: Address[];
  /** The simulated devices' actors (external devices get theirs when they first report). */
  readonly simulatedDevices: Address[];
  #deviceList: { id: string; profile: DeviceProfile }[];
  readonly startedAt = Date.now();
  #tickMs: number;
  #tickHandle = 0;
  #paused = false;
  #saveTimer: ReturnType<typeof setInterval> | undefined;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #retentionDays: number;

  private constructor(options: FleetOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.turbines = Array.from({ length: options.turbines }, (_, i) => turbineAddress(i + 1));
    this.engineers = Array.from({ length: options.engineers }, (_, i) => engineerAddress(i + 1));
    this.#deviceList = options.devices ?? [];
    for (const { id, profile } of this.#deviceList) {
      if (options.params.device.simulated[id] !== profile) {
        throw new Error(`Device ${id} (${profile}) is missing from params.device.simulated`);
      }
    }
    if (this.#deviceList.length > 0 && !options.params.device.model) {
      throw new Error("Simulated devices need a stress model");
    }
    this.simulatedDevices = this.#deviceList.map(({ id }) => deviceAddress(id));
    const scale = this.clock instanceof RealClock ? this.clock.timeScale : 1;
    this.#retentionDays = options.retentionDays ?? 0;
    // A tick every 100 ms of wall time when sped up, within what a turbine back-fills.
    this.#tickMs = options.tickMs ??
      Math.min(MAX_CATCH_UP_SECONDS * 1000, Math.max(1000, Math.round(100 * scale / 1000) * 1000));
    this.ingest = new MetricIngest(this.store, {
      capacity: options.ingestCapacity,
      onCommitted: (committed) => {
        this.bus.publish({ type: "metrics", metrics: committed.metrics });
        if (committed.repairs.length > 0) this.desk.open(committed.repairs);
      },
    });
    this.supervisor = new Supervisor({
      clock: this.clock,
      params: options.params,
      snapshots: this.store,
      placement: options.placement,
      poolSize: options.poolSize,
      deterministic: options.deterministic,
      maxRestarts: options.maxRestarts,
      restartWindowMs: options.restartWindowMs,
      onEvent: (address, event) => this.#onActorEvent(address, event),
      onNotice: (notice) => {
        this.bus.publish(notice);
        console.error(
          notice.type === "actor.stopped"
            ? `ALARM: ${notice.address} stopped after ${notice.restarts} restarts: ${notice.error}`
            : `${notice.address} restarted (restart ${notice.restarts}) after: ${notice.error}`,
        );
        if (notice.type === "actor.stopped") {
          this.store.addAlarm({
            at: new Date().toISOString(),
            address: notice.address,
            kind: notice.type,
            message:
              `${notice.address} crashed more than ${this.supervisor.maxRestarts} times within ` +
              `${this.supervisor.restartWindowMs / 1000} s and was stopped: ${notice.error}`,
          }).catch((error) => console.error(`Cannot record an alarm: ${error.message}`));
        }
      },
    });
    this.devices = new DeviceMonitor(
      new DeviceStore(this.store.kv),
      this.bus,
      this.supervisor,
      options.maxExternalDevices,
    );
    this.desk = new RepairDesk(
      this.store,
      this.bus,
      this.supervisor,
      this.engineers,
      () => this.clock.now(),
    );
  }

  /** Loads what the store remembers, starts every actor and the simulation clock. */
  static async start(options: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet(options);
    await fleet.ingest.load();
    await fleet.devices.load(fleet.#deviceList);
    await fleet.supervisor.start([
      ...fleet.turbines,
      ...fleet.engineers,
      ...fleet.simulatedDevices,
    ]);
    await fleet.desk.load();
    fleet.#scheduleTick(fleet.clock.now());
    if (fleet.clock instanceof RealClock) {
      fleet.#saveTimer = setInterval(() => fleet.#saveTime(), 5_000);
      if (fleet.#retentionDays > 0) {
        fleet.#sweepTimer = setInterval(() => fleet.sweep(), 60_000);
      }
    }
    return fleet;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Days of metrics and readings kept; 0 keeps everything. */
  get retentionDays(): number {
    return this.#retentionDays;
  }

  /** Simulated milliseconds between ticks. */
  get tickMs(): number {
    return this.#tickMs;
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    if (this.clock instanceof RealClock) this.clock.pause();
    this.bus.publish({ type: "simulation.paused", at: this.clock.now() });
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.clock instanceof RealClock) this.clock.resume();
    this.bus.publish({ type: "simulation.resumed", at: this.clock.now() });
  }

  /**
   * Deletes metrics and device readings older than the retention horizon
   * (simulated time); returns how many metric segments and readings went.
   */
  async sweep(): Promise<number> {
    if (this.#retentionDays <= 0) return 0;
    const cutoff = this.clock.now() / 1000 - this.#retentionDays * 86_400;
    let deleted = 0;
    try {
      for (const record of this.ingest.latestAll()) {
        deleted += await this.store.deleteMetricsBefore(record.turbine_id, cutoff);
      }
      deleted += await this.devices.deleteReadingsBefore({
        simulated: cutoff,
        external: Date.now() / 1000 - this.#retentionDays * 86_400,
      });
    } catch (error) {
      console.error(`The retention sweep failed: ${(error as Error).message}`);
    }
    return deleted;
  }

  /** Resolves once actors, ingest and repair desk have nothing left to do. */
  async settle(): Promise<void> {
    for (let round = 0; round < 1000; round++) {
      await this.supervisor.whenIdle();
      await this.ingest.drain();
      await this.devices.drain();
      await this.desk.settled();
      await this.supervisor.whenIdle();
      if (this.ingest.queued === 0 && this.devices.queued === 0) return;
    }
  }

  /** Runs a virtual-clock simulation for `ms` of simulated time, settling after every step. */
  async runFor(ms: number): Promise<void> {
    const clock = this.clock;
    if (!(clock instanceof VirtualClock)) throw new Error("runFor needs a virtual clock");
    const end = clock.now() + ms;
    await this.settle();
    while (clock.fireNext(end)) await this.settle();
  }

  /**
   * Stops the fleet gracefully: no more ticks, mailboxes drained, queued
   * metrics committed, every snapshot and the simulation time persisted.
   */
  async stop(): Promise<void> {
    this.events.close();
    this.clock.cancel(this.#tickHandle);
    clearInterval(this.#saveTimer);
    clearInterval(this.#sweepTimer);
    if (this.clock instanceof RealClock) this.clock.dispose();
    await this.supervisor.stop();
    await this.ingest.drain();
    await this.devices.drain().catch((error) =>
      console.error(`Device readings were not all stored: ${error.message}`)
    );
    await this.desk.settled();
    await this.#saveTime();
  }

  #scheduleTick(from: number): void {
    const next = Math.floor(from / this.#tickMs) * this.#tickMs + this.#tickMs;
    this.#tickHandle = this.clock.schedule(next, () => {
      // A turbine back-fills a late tick or a quick restart, not a stretch the fleet was down.
      const from = next - Math.max(3 * this.#tickMs, 60_000);
      this.supervisor.broadcast(this.turbines, { type: "tick", now: next, from });
      this.supervisor.broadcast(this.simulatedDevices, { type: "tick", now: next, from });
      this.#scheduleTick(next);
    });
  }

  #onActorEvent(_address: Address, event: ActorEvent): void | Promise<void> {
    switch (event.type) {
      case "metrics":
        return this.ingest.enqueue(event.metrics);
      case "repair_progress":
        this.desk.progress(event);
        return;
      case "device_readings":
        return this.devices.enqueue(event);
    }
  }

  async #saveTime(): Promise<void> {
    await this.store.saveSimulationTime(this.clock.now()).catch((error) =>
      console.error(`Cannot save the simulation time: ${error.message}`)
    );
  }
}
